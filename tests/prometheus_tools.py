"""Prometheus' tools for the tests marked ``prometheus``: promtool, and the exporters the tests
start, from Debian's packages. Without them those tests skip with one line saying what to
install, and fail under CI=true, exactly as tests.services does for its services (whose table
of markers this plugin extends; loaded with -p, like it).
"""

import shutil

import pytest

from tests import services

# Each binary the tests run, and the Debian package it comes from.
PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-varnish-exporter": "prometheus-varnish-exporter",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "prometheus-redis-exporter": "prometheus-redis-exporter",
}

# Found by pytest_configure: {binary: path}.
paths: dict[str, str] = {}


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    service = services.Service("Prometheus")
    for binary in PACKAGES:
        path = shutil.which(binary)
        if path is not None:
            paths[binary] = path
    missing = sorted({package for binary, package in PACKAGES.items() if binary not in paths})
    if missing:
        service.reason = f"Prometheus' tools not found: apt-get install {' '.join(missing)}"
    else:
        service.available = True
        service.description = "Prometheus, promtool and the Varnish, PostgreSQL and Redis exporters"
    services.available["prometheus"] = service
