"""Reading the Server-Timing header (newsite/cache/timing.py) in tests."""

import re
from collections import Counter

METRIC = re.compile(
    r'(?P<name>[\w-]+)(?:;dur=(?P<duration>[\d.]+))?(?:;desc="(?P<description>[^"]*)")?'
)


def server_timing(response):
    """{metric: (milliseconds or None, description or "")} from a response's header."""
    metrics = {}
    for match in METRIC.finditer(response["Server-Timing"]):
        duration = match["duration"]
        metrics[match["name"]] = (float(duration) if duration else None, match["description"] or "")
    return metrics


def cache_outcomes(response, layer):
    """Counter of the outcomes ("hit", "miss", …) of one cache layer's lookups."""
    _, description = server_timing(response).get(f"{layer}-cache", (None, ""))
    outcomes = Counter()
    for part in filter(None, description.split(", ")):
        count, outcome = part.split(" ", 1)
        outcomes[outcome] = int(count)
    return outcomes


def sql_queries(response):
    _, description = server_timing(response)["sql"]
    return int(description.split()[0])
