"""The dashboard, in a real browser: Debian's Prometheus scrapes a real gunicorn with the
project's configuration and rules, and serves the console (deploy/prometheus/consoles/), which
Chromium draws with nothing fetched from outside."""

import time

import pytest
import requests
from playwright.sync_api import expect

from deploy import engines
from deploy.prometheus.render import HERE as PROMETHEUS_DIRECTORY
from deploy.prometheus.render import render
from tests.monitoring import gunicorn_with_metrics
from tests.prometheus_tools import paths

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    # For the session to create the test database that gunicorn uses; transactional, since a
    # transaction left open under Playwright's event loop keeps the database busy at teardown.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def application(tmp_path_factory, django_db_setup):
    with gunicorn_with_metrics(tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(application, tmp_path_factory):
    directory = tmp_path_factory.mktemp("prometheus")
    django = application.metrics_url.removeprefix("http://").removesuffix("/metrics")

    def build(port):
        address = f"127.0.0.1:{port}"
        configuration = directory / "prometheus.yml"
        configuration.write_text(render({"prometheus": [address], "django": [django]}))
        return engines.Engine(
            name="prometheus",
            command=[
                paths["prometheus"],
                f"--config.file={configuration}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address={address}",
                f"--web.console.templates={PROMETHEUS_DIRECTORY / 'consoles'}",
                f"--web.console.libraries={PROMETHEUS_DIRECTORY / 'console_libraries'}",
            ],
            port=port,
            directory=directory,
            ready=engines.http_answers(f"http://{address}/-/ready"),
        )

    prometheus = engines.start_on_a_free_port(build, seconds=30)
    yield prometheus.url
    prometheus.stop()


def query(prometheus, expression):
    response = requests.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=5)
    return response.json()["data"]["result"]


def test_the_dashboard_draws_what_django_served_with_nothing_from_outside(
    prometheus,
    application,
    browser_page,
    artifacts,
):
    deadline = time.monotonic() + 90
    # Traffic until the one-minute request rate has been recorded a few times: a line to draw.
    recorded = 'count_over_time(newsite:requests:rate1m{outcome="warm"}[1m]) >= 3'
    while not query(prometheus, recorded):
        assert time.monotonic() < deadline, "Prometheus recorded no request rate within 90 s"
        requests.get(f"{application.url}/robots.txt", timeout=5)
        time.sleep(0.5)

    page = browser_page
    failures = []
    page.on("requestfailed", lambda request: failures.append(request.url))
    page.on("response", lambda response: response.ok or failures.append(response.url))
    page.on("console", lambda message: message.type == "error" and failures.append(message.text))
    page.goto(f"{prometheus}/consoles/newsite.html")

    expect(page.get_by_role("heading", level=1)).to_have_text("The Daily Cache, live")
    expect(page.locator("#now-alerts")).to_have_text("none")
    # Drawn from what Prometheus recorded: a chart with a legend, not an error.
    expect(page.locator("#django-requests svg").first).to_be_visible()
    expect(page.locator("#django-requests")).to_contain_text("warm")
    expect(page.locator("#django-requests")).not_to_contain_text("No timeseries returned")
    # No edge in this test: its charts say so rather than fail.
    expect(page.locator("#edge-hit-ratio")).to_contain_text("No timeseries returned")
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)
    assert failures == []
    origins = page.evaluate(
        "[...document.querySelectorAll('script[src], link[href]')]"
        ".map(element => new URL(element.src || element.href).origin)"
    )
    assert set(origins) == {prometheus}
