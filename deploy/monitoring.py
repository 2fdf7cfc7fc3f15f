"""Prometheus and the exporters it scrapes, started beside `make stack` and `make cluster`.

Each engine gets its exporter from Debian's packages, started by deploy/engines.py on a free
loopback port; Prometheus scrapes them with the project's configuration, rules and dashboard
(deploy/prometheus/). Its data goes to a temporary directory removed when it stops: the numbers
are for watching this run, not for keeping. NEWSITE_MONITORING=off starts none of it.
"""

import shutil
import tempfile
from pathlib import Path

from deploy import engines
from deploy.prometheus.render import render
from newsite.configuration import read as env

DASHBOARD_PATH = "/consoles/newsite.html"
# The exporter that each scrape job of deploy/prometheus/prometheus.yml needs.
EXPORTERS = {
    "varnish": "prometheus-varnish-exporter",
    "postgres": "prometheus-postgres-exporter",
    "redis": "prometheus-redis-exporter",
    "sentinel": "prometheus-redis-exporter",
}


def wanted():
    """Unless NEWSITE_MONITORING=off (or false, 0, no): monitoring costs a few processes."""
    return env("NEWSITE_MONITORING")


class Monitoring:
    """Exporters started with `watch_*`, endpoints that serve themselves added with `scrape`,
    then `start_prometheus`; `stop` ends them all and removes their directory.

    Without an exporter's package, that job is left out and `say` says what to install; the
    rest of the site runs on regardless.
    """

    def __init__(self, say=print):
        self.say = say
        self.directory = Path(tempfile.mkdtemp(prefix="newsite-monitoring-"))
        self.targets = {}
        self.engines = []
        self.prometheus = None
        self.reported_missing = set()

    @property
    def dashboard_url(self):
        return f"{self.prometheus.url}{DASHBOARD_PATH}"

    def scrape(self, job, address, name):
        """Have Prometheus scrape `address` (HOST:PORT) under `job`, as the engine `name`."""
        self.targets.setdefault(job, []).append(f"{name}={address}")

    def watch(self, job, name, build):
        """Start the exporter `build(port)` on a free port; scrape it under `job`, as `name`."""
        missing = engines.missing_binaries([EXPORTERS[job]])
        if missing:
            if missing not in self.reported_missing:
                self.reported_missing.add(missing)
                self.say(f"Not watched: {job} ({missing})")
            return
        exporter = engines.start(build)
        self.engines.append(exporter)
        self.scrape(job, f"127.0.0.1:{exporter.port}", name)

    def watch_varnish(self, varnish_directory, name="varnish"):
        self.watch(
            "varnish",
            name,
            lambda port: engines.varnish_exporter(
                self.directory, port, varnish_directory, name=f"{name}-exporter"
            ),
        )

    def watch_postgres(self, database_url, name="postgres"):
        self.watch(
            "postgres",
            name,
            lambda port: engines.postgres_exporter(
                self.directory, port, database_url, name=f"{name}-exporter"
            ),
        )

    def watch_redis(self, redis_url, name="redis", job="redis"):
        self.watch(
            job,
            name,
            lambda port: engines.redis_exporter(
                self.directory, port, redis_url, name=f"{name}-exporter"
            ),
        )

    def start_prometheus(self, port=0):
        """Prometheus on `port` (0: a free one), scraping itself and every target so far."""

        def build(port):
            configuration = self.directory / "prometheus.yml"
            targets = {**self.targets, "prometheus": [f"prometheus=127.0.0.1:{port}"]}
            configuration.write_text(render(targets))
            return engines.prometheus(self.directory, port, configuration)

        self.prometheus = engines.start(build, port)
        self.engines.append(self.prometheus)
        return self

    def stop(self):
        engines.stop_all(self.engines)
        shutil.rmtree(self.directory, ignore_errors=True)


def start(prepare, prometheus_port, say=print):
    """A Monitoring that `prepare(monitoring)` fills with exporters and targets, then its
    Prometheus; whatever fails to start is stopped and removed again."""
    if engines.binary("prometheus") is None:
        say(f"Not monitored: {engines.missing_binaries(['prometheus'])}")
        return None
    monitoring = Monitoring(say)
    try:
        prepare(monitoring)
        return monitoring.start_prometheus(prometheus_port)
    except BaseException:
        monitoring.stop()
        raise
