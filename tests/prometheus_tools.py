"""Prometheus' own tools for the tests marked ``prometheus``: Debian's prometheus package puts
promtool and prometheus on PATH. Without them those tests skip with one line saying what to
install, and fail under CI=true, exactly as tests.services does for its services (whose table
of markers this plugin extends; loaded with -p, like it).
"""

import shutil

import pytest

from tests import services

INSTALL_HINT = "apt-get install prometheus"

# Found by pytest_configure: the binaries the tests run.
promtool: str | None = None
prometheus: str | None = None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global promtool, prometheus
    service = services.Service("Prometheus")
    promtool = shutil.which("promtool")
    prometheus = shutil.which("prometheus")
    if promtool is None or prometheus is None:
        service.reason = f"Prometheus' promtool not found: {INSTALL_HINT}"
    else:
        service.available = True
        service.description = f"promtool at {promtool}"
    services.available["prometheus"] = service
