"""Run the whole stack on this machine: Varnish → gunicorn → PostgreSQL and Redis.

    make stack

Varnish answers at http://127.0.0.1:8080/ and passes misses to gunicorn on 127.0.0.1:8000,
which uses the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (by default the local
servers). The database is created, migrated and seeded if empty; Ctrl-C stops everything this
started. It runs production settings (DEBUG off) over plain http, for trying things out and
for the benchmarks; it is not a deployment. The staff account gets a generated password, kept
in .stack/editor_password and printed at every start.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

PROJECT = Path(__file__).resolve().parent.parent
STATE = PROJECT / ".stack"
sys.path.insert(0, str(PROJECT))

from demo.credentials import demo_readers_in_words  # noqa: E402
from deploy.varnish.render import render  # noqa: E402

EDGE_PORT = int(os.environ.get("STACK_EDGE_PORT", "8080"))
APP_PORT = int(os.environ.get("STACK_APP_PORT", "8000"))
ARTICLES = os.environ.get("STACK_ARTICLES", "2000")
INSTALL_VARNISH = "sudo apt-get install varnish"


def say(message):
    print(f"[stack] {message}", flush=True)


def kept_secret(name, length):
    """A random secret generated on first use and kept in .stack/<name>, readable by us only."""
    STATE.mkdir(exist_ok=True)
    path = STATE / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(length))
    return path.read_text().strip()


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
        GUNICORN_BIND=f"127.0.0.1:{APP_PORT}",
    )
    return env


def create_database(url):
    """CREATE DATABASE if the one DATABASE_URL names does not exist yet."""
    address = urlsplit(url)
    name = address.path.lstrip("/")
    connection = psycopg2.connect(
        host=address.hostname,
        port=address.port or 5432,
        user=address.username,
        password=address.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            say(f"Creating the database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def manage(env, *arguments):
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=PROJECT, env=env, check=True)


def wait_for(url, process, name, seconds=60):
    """Return once `url` answers 200; exit if the process dies or the time runs out.

    A server that is still starting may refuse the connection, or accept it and not answer
    yet (gunicorn listens before its workers have booted: the read times out), or answer with
    an error: all of them mean "not yet", never a failure (OSError covers them all).
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"[stack] {name} exited with status {process.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"[stack] {name} did not answer at {url} within {seconds} s.")


def main():
    varnishd = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if varnishd is None:
        raise SystemExit(
            f"[stack] Varnish is not installed. On Debian or Ubuntu: {INSTALL_VARNISH}"
        )
    env = environment()
    if urlsplit(env["DATABASE_URL"]).scheme.startswith("postgres"):
        create_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed", "--if-empty", "--articles", ARTICLES)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    varnish_dir = STATE / "varnish"
    varnish_dir.mkdir(exist_ok=True)
    top = varnish_dir / "top.vcl"
    top.write_text(
        render(
            ("127.0.0.1", str(APP_PORT)),
            ["127.0.0.1", "::1"],
            purge_secret=env["NEWSITE_EDGE_PURGE_SECRET"],
        )
    )

    processes = []
    try:
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        processes.append(subprocess.Popen([*gunicorn, "newsite.wsgi"], cwd=PROJECT, env=env))
        wait_for(f"http://127.0.0.1:{APP_PORT}/-/alive/", processes[-1], "gunicorn")
        # -F: stay in the foreground, as our child. -j none: no privilege-separation jail,
        # which would need the varnish users (fine for a local stack, not for production).
        varnish = [
            varnishd, "-F", "-j", "none", "-n", str(varnish_dir),
            "-a", f"127.0.0.1:{EDGE_PORT}", "-f", str(top), "-s", "malloc,256m",
        ]  # fmt: skip
        processes.append(subprocess.Popen(varnish, cwd=PROJECT))
        wait_for(f"http://127.0.0.1:{EDGE_PORT}/-/alive/", processes[-1], "Varnish")
        say(f"The Daily Cache, through Varnish:  http://127.0.0.1:{EDGE_PORT}/")
        say(f"The newsroom (admin):               http://127.0.0.1:{EDGE_PORT}/admin/")
        say(f"gunicorn directly, without the edge: http://127.0.0.1:{APP_PORT}/")
        say(f"Staff account: editor / {env['NEWSITE_EDITOR_PASSWORD']}  (kept in .stack/)")
        say(f"Demo readers: {demo_readers_in_words()}")
        say("Ctrl-C stops Varnish and gunicorn.")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        say("A server stopped; stopping the others.")
    except KeyboardInterrupt:
        say("Stopping.")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
