"""Through the edge, the numbers agree: after known traffic, Varnish's exporter (Debian's
prometheus-varnish-exporter) and Django's metrics (served by gunicorn's master) say exactly
what happened, layer by layer."""

import pytest
import requests

from deploy import engines
from tests.monitoring import scrape, total
from tests.prometheus_tools import paths
from tests.server_timing import sql_queries

pytestmark = [
    pytest.mark.varnish,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.prometheus,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def monitored(monitored_edge_stack, tmp_path_factory):
    """Varnish → gunicorn with its metrics on a port of its own, and Varnish's exporter."""
    stack = monitored_edge_stack
    directory = tmp_path_factory.mktemp("varnish-exporter")
    exporter = engines.start_on_a_free_port(
        lambda port: engines.Engine(
            name="prometheus-varnish-exporter",
            command=[
                paths["prometheus-varnish-exporter"],
                *("-n", stack.edge.directory),
                *("-web.listen-address", f"127.0.0.1:{port}"),
            ],
            port=port,
            directory=directory,
            ready=engines.http_answers(f"http://127.0.0.1:{port}/metrics"),
        ),
        seconds=30,
    )
    stack.varnish_metrics = f"{exporter.url}/metrics"
    yield stack
    exporter.stop(seconds=10)


def test_twenty_views_through_the_edge_are_one_miss_nineteen_hits_and_one_render(
    monitored, make_newsroom
):
    article = make_newsroom()[0]
    monitored.edge.ban_everything()
    edge_before, django_before = scrape(monitored.varnish_metrics), scrape(monitored.django_metrics)

    url = monitored.edge.url + article.get_absolute_url()
    responses = [requests.get(url, timeout=10) for _ in range(20)]
    assert [response.headers["X-Cache"] for response in responses] == ["MISS"] + ["HIT"] * 19

    def edge_gained(name, edge):
        return total(edge, name) - total(edge_before, name)

    # Varnish's threads add their counts to the shared counters when they go idle, a moment
    # after the response: wait for the twentieth request to show.
    def edge_counted_all():
        edge = scrape(monitored.varnish_metrics)
        counted = edge_gained("varnish_main_cache_hit", edge) + edge_gained(
            "varnish_main_cache_miss", edge
        )
        return counted >= 20 and edge

    edge = engines.wait_until(edge_counted_all, "Varnish's counters", seconds=10)
    assert edge_gained("varnish_main_cache_hit", edge) == 19
    assert edge_gained("varnish_main_cache_miss", edge) == 1

    django = scrape(monitored.django_metrics)

    def django_gained(name, **labels):
        return total(django, name, **labels) - total(django_before, name, **labels)

    # The one miss reached Django, which rendered the page from an empty cache.
    assert django_gained("newsite_requests_total", view="article") == 1
    assert django_gained("newsite_requests_total", view="article", outcome="cold") == 1
    # …and ran the queries its Server-Timing header reports.
    queries = sql_queries(responses[0].headers)
    assert queries > 0
    assert django_gained("newsite_request_sql_queries_sum", view="article") == queries
