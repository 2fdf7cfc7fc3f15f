"""The metrics endpoint: gunicorn's master serves what all of its workers counted.

Each worker writes its counts to files in one directory (prometheus_client's multiprocess mode,
see metrics.py); the master adds them up when Prometheus scrapes. It listens on a loopback port
of its own (GUNICORN_METRICS_BIND), which the edge never forwards to, and it answers even when
every worker is busy, which is when the numbers matter most. deploy/gunicorn.conf.py calls the
hooks below. Without gunicorn (runserver, tests) the workers' metrics stay in memory, unserved.
"""

import os
import shutil
import tempfile

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The hot counter of article reads (articles/queries.py), whose counts not yet saved to
# PostgreSQL this reports (newsite/cache/counters.py).
READS_COUNTER = "reads"


def prepare_directory():
    """A fresh, empty directory for the workers' files, named in the environment they inherit.

    Call it before anything imports prometheus_client in the master: the library reads the
    variable once, on import, and the workers inherit the imported module from the master.
    Files left by an earlier run would add its counts to ours, hence a new directory each time.
    """
    memory = "/dev/shm" if os.path.isdir("/dev/shm") else None
    directory = tempfile.mkdtemp(prefix="newsite-metrics-", dir=memory)
    os.environ[DIRECTORY_VARIABLE] = directory
    return directory


def remove_directory():
    directory = os.environ.pop(DIRECTORY_VARIABLE, None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def parse_bind(bind):
    host, separator, port = bind.rpartition(":")
    if not separator or not port.isdigit():
        raise ValueError(f"GUNICORN_METRICS_BIND={bind!r} is not HOST:PORT, e.g. 127.0.0.1:9808")
    return host.strip("[]") or "127.0.0.1", int(port)


def start(bind, arbiter):
    """Serve /metrics on `bind` from a thread of the master; returns the server (None if the
    port is taken: the site serves on without its metrics, and the log says why)."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(GunicornCollector(arbiter))
    registry.register(UnsavedReadsCollector())
    host, port = parse_bind(bind)
    try:
        server, _ = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        arbiter.log.error("Metrics: cannot listen on %s (%s); serving without them.", bind, error)
        return None
    host, port = server.server_address[:2]
    arbiter.log.info("Metrics at: http://%s:%s/metrics", host, port)
    return server


def worker_exited(pid):
    """Forget a dead worker's gauges; its counters stay, so no count is lost."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


class GunicornCollector:
    """How many requests the workers can take at once: the denominator of saturation."""

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily(
            "newsite_gunicorn_workers", "Worker processes running.", len(self.arbiter.WORKERS)
        )
        yield GaugeMetricFamily(
            "newsite_gunicorn_threads",
            "Threads per worker: requests one worker serves at once.",
            self.arbiter.cfg.threads,
        )


class UnsavedReadsCollector:
    """Article reads counted in Redis and not yet saved by `flush_read_counts`, read from Redis
    at scrape time. With Redis down or not configured there is no sample, and no error."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        try:
            counts = self.unsaved_counts()
        except Exception:  # Redis down or unreachable: its own exporter says so
            return
        if counts is None:
            return
        yield GaugeMetricFamily(
            "newsite_reads_unsaved",
            "Article reads counted in Redis, waiting for flush_read_counts to save them.",
            sum(counts),
        )
        yield GaugeMetricFamily(
            "newsite_reads_unsaved_articles",
            "Articles with reads waiting to be saved.",
            len(counts),
        )

    def unsaved_counts(self):
        """The counts in Redis, through Django's cache settings; None without Redis."""
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsite.settings")
        import django_redis.cache
        from django.core.cache import caches

        if not isinstance(caches["default"], django_redis.cache.RedisCache):
            return None
        from newsite.cache.counters import RedisCounter

        return list(RedisCounter(READS_COUNTER, days=0).waiting().values())
