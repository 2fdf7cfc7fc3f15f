"""Give the test session a real PostgreSQL and Redis: the ones DATABASE_URL and REDIS_URL name,
or else throwaway servers started from the installed binaries and stopped at the end.

Django reads those variables once, when pytest-django loads the settings in its own
``pytest_load_initial_conftests`` hook, before any conftest.py is imported; so this is a plugin
loaded with ``-p tests.services`` whose hook wraps pytest-django's and sets them first. A test
marked ``postgres`` or ``redis`` is skipped when its service is missing, and fails under CI=true.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deploy import engines

STARTUP_TIMEOUT_SECONDS = 30
DATABASE_NAME = "newsite"

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis", "timescale", "timescalegis"}
SQLITE_SCHEMES = {"sqlite", "spatialite"}

POSTGRES_INSTALL_HINT = f"apt-get install {engines.PACKAGES['postgres']}"
REDIS_INSTALL_HINT = f"apt-get install {engines.PACKAGES['redis-server']}"


@dataclass
class Service:
    """What the session knows about one service. `available` is keyed by the marker name."""

    name: str
    available: bool = False
    # One line saying why the service is missing and what to do about it.
    reason: str = ""
    # The server's log tail when it failed to start, for the header and CI failures.
    details: str = ""
    # The user chose the fallback (DATABASE_URL=sqlite://...): skip its tests even under CI.
    chosen_by_user: bool = False
    # For the report header, e.g. "PostgreSQL 15 throwaway on 127.0.0.1:45123".
    description: str = ""


available: dict[str, Service] = {
    "postgres": Service("PostgreSQL"),
    "redis": Service("Redis"),
    "browser": Service("Chromium"),
    "varnish": Service("Varnish"),
}

# The servers this plugin started (deploy/engines.py), if any; a test may stop and restart
# Redis through them.
postgres_server: engines.Engine | None = None
redis_server: engines.Engine | None = None

# Temporary directories to remove and variables to unset when the session ends.
temporary_directories: list[Path] = []
variables_set_here: list[str] = []
startup_seconds = 0.0


class ServiceUnavailable(Exception):
    """A service cannot be provided: a one-line reason, and the server's log tail if any."""

    def __init__(self, reason: str, details: str = "") -> None:
        super().__init__(reason)
        self.details = details


def make_temporary_directory(prefix: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    temporary_directories.append(directory)
    return directory


def start_throwaway(build) -> engines.Engine:
    """Start `build(port)` on a free port (another, if somebody takes it first), or raise
    ServiceUnavailable with the reason in one line and the server's log tail."""
    try:
        return engines.start_on_a_free_port(build, seconds=STARTUP_TIMEOUT_SECONDS)
    except engines.EngineFailed as error:
        raise ServiceUnavailable(error.reason, error.details) from None


# ------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------
def start_postgres_cluster(durable: bool = False) -> engines.Engine:
    """Create a throwaway cluster and start it on a free port (stop it with .stop()).

    `durable` keeps synchronous commits, as in production, for a test that crashes the server
    and counts what survived; otherwise durability is switched off, for speed. fsync is off
    either way: it only matters if the machine itself crashes, which no test does.
    """
    if importlib.util.find_spec("psycopg2") is None:
        raise ServiceUnavailable("psycopg2 not installed: pip install psycopg2-binary")
    if engines.binary("postgres") is None or engines.binary("initdb") is None:
        raise ServiceUnavailable(f"PostgreSQL not found: {POSTGRES_INSTALL_HINT}")
    directory = make_temporary_directory("newsite-test-postgres-")
    settings = {
        "synchronous_commit": "on" if durable else "off",
        "full_page_writes": "off",
    }
    # The first build creates the cluster (initdb); a build on another port reuses it.
    return start_throwaway(
        lambda port: engines.postgres(
            directory, port, durable=False, settings=settings, name="PostgreSQL"
        )
    )


def create_database(server: engines.Engine, name: str) -> str:
    """CREATE DATABASE `name` on the server; returns its DATABASE_URL."""
    url = f"postgres://postgres@127.0.0.1:{server.port}/{name}"
    engines.ensure_database(url)
    return url


def restart_postgres(server: engines.Engine) -> None:
    """Start a stopped throwaway PostgreSQL again, on its port, and wait until it serves."""
    if not server.running:
        server.start(STARTUP_TIMEOUT_SECONDS)


def start_postgres() -> str:
    """Start this session's throwaway cluster and return its DATABASE_URL."""
    global postgres_server
    postgres_server = start_postgres_cluster()
    url = create_database(postgres_server, DATABASE_NAME)
    port = postgres_server.port
    version = int(engines.postgres_query(port, "SHOW server_version_num")) // 10000
    available["postgres"].description = f"PostgreSQL {version} throwaway on 127.0.0.1:{port}"
    return url


# ------------------------------------------------------------------------------
# Redis
# ------------------------------------------------------------------------------
def start_redis_server() -> str:
    """Start a throwaway Redis and return its REDIS_URL."""
    global redis_server
    if engines.binary("redis-server") is None:
        raise ServiceUnavailable(f"redis-server not found: {REDIS_INSTALL_HINT}")
    directory = make_temporary_directory("newsite-test-redis-")
    redis_server = start_throwaway(lambda port: engines.redis(directory, port, name="Redis"))
    available["redis"].description = f"Redis throwaway on 127.0.0.1:{redis_server.port}"
    return f"redis://127.0.0.1:{redis_server.port}/0"


def controlled_redis() -> engines.Engine:
    if redis_server is None:
        if available["redis"].available:
            why = "REDIS_URL came from the environment"
        else:
            why = f"there is no Redis ({available['redis'].reason})"
        raise RuntimeError(f"tests.services did not start this session's Redis: {why}")
    return redis_server


def stop_redis() -> None:
    """Stop the throwaway Redis, to test how the site behaves with Redis down."""
    controlled_redis().stop()


@contextlib.contextmanager
def redis_hanging():
    """Redis stops answering inside the block but keeps its data, as when it is overloaded or
    the network drops packets: its process is stopped (SIGSTOP), and continued after."""
    server = controlled_redis()
    server.pause()
    try:
        yield
    finally:
        server.resume()


def start_redis() -> None:
    """Start the throwaway Redis again on the same port (Django's settings hold the URL) and
    wait until it answers PING. It starts empty. Does nothing if it is running."""
    server = controlled_redis()
    if not server.running:
        server.start(STARTUP_TIMEOUT_SECONDS)


# ------------------------------------------------------------------------------
# Choosing, starting and stopping the services
# ------------------------------------------------------------------------------
def describe_url(url: str) -> str:
    # Host and port only: the URL may hold a password.
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port}" if parts.port else host


def development_settings() -> None:
    """The session runs the development configuration, as `make run` does: DEBUG on at start
    (the embedded secret key); pytest-django turns DEBUG off while tests run. The site's
    address is the test client's, so that absolute links lead back to it."""
    for name, value in {"DJANGO_DEBUG": "true", "NEWSITE_SITE_URL": "http://testserver"}.items():
        if name not in os.environ:
            os.environ[name] = value
            variables_set_here.append(name)


def provide_database() -> None:
    service = available["postgres"]
    url = os.environ.get("DATABASE_URL", "")
    if url:
        scheme = urlsplit(url).scheme.split("+")[0].lower()
        if scheme in POSTGRES_SCHEMES:
            service.available = True
            service.description = f"PostgreSQL from DATABASE_URL ({describe_url(url)})"
        else:
            service.chosen_by_user = True
            kind = "SQLite" if scheme in SQLITE_SCHEMES else scheme
            service.reason = f"DATABASE_URL points at {kind}"
        return
    try:
        os.environ["DATABASE_URL"] = start_postgres()
    except ServiceUnavailable as error:
        service.reason, service.details = str(error), error.details
    else:
        variables_set_here.append("DATABASE_URL")
        service.available = True


def provide_cache() -> None:
    service = available["redis"]
    url = os.environ.get("REDIS_URL", "")
    if url:
        service.available = True
        service.description = f"Redis from REDIS_URL ({describe_url(url)})"
        return
    try:
        os.environ["REDIS_URL"] = start_redis_server()
    except ServiceUnavailable as error:
        service.reason, service.details = str(error), error.details
    else:
        variables_set_here.append("REDIS_URL")
        service.available = True


# Found by provide_browser(): the browser the Playwright tests drive.
chromium_path: str | None = None


def provide_browser() -> None:
    """Debian's Chromium: Playwright drives the installed browser, it downloads none of its own."""
    global chromium_path
    service = available["browser"]
    chromium_path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if chromium_path is None:
        service.reason = "Chromium not found: apt-get install chromium"
        return
    service.available = True
    service.description = f"Chromium at {chromium_path}"


def varnish_binaries() -> tuple[str, str, str] | None:
    """varnishd, varnishadm and varnishstat (Debian puts varnishd in /usr/sbin), or None."""
    found = [engines.binary(name) for name in ("varnishd", "varnishadm", "varnishstat")]
    return None if None in found else (found[0], found[1], found[2])


def provide_varnish() -> None:
    """Varnish, for the tests through the edge (started by fixtures: tests/stack.py)."""
    service = available["varnish"]
    if varnish_binaries() is None:
        service.reason = "Varnish not found: apt-get install varnish"
        return
    service.available = True
    service.description = "Varnish"


def stop_services() -> None:
    """Stop the servers, remove their directories and unset their variables. Idempotent."""
    for server in (redis_server, postgres_server):
        if server is not None:
            server.stop()
    while temporary_directories:
        shutil.rmtree(temporary_directories.pop(), ignore_errors=True)
    while variables_set_here:
        os.environ.pop(variables_set_here.pop(), None)


# A fallback for exits that skip pytest_unconfigure, such as Ctrl-C while Django starts.
atexit.register(stop_services)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1", "yes"}


def fails_when_missing(service: Service) -> bool:
    # In CI a missing service means a broken pipeline, which a skip would hide; but a user who
    # set DATABASE_URL to SQLite chose to run without PostgreSQL.
    return running_in_ci() and not service.chosen_by_user


def django_settings_already_loaded() -> bool:
    django_conf = sys.modules.get("django.conf")
    return django_conf is not None and django_conf.settings.configured


# ------------------------------------------------------------------------------
# Hooks
# ------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config):
    # A wrapper's code before its yield runs before every plain implementation, pytest-django's
    # included, tryfirst or not. The check catches settings loaded even earlier (by another
    # plugin, say), which would silently ignore the servers started here.
    if django_settings_already_loaded():
        raise pytest.UsageError(
            "Django settings were loaded before tests.services could set DATABASE_URL and "
            "REDIS_URL; load it with -p tests.services, not from a conftest.py."
        )
    options = early_config.known_args_namespace
    if not (options.help or options.version):
        global startup_seconds
        started = time.monotonic()
        try:
            development_settings()
            provide_database()
            provide_cache()
            provide_browser()
            provide_varnish()
        except BaseException:
            stop_services()
            raise
        startup_seconds = time.monotonic() - started
    try:
        return (yield)
    except BaseException:
        # Django failed to start: pytest exits without unconfiguring, so stop the servers now.
        stop_services()
        raise


def pytest_report_header(config: pytest.Config) -> list[str]:
    parts = []
    log_tails = []
    for marker, service in available.items():
        if service.available:
            parts.append(service.description)
            continue
        outcome = "FAIL under CI" if fails_when_missing(service) else "skip"
        parts.append(f"no {service.name}, {marker} tests {outcome} ({service.reason})")
        if service.details:
            log_tails.append(f"  {service.name} log tail:")
            log_tails += [f"    {line}" for line in service.details.splitlines()]
    started = f" (started in {startup_seconds:.1f} s)" if variables_set_here else ""
    # One line, unless a server failed to start: then its log tail says why.
    return ["services: " + ", ".join(parts) + started, *log_tails]


missing_service_key = pytest.StashKey[Service]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker, service in available.items():
            if not service.available and item.get_closest_marker(marker) is not None:
                item.stash[missing_service_key] = service
                break


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Acting here rather than adding skip marks at collection: raised from one place, the skips
    # fold into one summary line per reason, and a CI failure comes before any fixture (such as
    # creating the test database) runs. Skip marks on the test are still honoured first.
    service = item.stash.get(missing_service_key, None)
    if service is None:
        return
    if fails_when_missing(service):
        log_note = "; its log tail is in the session header" if service.details else ""
        pytest.fail(
            f"{service.reason} (CI=true: a missing service is a failure, not a skip{log_note})",
            pytrace=False,
        )
    pytest.skip(service.reason)


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_services()
