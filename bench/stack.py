"""The servers a benchmark measures: gunicorn in any cache configuration, Varnish, nginx.

Every server is pinned to the server cores and the load generator to its own (on this 2-core
machine: wrk on CPU 0, servers on CPU 1), so that they do not fight over one core unevenly.
Ports are fixed (81xx) so that a reader can point a browser at a running benchmark. The
engines are started, waited for and stopped by deploy/engines.py, as everywhere else.
"""

import os
import subprocess
import sys
import time

from deploy import engines
from deploy.varnish.render import render

PROJECT = engines.PROJECT
STATE = PROJECT / ".bench"
CPUS = os.cpu_count() or 1
LOAD_CPUS = "0"
SERVER_CPUS = ",".join(str(cpu) for cpu in range(1, CPUS)) or "0"
# What the engines are pinned to: nothing on a one-core machine.
SERVER_PINNING = SERVER_CPUS if CPUS > 1 else None
SECRET_KEY = "benchmark-only-secret-key-that-is-long-enough-and-random-enough-8fj3"
PURGE_SECRET = "benchmark-only-purge-secret-long-enough-3kd9"


def pinned(command, cpus):
    """Run `command` on these CPUs only (taskset), where the machine has more than one."""
    return ["taskset", "-c", cpus, *command] if CPUS > 1 else command


def database_url(name):
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def base_environment(database, redis_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "NEWSITE_EDGE_PURGE_SECRET": PURGE_SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(STATE / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "NEWSITE_SITE_URL": "http://127.0.0.1:8180",
        # The benchmarks read where the time went, and time search pages from one client.
        "NEWSITE_SERVER_TIMING": "detail",
        "NEWSITE_RATE_LIMIT_SEARCH": "1000000/m",
    }


def manage(environment, *arguments, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=environment,
        check=True,
        capture_output=capture,
        text=True,
    ).stdout


def empty_cache(redis_url):
    """Start from an empty cache. Its keys do not name the database, so entries left by a run
    on another dataset would answer for this one (a feed listing articles this one lacks)."""
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, capture_output=True)


def prepare_database(name, articles, environment, say):
    """Create, migrate and seed `name` with exactly `articles` articles (reused if it has them).

    Returns the seconds the seed took, or None when the database was reused.
    """
    engines.ensure_database(database_url(name))
    manage(environment, "migrate", "--noinput", "--verbosity", "0")
    count = int(
        manage(
            environment,
            "shell",
            "-c",
            "from articles.models import Article; print(Article.objects.count())",
            capture=True,
        ).split()[-1]
    )
    if count == articles:
        return None
    say(f"seeding {articles:,} articles into {name} (it had {count:,})")
    flush = ["--flush"] if count else []
    started = time.monotonic()
    manage(environment, "seed", "--articles", str(articles), *flush, "--verbosity", "1")
    return time.monotonic() - started


class Servers:
    """Starts servers and stops them all at the end (a context manager)."""

    def __init__(self):
        self.started = []
        STATE.mkdir(exist_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        engines.stop_all(self.started)

    def _start(self, engine):
        self.started.append(engine)
        engine.start()
        return engine.url

    def gunicorn(self, name, port, environment, **settings):
        """newsite under gunicorn with deploy/gunicorn.conf.py, its workers sized for the
        server cores (2 × cores + 1), without an access log."""
        return self._start(
            engines.gunicorn(
                STATE / name,
                port,
                {**environment, **settings},
                name=name,
                workers=2 * len(SERVER_CPUS.split(",")) + 1,
                # Counted as in production (each worker writes to shared files), served on a
                # port the kernel picks.
                metrics_bind="127.0.0.1:0",
                access_log=False,
                cpus=SERVER_PINNING,
            )
        )

    def varnish(self, name, port, backend_port, extra_vcl=""):
        directory = STATE / name
        directory.mkdir(exist_ok=True)
        top = directory / "top.vcl"
        top.write_text(
            render(
                ("127.0.0.1", str(backend_port)),
                ["127.0.0.1"],
                extra=extra_vcl,
                purge_secret=PURGE_SECRET,
            )
        )
        edge = engines.varnish(
            directory,
            port,
            top,
            name=name,
            memory="512m",
            # Room for the fragments of every session the benchmark signs in (run.py).
            reader_memory="512m",
            cpus=SERVER_PINNING,
        )
        url = self._start(edge)
        engines.wait_until(
            lambda: engines.url_answers(f"{url}/-/alive/"),
            f"{name} passes /-/alive/ on to its backend",
            seconds=engines.STARTUP_SECONDS,
            process=edge.process,
        )
        return url

    def varnish_counter(self, name, counter):
        """A varnishstat counter of the Varnish started as `name`."""
        output = subprocess.run(
            [engines.binary("varnishstat"), "-n", str(STATE / name), "-1", "-f", counter],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(output.split()[1])

    def nginx(self, name, port, root):
        """nginx serving the files in `root`: the practical limit of this machine."""
        directory = STATE / name
        directory.mkdir(exist_ok=True)
        configuration = directory / "nginx.conf"
        configuration.write_text(
            rf"""worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    keepalive_requests 100000;
    client_body_temp_path {directory};
    proxy_temp_path {directory};
    fastcgi_temp_path {directory};
    uwsgi_temp_path {directory};
    scgi_temp_path {directory};
    server {{
        listen 127.0.0.1:{port};
        root {root};
        # The pages as Varnish stores and sends them to browsers: gzipped.
        location ~ \.gz$ {{
            add_header Content-Encoding gzip;
        }}
    }}
}}
"""
        )
        url = f"http://127.0.0.1:{port}"
        return self._start(
            engines.Engine(
                name=name,
                command=["nginx", "-c", configuration, "-p", directory],
                port=port,
                directory=directory,
                # Any answer will do: the root has no index page.
                ready=lambda engine: engines.http_status(f"{url}/") is not None,
                cpus=SERVER_PINNING,
            )
        )
