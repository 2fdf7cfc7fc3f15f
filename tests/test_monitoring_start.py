"""`make stack` starts Prometheus and an exporter per engine (deploy/monitoring.py), and every
layer is scraped healthy from the first minute; switched off, none of it starts. Real engines:
the edge stack of the tests, Debian's Prometheus and exporters."""

import pytest
import requests

from deploy import monitoring, stack
from tests.monitoring import instant, target_health_once_scraped


@pytest.mark.prometheus
@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_make_stack_starts_prometheus_which_scrapes_every_layer_healthy(monitored_edge_stack):
    edge_stack = monitored_edge_stack
    django = edge_stack.django_metrics.removeprefix("http://").removesuffix("/metrics")
    watching = stack.start_monitoring(
        edge_stack.application.environment, edge_stack.edge.directory, django, port=0
    )
    try:
        health = target_health_once_scraped(watching.prometheus.url)
        engines_up = instant(watching.prometheus.url, "varnish_up or pg_up or redis_up")
        dashboard = requests.get(watching.dashboard_url, timeout=10)
    finally:
        watching.stop()
    assert health == {
        ("prometheus", "prometheus"): "up",
        ("django", "gunicorn"): "up",
        ("varnish", "varnish"): "up",
        ("postgres", "postgres"): "up",
        ("redis", "redis"): "up",
    }
    # Each exporter reached its engine, not only answered.
    assert engines_up == {"varnish": 1, "postgres": 1, "redis": 1}
    assert dashboard.status_code == 200
    assert "The Daily Cache, live" in dashboard.text
    assert not watching.directory.exists(), "Prometheus' data goes with it"


@pytest.mark.parametrize("value", ["off", "false", "0"])
def test_monitoring_can_be_switched_off(monkeypatch, value):
    monkeypatch.setenv("NEWSITE_MONITORING", value)
    assert not monitoring.wanted()


def test_monitoring_is_on_unless_switched_off(monkeypatch):
    monkeypatch.delenv("NEWSITE_MONITORING", raising=False)
    assert monitoring.wanted()
