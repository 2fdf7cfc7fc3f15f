"""Run the whole stack on this machine: Varnish → gunicorn → PostgreSQL and Redis.

    make stack

Varnish answers at http://127.0.0.1:8080/ and passes misses to gunicorn on 127.0.0.1:8000,
which uses the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (by default the local
servers); Prometheus on 127.0.0.1:9190 watches them all, unless NEWSITE_MONITORING=off
(deploy/monitoring.py). The database is created, migrated and seeded if empty; Ctrl-C stops
everything this started (deploy/engines.py starts and stops each engine). It runs production
settings (DEBUG off) over plain http, for trying things out and `make load`; it is not a
deployment. The staff account gets a generated password, kept in .stack/editor_password and
printed at every start.
"""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from demo.credentials import demo_readers_in_words
from deploy import engines, monitoring
from deploy.varnish.render import render
from newsite import configuration

STATE = engines.PROJECT / ".stack"
EDGE_PORT = configuration.read("STACK_EDGE_PORT")
APP_PORT = configuration.read("STACK_APP_PORT")
ARTICLES = configuration.read("STACK_ARTICLES")
PROMETHEUS_PORT = configuration.read("STACK_PROMETHEUS_PORT")
# Where gunicorn's master serves Django's metrics (gunicorn.conf.py's default); empty for none.
METRICS_BIND = configuration.read("GUNICORN_METRICS_BIND")


def say(message):
    print(f"[stack] {message}", flush=True)


def kept_secret(name, length):
    """A random secret generated on first use and kept in .stack/<name>, readable by us only."""
    return engines.kept_secret(STATE, name, length)


def environment():
    """Production settings over plain http on loopback, with the edge in front.

    Varnish appends the client's address to X-Forwarded-For: one trusted proxy. Server-Timing
    keeps its detail, which the benchmarks read.
    """
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsite")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="false",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or kept_secret("secret_key", 50),
        DJANGO_ALLOWED_HOSTS=env.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost"),
        NEWSITE_SITE_URL=env.get("NEWSITE_SITE_URL") or f"http://127.0.0.1:{EDGE_PORT}",
        NEWSITE_TRUSTED_PROXIES="1",
        NEWSITE_SERVER_TIMING=env.get("NEWSITE_SERVER_TIMING") or "detail",
        NEWSITE_EDITOR_PASSWORD=kept_secret("editor_password", 12),
        DJANGO_STATIC_ROOT=str(STATE / "static"),
        VARNISH_NODES=f"http://127.0.0.1:{EDGE_PORT}",
        NEWSITE_EDGE_PURGE_SECRET=env.get("NEWSITE_EDGE_PURGE_SECRET")
        or kept_secret("purge_secret", 32),
    )
    return env


def prepare_the_site(env):
    """Create the database if it is missing, migrate it, seed it if empty, collect static."""
    database = urlsplit(env["DATABASE_URL"])
    if database.scheme.startswith("postgres") and engines.ensure_database(env["DATABASE_URL"]):
        say(f"Created the database {database.path.lstrip('/')}")

    def manage(*arguments):
        command = [sys.executable, "manage.py", *arguments]
        subprocess.run(command, cwd=engines.PROJECT, env=env, check=True)

    manage("migrate", "--noinput", "--verbosity", "0")
    manage("seed", "--if-empty", "--articles", str(ARTICLES))
    manage("collectstatic", "--noinput", "--verbosity", "0")


def start_servers(env):
    """gunicorn, then Varnish in front of it; their output goes to this terminal."""
    application = engines.gunicorn(
        STATE / "gunicorn", APP_PORT, env, metrics_bind=METRICS_BIND, show_output=True
    ).start()
    started = [application]
    try:
        top = STATE / "varnish" / "top.vcl"
        top.parent.mkdir(parents=True, exist_ok=True)
        top.write_text(
            render(
                ("127.0.0.1", str(APP_PORT)),
                ["127.0.0.1", "::1"],
                purge_secret=env["NEWSITE_EDGE_PURGE_SECRET"],
            )
        )
        edge = engines.varnish(top.parent, EDGE_PORT, top, show_output=True).start()
        started.append(edge)
        engines.wait_until(
            lambda: engines.url_answers(f"{edge.url}/-/alive/"),
            "Varnish passes /-/alive/ on to gunicorn",
            seconds=engines.STARTUP_SECONDS,
            process=edge.process,
        )
    except BaseException:
        engines.stop_all(started)
        raise
    return started


def start_monitoring(env, varnish_directory, metrics_bind=METRICS_BIND, port=PROMETHEUS_PORT):
    """Prometheus, scraping Django's metrics and the exporters of Varnish, PostgreSQL and
    Redis; None if Prometheus is not installed."""

    def prepare(watching):
        if metrics_bind:
            watching.scrape("django", metrics_bind, "gunicorn")
        watching.watch_varnish(varnish_directory)
        if urlsplit(env["DATABASE_URL"]).scheme.startswith("postgres"):
            watching.watch_postgres(env["DATABASE_URL"])
        if env.get("REDIS_URL"):
            watching.watch_redis(env["REDIS_URL"])

    return monitoring.start(prepare, port, say)


def describe(env, watching):
    say(f"The Daily Cache, through Varnish:  http://127.0.0.1:{EDGE_PORT}/")
    say(f"The newsroom (admin):               http://127.0.0.1:{EDGE_PORT}/admin/")
    say(f"gunicorn directly, without the edge: http://127.0.0.1:{APP_PORT}/")
    if watching is not None:
        say(f"The dashboard (Prometheus):         {watching.dashboard_url}")
    say(f"Staff account: editor / {env['NEWSITE_EDITOR_PASSWORD']}  (kept in .stack/)")
    say(f"Demo readers: {demo_readers_in_words()}")
    say("Ctrl-C stops everything this started.")


def main():
    # Ctrl-C and a plain `kill` both stop everything this started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    missing = engines.missing_binaries(["varnishd", "varnishadm"])
    if missing:
        raise SystemExit(f"[stack] {missing}")
    env = environment()
    servers, watching = [], None
    try:
        prepare_the_site(env)
        servers = start_servers(env)
        if monitoring.wanted():
            watching = start_monitoring(env, STATE / "varnish")
    except (engines.EngineFailed, KeyboardInterrupt) as error:
        engines.stop_all(servers)
        raise SystemExit(f"[stack] {error or 'Stopped.'}") from None
    try:
        describe(env, watching)
        while all(server.running for server in servers):
            time.sleep(0.5)
        say("A server stopped; stopping the others.")
    except KeyboardInterrupt:
        say("Stopping.")
    finally:
        if watching is not None:
            watching.stop()
        engines.stop_all(servers)


if __name__ == "__main__":
    main()
