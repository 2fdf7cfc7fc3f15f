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
import ctypes
import glob
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

STARTUP_TIMEOUT_SECONDS = 30
SHUTDOWN_TIMEOUT_SECONDS = 10
# A free port is found by binding port 0 and closing the socket, so another process can take it
# before the server binds it; then the server is started again on another port.
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 15
DATABASE_NAME = "newsite"

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis", "timescale", "timescalegis"}
SQLITE_SCHEMES = {"sqlite", "spatialite"}

POSTGRES_INSTALL_HINT = "apt-get install postgresql"
REDIS_INSTALL_HINT = "apt-get install redis-server"


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


@dataclass
class ThrowawayServer:
    """A server process this plugin started, with everything needed to stop and restart it."""

    name: str
    command: list[str]
    port: int
    directory: Path
    log_path: Path
    # Sent to stop the server cleanly, and by the kernel if pytest dies without cleaning up.
    stop_signal: signal.Signals
    account: pwd.struct_passwd | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                # Its own session, so Ctrl-C reaches only pytest, which then stops the server
                # after the session teardown (dropping the test database) still needs it.
                start_new_session=True,
                preexec_fn=parent_death_signal(self.stop_signal),
                **account_arguments(self.account),
            )

    def stop(self, stop_signal: signal.Signals | None = None) -> None:
        """Stop the server with its own stop signal, or another (SIGQUIT crashes PostgreSQL)."""
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(stop_signal or self.stop_signal)
        try:
            self.process.wait(SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"


# The servers this plugin started, if any; a test may stop and restart Redis through them.
postgres_server: ThrowawayServer | None = None
redis_server: ThrowawayServer | None = None

# Temporary directories to remove and variables to unset when the session ends.
temporary_directories: list[Path] = []
variables_set_here: list[str] = []
startup_seconds = 0.0


class ServiceUnavailable(Exception):
    """A service cannot be provided: a one-line reason, and the server's log tail if any."""

    def __init__(self, reason: str, details: str = "") -> None:
        super().__init__(reason)
        self.details = details


class ServerExited(ServiceUnavailable):
    """The server process ended before answering; its log may say the port was taken."""


# ------------------------------------------------------------------------------
# Process helpers
# ------------------------------------------------------------------------------
try:
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    libc = None
PR_SET_PDEATHSIG = 1


def parent_death_signal(signal_number: signal.Signals):
    """Have the kernel signal the child when pytest dies, even by SIGKILL, where atexit never
    runs. Popen runs this after switching user, which matters: switching user clears it."""
    if libc is None:
        return None

    def set_parent_death_signal() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(signal_number))

    return set_parent_death_signal


def account_arguments(account: pwd.struct_passwd | None) -> dict:
    # Popen switches user itself rather than going through runuser, so the server stays our
    # direct child: its signals, exit status and parent-death signal are all our own.
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_temporary_directory(prefix: str, account: pwd.struct_passwd | None = None) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    temporary_directories.append(directory)
    if account is not None:
        os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


def wait_until_ready(server: ThrowawayServer, is_ready) -> None:
    """Poll until the server answers, failing early if it exits and late if it never answers.

    `is_ready(server)` must check that the answer comes from this server's process: if another
    server took the port first, ours exits, and that other one must not pass for it."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    pause = 0.01
    while True:
        assert server.process is not None
        if server.process.poll() is not None:
            raise ServerExited(
                f"{server.name} exited with status {server.process.returncode} on port "
                f"{server.port}: {last_error_line(server.log_tail())}",
                server.log_tail(),
            )
        if is_ready(server):
            return
        if time.monotonic() > deadline:
            server.stop()
            raise ServiceUnavailable(
                f"{server.name} did not answer on port {server.port} within "
                f"{STARTUP_TIMEOUT_SECONDS} s",
                server.log_tail(),
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def last_error_line(log: str) -> str:
    """The line of a log that most likely says what went wrong, to fit a reason on one line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    # PostgreSQL's severities, initdb's "error:", and the "#" of a Redis warning.
    errors = [line for line in lines if re.search(r"FATAL|ERROR|PANIC|error:| # ", line)]
    return (errors or lines or ["no log output"])[-1]


def start_on_a_free_port(build_server, is_ready) -> ThrowawayServer:
    for attempt in range(1, PORT_ATTEMPTS + 1):
        server = build_server(free_port())
        server.launch()
        try:
            wait_until_ready(server, is_ready)
        except ServerExited:
            if attempt < PORT_ATTEMPTS and "Address already in use" in server.log_tail():
                server.log_path.unlink(missing_ok=True)
                continue
            raise
        except BaseException:
            # Ctrl-C while waiting must not leave the half-started server behind.
            server.stop()
            raise
        return server
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------
def version_key(directory: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,), so 15 sorts above 9.6 as a number, not as text.
    return tuple(int(part) for part in re.findall(r"\d+", Path(directory).parent.name))


def has_server_binaries(directory: Path) -> bool:
    return (directory / "postgres").is_file() and (directory / "initdb").is_file()


def find_postgres_binaries() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        # pg_config comes with libpq-dev too, and may then name a bindir with no server in it.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            if has_server_binaries(Path(result.stdout.strip())):
                return Path(result.stdout.strip())
    # Debian and Ubuntu keep the server binaries off PATH, one directory per major version.
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True):
        if has_server_binaries(Path(directory)):
            return Path(directory)
    postgres = shutil.which("postgres")
    if postgres and has_server_binaries(Path(postgres).parent):
        return Path(postgres).parent
    return None


def postgres_account() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: ours, unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ServiceUnavailable(
            "PostgreSQL will not run as root and there is no postgres user: "
            f"{POSTGRES_INSTALL_HINT}, or run the tests as another user"
        ) from None


def postgres_data_directory(port: int) -> str | None:
    """The data directory of the PostgreSQL answering on the port, None if none answers."""
    import psycopg2

    try:
        connection = psycopg2.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2
        )
    except psycopg2.Error:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            return cursor.fetchone()[0]
    except psycopg2.Error:
        return None
    finally:
        connection.close()


def initialise_cluster(binaries: Path, data: Path, account: pwd.struct_passwd | None) -> None:
    # Under C.UTF-8, UPPER() and LOWER() (Django's iexact, icontains) handle accented letters as
    # a production server does, and sorting stays bytewise; C is for systems without it.
    for locale in ("C.UTF-8", "C"):
        result = subprocess.run(
            [
                binaries / "initdb",
                f"--pgdata={data}",
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                f"--locale={locale}",
                # No fsync: the cluster is thrown away at the end of the session.
                "--no-sync",
            ],
            cwd=data.parent,
            capture_output=True,
            text=True,
            timeout=120,
            **account_arguments(account),
        )
        if result.returncode == 0:
            return
        shutil.rmtree(data, ignore_errors=True)
    output_tail = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
    raise ServiceUnavailable(
        f"PostgreSQL initdb failed: {last_error_line(output_tail)}", output_tail
    )


def postgres_answers(server: ThrowawayServer) -> bool:
    """Whether the PostgreSQL answering on the server's port serves this server's cluster."""
    answering = postgres_data_directory(server.port)
    data = server.directory / "data"
    return answering is not None and os.path.realpath(answering) == os.path.realpath(data)


def start_postgres_cluster(durable: bool = False) -> ThrowawayServer:
    """Create a throwaway cluster and start it on a free port (stop it with .stop()).

    `durable` keeps synchronous commits, as in production, for a test that crashes the server
    and counts what survived; otherwise durability is switched off, for speed.
    """
    if importlib.util.find_spec("psycopg2") is None:
        raise ServiceUnavailable("psycopg2 not installed: pip install psycopg2-binary")
    binaries = find_postgres_binaries()
    if binaries is None:
        raise ServiceUnavailable(f"PostgreSQL not found: {POSTGRES_INSTALL_HINT}")
    account = postgres_account()
    directory = make_temporary_directory("newsite-test-postgres-", account)
    data = directory / "data"
    sockets = directory / "sockets"
    sockets.mkdir()
    if account is not None:
        os.chown(sockets, account.pw_uid, account.pw_gid)
    initialise_cluster(binaries, data, account)

    def build_server(port: int) -> ThrowawayServer:
        settings = {
            # First, so they apply to errors in the settings below: English messages, so a port
            # clash can be recognised in the log, and no prefix, so an error fits on one line.
            "lc_messages": "C",
            "log_line_prefix": "",
            "listen_addresses": "127.0.0.1",
            # Inside the temporary directory: never collides with the system server's socket.
            "unix_socket_directories": str(sockets),
            # Durability is pointless for a database dropped at the end of the session; fsync
            # only matters if the machine itself crashes, which no test does.
            "fsync": "off",
            "synchronous_commit": "on" if durable else "off",
            "full_page_writes": "off",
        }
        command = [str(binaries / "postgres"), "-D", str(data), "-p", str(port)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        return ThrowawayServer(
            name="PostgreSQL",
            command=command,
            port=port,
            directory=directory,
            log_path=directory / "postgres.log",
            # SIGINT is PostgreSQL's fast shutdown: it disconnects clients instead of waiting.
            stop_signal=signal.SIGINT,
            account=account,
        )

    return start_on_a_free_port(build_server, postgres_answers)


def create_database(server: ThrowawayServer, name: str) -> str:
    """CREATE DATABASE `name` on the server; returns its DATABASE_URL."""
    import psycopg2

    connection = psycopg2.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname="postgres"
    )
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction.
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
    finally:
        connection.close()
    return f"postgres://postgres@127.0.0.1:{server.port}/{name}"


def restart_postgres(server: ThrowawayServer) -> None:
    """Start a stopped throwaway PostgreSQL again, on its port, and wait until it serves."""
    if server.running:
        return
    server.launch()
    wait_until_ready(server, postgres_answers)


def start_postgres() -> str:
    """Start this session's throwaway cluster and return its DATABASE_URL."""
    global postgres_server
    postgres_server = start_postgres_cluster()
    url = create_database(postgres_server, DATABASE_NAME)
    available["postgres"].description = (
        f"PostgreSQL {postgres_major_version(postgres_server)} throwaway on "
        f"127.0.0.1:{postgres_server.port}"
    )
    return url


def postgres_major_version(server: ThrowawayServer) -> int:
    import psycopg2

    connection = psycopg2.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname="postgres"
    )
    try:
        return connection.server_version // 10000
    finally:
        connection.close()


# ------------------------------------------------------------------------------
# Redis
# ------------------------------------------------------------------------------
def redis_answers(server: ThrowawayServer) -> bool:
    """Whether this server's own Redis process answers PING on its port."""
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=1) as connection,
            connection.makefile("rb") as replies,
        ):
            connection.sendall(b"PING\r\nINFO server\r\n")
            # "-LOADING" while it reads a dump; only "+PONG" means it serves commands.
            if replies.readline() != b"+PONG\r\n":
                return False
            # INFO replies "$<length>\r\n" and then the text, which holds the process id.
            length = int(replies.readline().removeprefix(b"$"))
            text = replies.read(length)
    except (OSError, ValueError):
        return False
    match = re.search(rb"^process_id:(\d+)", text, re.MULTILINE)
    return match is not None and server.process is not None and int(match[1]) == server.process.pid


def start_redis_server() -> str:
    """Start a throwaway Redis and return its REDIS_URL."""
    global redis_server
    executable = shutil.which("redis-server")
    if executable is None:
        raise ServiceUnavailable(f"redis-server not found: {REDIS_INSTALL_HINT}")
    directory = make_temporary_directory("newsite-test-redis-")

    def build_server(port: int) -> ThrowawayServer:
        command = [
            executable,
            "--port", str(port),
            "--bind", "127.0.0.1",
            # No snapshots and no append-only file: a cache that starts empty every time.
            "--save", "",
            "--appendonly", "no",
            "--dir", str(directory),
            "--daemonize", "no",
        ]  # fmt: skip
        return ThrowawayServer(
            name="Redis",
            command=command,
            port=port,
            directory=directory,
            log_path=directory / "redis.log",
            stop_signal=signal.SIGTERM,
        )

    redis_server = start_on_a_free_port(build_server, redis_answers)
    available["redis"].description = f"Redis throwaway on 127.0.0.1:{redis_server.port}"
    return f"redis://127.0.0.1:{redis_server.port}/0"


def controlled_redis() -> ThrowawayServer:
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
    process = controlled_redis().process
    assert process is not None
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def start_redis() -> None:
    """Start the throwaway Redis again on the same port (Django's settings hold the URL) and
    wait until it answers PING. It starts empty. Does nothing if it is running."""
    server = controlled_redis()
    if server.running:
        return
    server.launch()
    wait_until_ready(server, redis_answers)


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
    names = ("varnishd", "varnishadm", "varnishstat")
    found = [shutil.which(name) or shutil.which(name, path="/usr/sbin") for name in names]
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
