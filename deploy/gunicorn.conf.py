"""gunicorn settings for newsite behind Varnish. Each value says why.

Run: gunicorn -c deploy/gunicorn.conf.py newsite.wsgi   (GUNICORN_* variables override)
"""

import os

from newsite.cache import exporter
from newsite.configuration import read as env

# Where Varnish finds us. Loopback only: the edge is the only client.
bind = env("GUNICORN_BIND")

# 2 × cores + 1 workers, the usual start: while one worker waits on PostgreSQL or Redis,
# another has the CPU. Measure before changing it (make bench).
workers = env("GUNICORN_WORKERS")

# gthread rather than sync: Varnish keeps connections to the backend open and reuses them, and
# only threaded workers keep a connection alive between requests. A few threads per worker
# also absorb the small ESI fragment requests without queueing behind a page render.
worker_class = "gthread"
threads = env("GUNICORN_THREADS")

# Longer than Varnish's backend_idle_timeout (60 s): otherwise gunicorn closes a connection
# just as Varnish reuses it, and the request fails with a sporadic 503.
keepalive = 75

# Recycle workers now and then, so that a slow memory leak stays bounded; the jitter keeps them
# from all restarting at the same moment.
max_requests = 2000
max_requests_jitter = 200

# A page that takes longer than this is a bug; Varnish gives up after 30 s first-byte anyway.
timeout = 30
graceful_timeout = 20

# Workers signal they are alive by touching a file: on a memory filesystem that never waits
# for a disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Logs to stderr, collected by whatever runs gunicorn (systemd, make stack); an empty
# GUNICORN_ACCESS_LOG turns the access log off (the benchmarks do, to measure Django alone).
accesslog = env("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = env("GUNICORN_LOG_LEVEL")

# Metrics for Prometheus (newsite/cache/metrics.py): each worker counts into files that this
# master process adds up and serves on a port of its own, loopback by default, which the edge
# never forwards to (newsite/cache/exporter.py). An empty GUNICORN_METRICS_BIND turns it off.
metrics_bind = env("GUNICORN_METRICS_BIND")


def on_starting(server):
    if metrics_bind:
        # Before anything imports prometheus_client: the workers inherit the setting.
        exporter.prepare_directory()


def when_ready(server):
    if metrics_bind:
        server.metrics_server = exporter.start(metrics_bind, server)


def post_worker_init(worker):
    # Every worker delivers the bans owed to the edge (newsite/cache/purge_queue.py), its own
    # and those of workers that died: a ban outlives the worker that committed the edit.
    from newsite.cache import purge_queue

    purge_queue.start_deliverer()


def post_fork(server, worker):
    # The worker inherited the master's listening socket for metrics; only the master answers.
    metrics_server = getattr(server, "metrics_server", None)
    if metrics_server is not None:
        metrics_server.socket.close()


def child_exit(server, worker):
    if metrics_bind:
        exporter.worker_exited(worker.pid)


def on_exit(server):
    if metrics_bind:
        exporter.remove_directory()
