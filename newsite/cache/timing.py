"""Where the time went: a Server-Timing header on every response.

The header splits a request's time into SQL, cache, template rendering and the rest of Django
("app"), with the number of queries, cache calls, and the hits and misses of each cache layer.
Browsers show it in their network panel; the benchmarks add it up per component. Template time
excludes the SQL and cache calls made while rendering, so the parts add up to the total.
That detail is for development and measuring; production tells clients only the total
(settings.NEWSITE_SERVER_TIMING), which they can time for themselves anyway.
"""

import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.template.backends.django import DjangoTemplates, Template


@dataclass
class Timings:
    """What one request spent, filled in by the database wrapper, the cache and the layers."""

    seconds: Counter = field(default_factory=Counter)
    calls: Counter = field(default_factory=Counter)
    # (layer, key, outcome): every lookup of the query, fragment and page caches, in order.
    lookups: list = field(default_factory=list)
    rendering_depth: int = 0

    def header(self, total_seconds, detail=True):
        def milliseconds(seconds):
            return f"{seconds * 1000:.1f}"

        if not detail:
            return f"total;dur={milliseconds(total_seconds)}"
        sql, cache, template = (self.seconds[name] for name in ("sql", "cache", "template"))
        app = max(total_seconds - sql - cache - template, 0.0)
        metrics = [
            f'sql;dur={milliseconds(sql)};desc="{self.calls["sql"]} queries"',
            f'cache;dur={milliseconds(cache)};desc="{self.calls["cache"]} calls"',
            f"template;dur={milliseconds(template)}",
            f"app;dur={milliseconds(app)}",
            f"total;dur={milliseconds(total_seconds)}",
        ]
        for layer in ("query", "fragment", "page"):
            outcomes = Counter(outcome for kind, _, outcome in self.lookups if kind == layer)
            if outcomes:
                summary = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
                metrics.append(f'{layer}-cache;desc="{summary}"')
        return ", ".join(metrics)


_current: ContextVar[Timings | None] = ContextVar("timings", default=None)


def record(component, seconds):
    """Add one call of `component` ("sql", "cache") taking `seconds` to the current request."""
    timings = _current.get()
    if timings is not None:
        timings.seconds[component] += seconds
        timings.calls[component] += 1


def record_lookup(layer, key, outcome):
    """Note a cache layer's answer ("hit", "miss", "stale"): for the header and the toolbar."""
    timings = _current.get()
    if timings is not None:
        timings.lookups.append((layer, key, outcome))


@contextmanager
def rendering():
    """Time template rendering, minus the SQL and cache calls made while rendering."""
    timings = _current.get()
    if timings is None or timings.rendering_depth:
        yield
        return
    timings.rendering_depth += 1
    inside_before = timings.seconds["sql"] + timings.seconds["cache"]
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        inside = timings.seconds["sql"] + timings.seconds["cache"] - inside_before
        timings.seconds["template"] += elapsed - inside
        timings.rendering_depth -= 1


def _time_query(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        record("sql", time.perf_counter() - started)


class ServerTimingMiddleware:
    """Outside every middleware but the metrics' (which reads what it measured), so that its
    total covers everything below it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timings = Timings()
        request.timings = timings
        token = _current.set(timings)
        started = time.perf_counter()
        try:
            with ExitStack() as stack:
                for connection in connections.all(initialized_only=False):
                    stack.enter_context(connection.execute_wrapper(_time_query))
                response = self.get_response(request)
        finally:
            _current.reset(token)
        shown = settings.NEWSITE_SERVER_TIMING
        if shown != "off":
            total_seconds = time.perf_counter() - started
            response["Server-Timing"] = timings.header(total_seconds, detail=shown == "detail")
        return response


class TimedTemplate(Template):
    def render(self, context=None, request=None):
        with rendering():
            return super().render(context, request)


class TimedDjangoTemplates(DjangoTemplates):
    """Django's template engine, with each top-level render timed for Server-Timing."""

    def from_string(self, template_code):
        return TimedTemplate(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        return TimedTemplate(super().get_template(template_name).template, self)
