"""Prometheus metrics from Django: after known traffic, the series say exactly what happened.

These run in the test process, where prometheus_client keeps the series in memory; the
gunicorn tests (test_metrics_gunicorn.py) check the same series across worker processes.
"""

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from newsite.cache import layers, metrics
from newsite.cache.exporter import UnsavedReadsCollector
from tests.server_timing import cache_outcomes, server_timing, sql_queries

pytestmark = pytest.mark.django_db


class Series:
    """What the registry's samples gained since this object was made."""

    def __init__(self):
        self.before = self.samples()

    @staticmethod
    def samples():
        found = {}
        for family in REGISTRY.collect():
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found

    def gained(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return self.samples().get(key, 0.0) - self.before.get(key, 0.0)

    def gained_in_total(self, name, **labels):
        """Summed over every series of `name` whose labels include `labels`."""
        now = self.samples()
        wanted = set(labels.items())
        return sum(
            value - self.before.get(key, 0.0)
            for key, value in now.items()
            if key[0] == name and wanted <= set(key[1])
        )


def requests_counted(series, view, outcome, status="2xx"):
    return series.gained("newsite_requests_total", view=view, outcome=outcome, status=status)


def lookups_counted(series, layer):
    outcomes = ("hit", "miss", "stale", "waited")
    counted = {
        outcome: series.gained("newsite_cache_lookups_total", layer=layer, outcome=outcome)
        for outcome in outcomes
    }
    return {outcome: count for outcome, count in counted.items() if count}


def test_twenty_views_of_the_home_page_are_one_cold_render_and_nineteen_page_cache_hits(
    client, make_newsroom
):
    make_newsroom()
    series = Series()
    first = client.get("/")
    for _ in range(19):
        assert cache_outcomes(client.get("/"), "page") == {"hit": 1}

    assert requests_counted(series, "home", metrics.COLD) == 1
    assert requests_counted(series, "home", metrics.PAGE_CACHE) == 19
    assert requests_counted(series, "home", metrics.WARM) == 0
    # The queries the one render ran, as its own Server-Timing header says; none after it.
    assert sql_queries(first) == 7
    assert series.gained("newsite_request_sql_queries_sum", view="home") == 7
    assert series.gained("newsite_request_sql_queries_count", view="home") == 20
    assert series.gained("newsite_request_sql_queries_bucket", view="home", le="0.0") == 19
    assert lookups_counted(series, "page") == {"miss": 1, "hit": 19}
    for layer in ("query", "fragment"):
        assert lookups_counted(series, layer) == dict(cache_outcomes(first, layer)), layer


def test_a_render_from_warm_query_and_fragment_caches_is_counted_warm(
    client, make_newsroom, settings
):
    article = make_newsroom()[0]
    url = article.get_absolute_url()
    client.get(url)  # fills every cache
    settings.NEWSITE_CACHE_LAYERS = layers.parse("query,fragment")
    series = Series()

    warm = client.get(url)

    assert sql_queries(warm) == 0
    assert requests_counted(series, "article", metrics.WARM) == 1
    assert requests_counted(series, "article", metrics.COLD) == 0
    assert series.gained("newsite_request_sql_queries_sum", view="article") == 0
    assert lookups_counted(series, "page") == {}
    assert lookups_counted(series, "query") == dict(cache_outcomes(warm, "query"))
    assert lookups_counted(series, "fragment") == dict(cache_outcomes(warm, "fragment"))


def test_time_per_component_adds_up_to_the_time_of_the_requests(client, make_newsroom):
    make_newsroom()
    series = Series()
    response = client.get("/")

    def component(name):
        return series.gained("newsite_request_component_seconds_total", view="home", component=name)

    total = series.gained("newsite_request_duration_seconds_sum", view="home", outcome="cold")
    parts = {name: component(name) for name in ("sql", "cache", "template", "app")}
    assert sum(parts.values()) == pytest.approx(total)
    assert all(seconds > 0 for seconds in parts.values()), parts
    # The same split as the response's own Server-Timing header, to its 0.1 ms rounding.
    header = server_timing(response)
    for name in ("sql", "cache", "template"):
        assert parts[name] * 1000 == pytest.approx(header[name][0], abs=0.051), name


def test_requests_are_labelled_by_page_kind_and_status_class(client, make_newsroom):
    article = make_newsroom()[0]
    series = Series()
    client.get(article.section.get_absolute_url())
    client.get(reverse("articles:home") + "no-such-section/")
    client.get("/-/alive/")
    client.get("/definitely/not/a/page/")

    assert series.gained_in_total("newsite_requests_total", view="section", status="2xx") == 1
    assert series.gained_in_total("newsite_requests_total", view="section", status="4xx") == 1
    assert series.gained_in_total("newsite_requests_total", view="alive") == 1
    assert series.gained_in_total("newsite_requests_total", view="unknown", status="4xx") == 1


def test_a_page_cache_hit_keeps_its_page_kind(client, make_newsroom):
    """The page cache answers before URL resolution, yet the hit is counted as an article."""
    url = make_newsroom()[0].get_absolute_url()
    client.get(url)
    series = Series()
    client.get(url)
    assert requests_counted(series, "article", metrics.PAGE_CACHE) == 1


def test_an_edit_counts_one_invalidation_and_its_tags_by_kind(
    make_newsroom, django_capture_on_commit_callbacks
):
    article = make_newsroom()[0]
    series = Series()
    with django_capture_on_commit_callbacks(execute=True):
        article.headline = "A headline that changed"
        article.save()

    assert series.gained("newsite_invalidations_total") == 1
    assert series.gained("newsite_invalidated_tags_total", kind="article") >= 1
    assert series.gained("newsite_invalidated_tags_total", kind="section") >= 1


def test_bans_are_counted_per_node_and_outcome():
    series = Series()
    metrics.count_ban("http://127.0.0.1:6081", metrics.BAN_RETRIED)
    metrics.count_ban("http://127.0.0.1:6081", metrics.BAN_SENT)
    labels = {"node": "http://127.0.0.1:6081"}
    assert series.gained("newsite_edge_bans_total", outcome="retried", **labels) == 1
    assert series.gained("newsite_edge_bans_total", outcome="sent", **labels) == 1
    assert series.gained("newsite_edge_bans_total", outcome="given_up", **labels) == 0


def unsaved_reads():
    return {family.name: family.samples[0].value for family in UnsavedReadsCollector().collect()}


@pytest.mark.redis
def test_reads_waiting_to_be_saved_are_read_from_redis_at_scrape_time(client, make_newsroom):
    first, second = make_newsroom()[:2]
    for article, reads in ((first, 3), (second, 2)):
        for _ in range(reads):
            client.post(article.read_beacon_url)
    assert unsaved_reads() == {"newsite_reads_unsaved": 5, "newsite_reads_unsaved_articles": 2}


@pytest.mark.redis
def test_with_redis_unreachable_the_scrape_has_no_unsaved_reads_and_no_error(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "newsite.cache.backend.RedisCache",
            # Port 9 (discard) on loopback: nothing listens, the connection is refused.
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    assert unsaved_reads() == {}


def test_without_redis_there_are_no_unsaved_reads_to_report(settings):
    settings.CACHES = {"default": {"BACKEND": "newsite.cache.backend.LocMemCache"}}
    assert unsaved_reads() == {}
