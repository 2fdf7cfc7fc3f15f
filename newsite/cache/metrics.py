"""Prometheus metrics from Django: what every request cost, added up across requests and workers.

timing.py already measures each request: time per component and every cache lookup with its
answer. One middleware here adds those figures to counters and histograms, by page kind (the
URL's name) and by how the page was answered (page cache, warm render, cold render). Under
gunicorn every worker writes its counts to files that the master adds up (prometheus_client's
multiprocess mode, served by newsite/cache/exporter.py), so no worker's counts are lost.
"""

import collections
import time

from django.conf import settings
from django.urls import Resolver404, resolve
from prometheus_client import Counter, Histogram

from newsite.cache import tags

# From a page-cache hit (about a millisecond) to a cold render of a big page (about a second).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
QUERY_COUNT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)

requests = Counter(
    "newsite_requests",
    "Requests Django answered, by page kind, how it was answered and status class.",
    ["view", "outcome", "status"],
)
request_duration = Histogram(
    "newsite_request_duration_seconds",
    "Time from the outermost middleware in to the response out.",
    ["view", "outcome"],
    buckets=LATENCY_BUCKETS,
)
sql_queries = Histogram(
    "newsite_request_sql_queries",
    "SQL queries run by one request.",
    ["view"],
    buckets=QUERY_COUNT_BUCKETS,
)
component_seconds = Counter(
    "newsite_request_component_seconds",
    "Time spent per component: sql, cache, template, and app (the rest of Django). The four "
    "add up to the request's duration.",
    ["view", "component"],
)
cache_lookups = Counter(
    "newsite_cache_lookups",
    "Lookups in the query, fragment and page caches, by answer (hit, miss, stale, waited).",
    ["layer", "outcome"],
)
invalidations = Counter(
    "newsite_invalidations",
    "Invalidations: one per commit that changed tagged data (or one for everything).",
)
invalidated_tags = Counter(
    "newsite_invalidated_tags",
    "Tags invalidated, by kind (the part before the colon: article, section, …).",
    ["kind"],
)
edge_bans = Counter(
    "newsite_edge_bans",
    "Bans sent to an edge node, by outcome: sent (the node accepted it), retried (an attempt "
    "failed and will be made again), given_up (the last attempt failed).",
    ["node", "outcome"],
)

# How a request was answered.
PAGE_CACHE = "page-cache"  # from the page cache: no view ran
WARM = "warm"  # no SQL: everything came from the query and fragment caches
COLD = "cold"  # SQL ran

BAN_SENT = "sent"
BAN_RETRIED = "retried"
BAN_GIVEN_UP = "given_up"


def count_ban(node, outcome):
    """Count one ban attempt on `node`: a purge backend's name (purge_backends.py), the address
    of a Varnish node or fastly:<service id>."""
    edge_bans.labels(node=node, outcome=outcome).inc()


@tags.on_invalidate
def count_invalidation(tag_names):
    invalidations.inc()
    for tag in tag_names:
        kind = "everything" if tag == tags.EVERYTHING else tag.partition(":")[0]
        invalidated_tags.labels(kind=kind).inc()


def page_kind(request):
    """The URL's name ("home", "article", …): a label with few values, unlike the path.

    A page-cache hit never reaches URL resolution, so the path is resolved here for it.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "static" if request.path.startswith(settings.STATIC_URL) else "unknown"
    if "admin" in match.namespaces:
        return "admin"
    return match.url_name or "unnamed"


def outcome_of(timings):
    if any(layer == "page" and answer == "hit" for layer, _, answer in timings.lookups):
        return PAGE_CACHE
    return COLD if timings.calls["sql"] else WARM


class MetricsMiddleware:
    """Record each request's figures from `request.timings` (timing.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        timings = getattr(request, "timings", None)
        if timings is not None:
            self.record(request, response, timings, duration)
        return response

    def record(self, request, response, timings, duration):
        view = page_kind(request)
        outcome = outcome_of(timings)
        requests.labels(view, outcome, f"{response.status_code // 100}xx").inc()
        request_duration.labels(view, outcome).observe(duration)
        sql_queries.labels(view).observe(timings.calls["sql"])
        measured = {name: timings.seconds[name] for name in ("sql", "cache", "template")}
        measured["app"] = max(duration - sum(measured.values()), 0.0)
        for component, seconds in measured.items():
            component_seconds.labels(view, component).inc(seconds)
        # Counted first: a page makes dozens of lookups, with few distinct answers.
        for (layer, answer), count in collections.Counter(
            (lookup[0], lookup[2]) for lookup in timings.lookups
        ).items():
            cache_lookups.labels(layer, answer).inc(count)
