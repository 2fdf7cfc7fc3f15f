"""deploy/engines.py: several gunicorns on one machine (tests, benchmarks, a cluster) each
answer to their own controls and serve their metrics only where they are told to."""

import pytest

from deploy import engines

ENVIRONMENT = {
    "DJANGO_DEBUG": "false",
    "DJANGO_HTTPS": "false",
    "DJANGO_SECRET_KEY": "engines-tests-only-secret-key-that-is-long-enough-to-pass-checks",
}


@pytest.fixture
def two_gunicorns(tmp_path):
    started = []
    try:
        for name, metrics_bind in (("first", ""), ("second", "127.0.0.1:0")):
            application = engines.gunicorn(
                tmp_path / name, 0, ENVIRONMENT, name=name, workers=1, metrics_bind=metrics_bind
            )
            started.append(application.start(seconds=30))
        yield started
    finally:
        engines.stop_all(started)


def test_every_gunicorn_has_a_control_socket_of_its_own(two_gunicorns):
    for application in two_gunicorns:
        assert (application.directory / "gunicorn.ctl").is_socket(), application.name
        assert engines.url_answers(f"{application.url}/-/alive/")


def test_a_gunicorn_serves_metrics_only_on_the_address_it_was_given(two_gunicorns):
    without, with_metrics = two_gunicorns
    assert engines.gunicorn_metrics_url(without) is None
    assert "Metrics" not in without.log_text(), "it tried a metrics port"
    url = engines.wait_until(
        lambda: engines.gunicorn_metrics_url(with_metrics), "the metrics address", seconds=30
    )
    assert not url.endswith(":9808/metrics"), "a port the kernel picked, not the default"
    assert engines.http_status(url) == 200
