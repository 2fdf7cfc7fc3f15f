"""Helpers for the tests of the monitoring: a gunicorn with its metrics endpoint, reading what
an endpoint serves as Prometheus would store it, and what Prometheus itself scrapes."""

import contextlib
import re
from contextlib import contextmanager

import requests
from django.db import connection

from deploy import engines
from tests.stack import STARTUP_SECONDS, Gunicorn, collect_static

SECRET_KEY = "metrics-tests-only-secret-key-that-is-long-enough-to-pass-the-checks"


@contextmanager
def gunicorn_with_metrics(directory):
    """gunicorn on this session's test database and Redis, with production settings and its
    metrics on a port of its own (`.metrics_url`). Needs the test database set up."""
    database = connection.settings_dict
    environment = {
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "GUNICORN_METRICS_BIND": "127.0.0.1:0",
        "DJANGO_STATIC_ROOT": str(directory / "static"),
    }
    collect_static(environment["DJANGO_STATIC_ROOT"], environment)
    server = Gunicorn(directory, environment).start()
    server.metrics_url = metrics_url(server)
    try:
        yield server
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


def metrics_url(server):
    """The metrics address gunicorn's master wrote in its log (GUNICORN_METRICS_BIND :0)."""
    return engines.wait_until(
        lambda: engines.gunicorn_metrics_url(server.engine),
        "the metrics address in gunicorn's log",
        STARTUP_SECONDS,
        server.process,
    )


SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(url):
    """{(name, labels): value} as Prometheus stores them. (prometheus_client's own parser
    renames counters to end in _total, which Prometheus does not.)"""
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    samples = {}
    for line in response.text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = tuple(sorted(LABEL.findall(match["labels"] or "")))
            samples[(match["name"], labels)] = float(match["value"])
    return samples


def total(samples, name, **labels):
    wanted = set(labels.items())
    return sum(
        value
        for (sample, found), value in samples.items()
        if sample == name and wanted <= set(found)
    )


def target_health(prometheus):
    """{(job, instance): health} of everything Prometheus scrapes: "up", "down", or "unknown"
    until its first scrape."""
    response = requests.get(f"{prometheus}/api/v1/targets", timeout=5)
    response.raise_for_status()
    return {
        (target["labels"]["job"], target["labels"]["instance"]): target["health"]
        for target in response.json()["data"]["activeTargets"]
    }


def target_health_once_scraped(prometheus, seconds=30):
    """`target_health` once every target is up, or as it is after `seconds` (a scrape every
    5 s: each target's first comes within 5 s of Prometheus' start)."""
    with contextlib.suppress(TimeoutError):
        engines.wait_until(
            lambda: set(target_health(prometheus).values()) == {"up"},
            "every target scraped and up",
            seconds,
        )
    return target_health(prometheus)


def instant(prometheus, expression):
    """{instance: value} of an instant query."""
    response = requests.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=5)
    response.raise_for_status()
    return {
        series["metric"].get("instance", ""): float(series["value"][1])
        for series in response.json()["data"]["result"]
    }
