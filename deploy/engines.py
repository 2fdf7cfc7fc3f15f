"""Start, wait for and stop the engines newsite runs on, each as a child process on loopback.

PostgreSQL (a primary, and a streaming replica made with pg_basebackup), PgBouncer, Redis and
its Sentinels, gunicorn, Varnish, HAProxy, Prometheus and its exporters: every command line is
written here once, and every engine is an `Engine` with its own port and directory, started
and waited for the same way.
Waiting is for the engine's own answer (a refused connection or a read timeout while it boots
only means "not yet"), and stopping ends only the processes this module started, by their pid.
`make stack`, `make cluster`, the benchmarks and the tests all start their engines here; the
tests also kill, freeze or restart one (`kill()`, `pause()`, `resume()`, `start()` again).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import http.client
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT / "deploy"
STARTUP_SECONDS = 60
STOP_SECONDS = 20
LOG_TAIL_LINES = 20

# The Debian packages that hold each engine, for the one-line hint when a binary is missing.
PACKAGES = {
    "postgres": "postgresql",
    "initdb": "postgresql",
    "pg_basebackup": "postgresql",
    "pgbouncer": "pgbouncer",
    "redis-server": "redis-server",
    "redis-sentinel": "redis-sentinel",
    "varnishd": "varnish",
    "varnishadm": "varnish",
    "haproxy": "haproxy",
    "prometheus": "prometheus",
    "prometheus-varnish-exporter": "prometheus-varnish-exporter",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "prometheus-redis-exporter": "prometheus-redis-exporter",
}


class EngineFailed(Exception):
    """An engine could not be started: `reason` says why in one line, `details` is its log tail."""

    def __init__(self, reason, details=""):
        super().__init__(reason)
        self.reason = reason
        self.details = details

    def __str__(self):
        return f"{self.reason}\n{self.details}" if self.details else self.reason


class EngineExited(EngineFailed):
    """The process ended before it answered (its log may say that its port was taken)."""


# ------------------------------------------------------------------------------
# Waiting: one loop, for an engine's answer and for anything a test waits on
# ------------------------------------------------------------------------------
def wait_until(condition, what, seconds=10, process=None):
    """Poll `condition()` until it returns something true, and return that.

    Raise EngineExited as soon as `process` (a Popen) has ended, and TimeoutError once
    `seconds` have passed. Never a fixed sleep: the pause grows from 10 ms to 0.2 s.
    """
    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        if process is not None and process.poll() is not None:
            raise EngineExited(f"{what}: the process exited with status {process.returncode}")
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"never happened within {seconds} s: {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


# ------------------------------------------------------------------------------
# Finding binaries and ports
# ------------------------------------------------------------------------------
@functools.cache
def postgres_binaries():
    """The directory of PostgreSQL's server binaries (postgres, initdb), or None."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        # pg_config comes with libpq-dev too, and may then name a bindir with no server in it.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            if _has_server_binaries(Path(result.stdout.strip())):
                return Path(result.stdout.strip())
    # Debian keeps the server binaries off PATH, one directory per major version.
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major_version)
    for directory in reversed(candidates):
        if _has_server_binaries(directory):
            return directory
    postgres = shutil.which("postgres")
    if postgres and _has_server_binaries(Path(postgres).parent):
        return Path(postgres).parent
    return None


def _has_server_binaries(directory):
    return (directory / "postgres").is_file() and (directory / "initdb").is_file()


def _major_version(directory):
    # /usr/lib/postgresql/15/bin -> (15,), so 15 sorts above 9.6 as a number, not as text.
    return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name))


def binary(name):
    """The path of an engine's binary (Debian puts some in /usr/sbin), or None."""
    if name in ("postgres", "pg_basebackup", "initdb"):
        directory = postgres_binaries()
        found = directory and directory / name
        return str(found) if found and found.is_file() else None
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")


def missing_binaries(names):
    """One line naming what to install for the binaries that are missing, or ""."""
    missing = [name for name in names if binary(name) is None]
    if not missing:
        return ""
    packages = sorted({PACKAGES.get(name, name) for name in missing})
    return f"{', '.join(missing)} not found: apt-get install {' '.join(packages)}"


_handed_out = set()


def free_port():
    """A port nobody listens on now. Another process may take it before our engine binds it:
    `Engine.start` then says so, and `start_on_a_free_port` tries another."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


# ------------------------------------------------------------------------------
# Local secrets: generated once, kept beside the engines that use them
# ------------------------------------------------------------------------------
def kept_secret(directory, name, length):
    """A random secret generated on first use and kept in `directory/name`, readable by its
    owner only: the same secret key and passwords at every start, and none of them known."""
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        write_private(path, secrets.token_urlsafe(length))
    return path.read_text().strip()


def write_private(path, text):
    """Write a file only its owner may read (a secret, or settings that hold one)."""
    path.touch(mode=0o600)
    path.write_text(text)


# ------------------------------------------------------------------------------
# One engine: a process, its port, its directory and its log
# ------------------------------------------------------------------------------
try:
    _libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    _libc = None
PR_SET_PDEATHSIG = 1


def _die_with_parent(stop_signal):
    """Have the kernel signal the engine when its parent dies, even by SIGKILL, so nothing is
    left behind. (It fires when the starting *thread* ends: start engines from the main one.)"""
    if _libc is None:
        return None
    return lambda: _libc.prctl(PR_SET_PDEATHSIG, int(stop_signal))


def postgres_account():
    """PostgreSQL and PgBouncer refuse to run as root: as root, they run as `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise EngineFailed(
            "PostgreSQL will not run as root and there is no postgres user: "
            "apt-get install postgresql, or run as another user"
        ) from None


def owned_directory(path, account=None):
    """`path`, created, and owned by `account` (which must also be able to reach it)."""
    path.mkdir(parents=True, exist_ok=True)
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)
        reachable = subprocess.run(["test", "-w", path, "-a", "-x", path], **_as(account))
        if reachable.returncode != 0:
            raise EngineFailed(
                f"The {account.pw_name} user cannot reach {path}: a folder above it is closed "
                "to other users: chmod o+x it, or keep the project where every user can reach it."
            )
    return path


@dataclass
class Engine:
    """One server process. `ready(engine)` says whether *this* process answers on its port.

    Port 0 lets the kernel pick a free one: `ready` then finds it (in the engine's own answer
    or log) and sets `port`. Its output goes to `<directory>/<name>.log`, or to our terminal
    with `show_output`; `cpus` pins it to those CPUs (taskset), for the benchmarks.
    """

    name: str
    command: list
    port: int
    directory: Path
    ready: Callable[[Engine], bool]
    environment: dict | None = None
    account: pwd.struct_passwd | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    cwd: Path | None = None
    show_output: bool = False
    cpus: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def log_path(self):
        return self.directory / f"{self.name}.log"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def start(self, seconds=STARTUP_SECONDS):
        """Start the process and wait until it answers; raise EngineFailed if it cannot."""
        self.launch()
        try:
            self.wait_until_ready(seconds)
        except BaseException:
            self.stop()  # Ctrl-C while waiting leaves nothing half-started behind
            raise
        return self

    def launch(self):
        command = [str(part) for part in self.command]
        if self.cpus is not None:
            command = ["taskset", "-c", self.cpus, *command]
        with contextlib.ExitStack() as files:
            output = None if self.show_output else files.enter_context(self.log_path.open("ab"))
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=None if self.show_output else subprocess.STDOUT,
                cwd=self.cwd or self.directory,
                env=self.environment,
                # Its own session: Ctrl-C reaches only whoever started it, who stops the
                # engines in order (the application servers before the database).
                start_new_session=True,
                preexec_fn=_die_with_parent(self.stop_signal),
                **_as(self.account),
            )

    def wait_until_ready(self, seconds=STARTUP_SECONDS):
        try:
            wait_until(lambda: self.ready(self) and self.running, self.name, seconds, self.process)
        except EngineExited:
            raise EngineExited(
                f"{self.name} exited with status {self.process.returncode} (port {self.port}): "
                f"{self.last_error()}",
                self.log_tail(),
            ) from None
        except TimeoutError:
            raise EngineFailed(
                f"{self.name} did not answer on port {self.port} within {seconds} s",
                self.log_tail(),
            ) from None

    def stop(self, stop_signal=None, seconds=STOP_SECONDS):
        """Stop the process cleanly (its stop signal, or another: SIGQUIT crashes PostgreSQL),
        or kill it after `seconds`."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGCONT)  # a frozen process cannot stop
            self.process.send_signal(stop_signal or self.stop_signal)
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._kill_what_it_left()

    def kill(self):
        """SIGKILL: the machine lost power, as far as this engine can tell (its workers too)."""
        if self.running:
            self.process.kill()
            self.process.wait()
            self._kill_what_it_left()

    def _kill_what_it_left(self):
        """A process it forked and never reaped (a gunicorn worker forked as its master died)
        would outlive it, port and all. The engine started a session of its own, whose process
        group only its processes share: end whatever of it is still there."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def pause(self):
        """SIGSTOP: a hung process, that holds its port and answers nothing."""
        if self.running:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        if self.running:
            self.process.send_signal(signal.SIGCONT)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self):
        if self.show_output:
            return "(its output is above)"
        lines = self.log_text().splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"

    def last_error(self):
        return last_error_line(self.log_tail())


def last_error_line(log):
    """The line of a log that most likely says what went wrong, to fit a reason on one line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    # PostgreSQL's severities, initdb's "error:", a port in use, the "#" of a Redis warning.
    errors = [line for line in lines if re.search(r"FATAL|ERROR|PANIC|rror|in use|# ", line)]
    return (errors or lines or ["no log output"])[-1]


def start_on_a_free_port(build, attempts=3, seconds=STARTUP_SECONDS):
    """Start `build(port)` on a free port, again on another if somebody took it meanwhile."""
    for attempt in range(1, attempts + 1):
        engine = build(free_port())
        try:
            return engine.start(seconds)
        except EngineFailed as error:
            if attempt == attempts or "in use" not in str(error).lower():
                raise
            engine.log_path.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def start(build, port=0):
    """Start `build(port)` on the port given, or on a free one when it is 0."""
    return start_on_a_free_port(build) if port == 0 else build(port).start()


def stop_all(engines):
    """Stop engines in the reverse of the order they were started in."""
    for engine in reversed(engines):
        engine.stop()


# ------------------------------------------------------------------------------
# Checks that the answer on a port comes from the engine we started
# ------------------------------------------------------------------------------
def postgres_answers(data_directory):
    def ready(engine):
        answering = postgres_query(engine.port, "SHOW data_directory", database="postgres")
        return answering is not None and os.path.samefile(answering, data_directory)

    return ready


def postgres_query(port, query, database="postgres", user="postgres"):
    """The first column of the first row of `query`, or None if nobody answers."""
    import psycopg2

    try:
        connection = psycopg2.connect(
            host="127.0.0.1", port=port, user=user, dbname=database, connect_timeout=2
        )
    except psycopg2.Error:
        return None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(query)
            row = cursor.fetchone()
            return row[0] if row else None
    except psycopg2.Error:
        return None
    finally:
        connection.close()


def ensure_database(url):
    """CREATE DATABASE the one a postgres:// URL names, unless it exists; True if created."""
    import psycopg2
    from psycopg2 import sql

    address = urlsplit(url)
    name = address.path.lstrip("/")
    connection = psycopg2.connect(
        host=address.hostname,
        port=address.port or 5432,
        user=address.username,
        password=address.password,
        dbname="postgres",
    )
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def redis_command(port, *command, timeout=1.0):
    """Send one command to a Redis or Sentinel on loopback; its reply as text, None if none."""
    encoded = f"*{len(command)}\r\n".encode()
    for part in command:
        part = str(part).encode()
        encoded += b"$%d\r\n%s\r\n" % (len(part), part)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(encoded)
            with connection.makefile("rb") as replies:
                return _read_reply(replies)
    except (OSError, ValueError):
        return None


def _read_reply(replies):
    line = replies.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        return None
    if kind == b"$":
        length = int(rest)
        return None if length < 0 else replies.read(length + 2)[:-2].decode()
    if kind == b"*":
        return [_read_reply(replies) for _ in range(max(int(rest), 0))]
    raise ValueError(f"not a Redis reply: {line!r}")


def redis_answers(engine):
    """PING answers PONG, from the process we started (INFO's process_id is its pid)."""
    if redis_command(engine.port, "PING") != "PONG":
        return False
    info = redis_command(engine.port, "INFO", "server") or ""
    match = re.search(r"^process_id:(\d+)", info, re.MULTILINE)
    return match is not None and int(match[1]) == engine.pid


def http_status(url, host=None):
    """The status `url` answers with, or None while nobody answers. A refused connection, a
    reset or a read timeout (gunicorn accepts before its workers have booted) all mean "not
    yet". `host`: the Host header, for a site that answers to its own names only."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, http.client.HTTPException):
        return None


def url_answers(url, host=None):
    """The URL answers 200."""
    return http_status(url, host) == 200


def http_answers(url, host=None):
    """A readiness check for an engine: `url` answers 200."""
    return lambda engine: url_answers(url, host)


# ------------------------------------------------------------------------------
# PostgreSQL: a primary and a streaming replica
# ------------------------------------------------------------------------------
def postgres_command(data, port, durable, settings):
    """deploy/postgresql.conf, with the port and `settings` on top. The server reads a copy
    beside its data: as root it runs as `postgres`, who may not be able to read the project."""
    config = data.parent / "postgresql.conf"
    shutil.copyfile(DEPLOY / "postgresql.conf", config)
    command = [binary("postgres"), "-D", data, "-p", port, "-c", f"config_file={config}"]
    if not durable:  # tests: the cluster is thrown away at the end
        command += ["-c", "fsync=off"]
    for name, value in (settings or {}).items():
        command += ["-c", f"{name}={value}"]
    return command


def initialise_postgres(data, account, durable=True):
    """initdb a new cluster in `data` (trust on loopback: it listens nowhere else).

    Under C.UTF-8, UPPER() and LOWER() (Django's iexact, icontains) handle accented letters as
    a production server does, and sorting stays bytewise; C is for systems without it.
    """
    for locale in ("C.UTF-8", "C"):
        command = [
            binary("initdb"),
            f"--pgdata={data}",
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            f"--locale={locale}",
        ]
        if not durable:  # thrown away at the end: no fsync of the new files
            command.append("--no-sync")
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=data.parent, **_as(account)
        )
        if result.returncode == 0:
            return
        shutil.rmtree(data, ignore_errors=True)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
    raise EngineFailed(f"PostgreSQL initdb failed: {last_error_line(tail)}", tail)


def _as(account):
    if account is None:
        return {}
    # Popen switches user itself (no runuser), so the engine stays our direct child: its
    # signals, exit status and parent-death signal are ours.
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def postgres(directory, port, durable=True, settings=None, name="postgres-primary"):
    """A PostgreSQL server on `directory/data`, created with initdb if it does not exist."""
    account = postgres_account()
    owned_directory(directory, account)
    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        initialise_postgres(data, account, durable)
    return Engine(
        name=name,
        command=postgres_command(data, port, durable, settings),
        port=port,
        directory=directory,
        ready=postgres_answers(data),
        account=account,
        # SIGINT is PostgreSQL's fast shutdown: it disconnects clients instead of waiting.
        stop_signal=signal.SIGINT,
    )


def postgres_replica(directory, port, primary_port, durable=True, settings=None):
    """A hot standby of the primary on `primary_port`, streaming its WAL.

    The first time, pg_basebackup copies the primary and writes the connection to it
    (-R: standby.signal and primary_conninfo), so the copy starts as a replica.
    """
    account = postgres_account()
    owned_directory(directory, account)
    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        result = subprocess.run(
            [
                binary("pg_basebackup"),
                "--host=127.0.0.1",
                f"--port={primary_port}",
                "--username=postgres",
                f"--pgdata={data}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=directory,
            **_as(account),
        )
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            raise EngineFailed(f"pg_basebackup failed: {(result.stdout + result.stderr)[-2000:]}")
    # The primary's port may have changed since the copy was made (tests pick free ports).
    conninfo = f"host=127.0.0.1 port={primary_port} user=postgres application_name=replica"
    settings = {"primary_conninfo": conninfo, **(settings or {})}
    return Engine(
        name="postgres-replica",
        command=postgres_command(data, port, durable, settings),
        port=port,
        directory=directory,
        ready=postgres_answers(data),
        account=account,
        stop_signal=signal.SIGINT,
    )


# ------------------------------------------------------------------------------
# PgBouncer
# ------------------------------------------------------------------------------
def pgbouncer(directory, port, databases):
    """PgBouncer on `port`, pooling the databases {name: (port, dbname)} on loopback.

    Its settings are deploy/pgbouncer.ini, with the ports filled in.
    """
    account = postgres_account()
    owned_directory(directory, account)
    lines = [
        f"{name} = host=127.0.0.1 port={server_port} dbname={dbname}"
        for name, (server_port, dbname) in databases.items()
    ]
    template = Template((DEPLOY / "pgbouncer.ini").read_text())
    config = directory / "pgbouncer.ini"
    config.write_text(template.substitute(databases="\n".join(lines), port=port))
    # With auth_type = trust, PgBouncer still only admits the users named in its auth file.
    (directory / "users.txt").write_text('"postgres" ""\n')
    for path in (config, directory / "users.txt"):
        if account is not None:
            os.chown(path, account.pw_uid, account.pw_gid)
    first = next(iter(databases))
    return Engine(
        name="pgbouncer",
        command=[binary("pgbouncer"), config],
        port=port,
        directory=directory,
        ready=lambda engine: postgres_query(engine.port, "SELECT 1", database=first) == 1,
        account=account,
    )


# ------------------------------------------------------------------------------
# Redis and Sentinel
# ------------------------------------------------------------------------------
def redis(directory, port, replica_of=None, name="redis-primary"):
    """Redis (deploy/redis.conf) on `port`; a replica of the one on `replica_of` if given."""
    owned_directory(directory)
    config = directory / "redis.conf"
    shutil.copyfile(DEPLOY / "redis.conf", config)  # a copy: Sentinel has Redis rewrite it
    command = [binary("redis-server"), config, "--port", port, "--dir", directory]
    if replica_of is not None:
        command += ["--replicaof", "127.0.0.1", replica_of]
    return Engine(name=name, command=command, port=port, directory=directory, ready=redis_answers)


SENTINEL_SERVICE = "newsite"


def sentinel(directory, port, primary_port, quorum=2, down_after_ms=1000):
    """A Redis Sentinel watching the primary on `primary_port` (deploy/sentinel.conf).

    Sentinel rewrites its configuration file as it learns (replicas, other sentinels, a new
    primary), so each one gets a fresh copy of the template.
    """
    owned_directory(directory)
    template = Template((DEPLOY / "sentinel.conf").read_text())
    config = directory / "sentinel.conf"
    config.write_text(
        template.substitute(
            port=port,
            directory=directory,
            service=SENTINEL_SERVICE,
            primary_port=primary_port,
            quorum=quorum,
            down_after_ms=down_after_ms,
        )
    )
    return Engine(
        name="sentinel",
        command=[binary("redis-sentinel"), config],
        port=port,
        directory=directory,
        ready=redis_answers,
    )


def sentinel_primary(sentinel_ports):
    """The port of the Redis primary as the first Sentinel that answers sees it, or None."""
    for port in sentinel_ports:
        reply = redis_command(port, "SENTINEL", "get-master-addr-by-name", SENTINEL_SERVICE)
        if reply:
            return int(reply[1])
    return None


# ------------------------------------------------------------------------------
# gunicorn, Varnish and HAProxy
# ------------------------------------------------------------------------------
def gunicorn(
    directory,
    port,
    environment,
    name="gunicorn",
    workers=None,
    metrics_bind="",
    access_log=True,
    show_output=False,
    cpus=None,
):
    """newsite under gunicorn (deploy/gunicorn.conf.py), in the project directory.

    `environment` is added to ours: Django's settings. Each instance gets its own control
    socket (gunicorn 25+ puts every instance's at one path by default) and its own metrics
    address: `metrics_bind` "" for none, or HOST:PORT (port 0: one the kernel picks, written in
    the log).
    """
    owned_directory(directory)
    command = [
        sys.executable, "-m", "gunicorn", "-c", DEPLOY / "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}",
        "--control-socket", directory / "gunicorn.ctl",
        "--pid", directory / "gunicorn.pid",
    ]  # fmt: skip
    if workers:
        command += ["--workers", workers]
    environment = {**os.environ, **environment}
    environment["GUNICORN_METRICS_BIND"] = metrics_bind
    if not access_log:
        environment["GUNICORN_ACCESS_LOG"] = ""
    # Asked under a name Django answers to, as the edge's probe is.
    host = environment.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",")[0]
    return Engine(
        name=name,
        command=[*command, "newsite.wsgi"],
        port=port,
        directory=directory,
        ready=_gunicorn_answers(host),
        environment=environment,
        cwd=PROJECT,
        show_output=show_output,
        cpus=cpus,
    )


def _gunicorn_answers(host):
    def ready(engine):
        if engine.port == 0:  # the kernel picked it: gunicorn says which in its log
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", engine.log_text())
            if not match:
                return False
            engine.port = int(match[1])
        return url_answers(f"{engine.url}/-/alive/", host)

    return ready


def gunicorn_metrics_url(engine):
    """Where gunicorn's master serves its metrics, as it wrote in its log; None until then."""
    match = re.search(r"Metrics at: (http://127\.0\.0\.1:\d+/metrics)", engine.log_text())
    return match and match[1]


def varnish(
    directory,
    port,
    top_vcl,
    proxy_port=None,
    name="varnish",
    memory="256m",
    reader_memory="64m",
    show_output=False,
    cpus=None,
):
    """varnishd in the foreground with the top VCL file `top_vcl`, answering plain HTTP on
    `port` (bans from Django, people looking at one node) and, behind a load balancer, the
    PROXY protocol on `proxy_port` (the balancer passes on each client's address). Port 0:
    one the kernel picks, which varnishadm tells (no race for a free port). Pages take
    `memory`; signed-in readers' own fragments, kept per session, `reader_memory` apart."""
    owned_directory(directory)
    command = [
        binary("varnishd"), "-F",
        # No privilege-separation jail: it would need the varnish users; fine on loopback.
        "-j", "none",
        "-n", directory,
        "-a", f"http=127.0.0.1:{port}",
        "-f", top_vcl,
        "-s", f"shared=malloc,{memory}",
        "-s", f"reader=malloc,{reader_memory}",
    ]  # fmt: skip
    if proxy_port:
        command += ["-a", f"proxy=127.0.0.1:{proxy_port},PROXY"]
    return Engine(
        name=name,
        command=command,
        port=port,
        directory=directory,
        ready=_varnish_listens,
        show_output=show_output,
        cpus=cpus,
    )


def _varnish_listens(engine):
    """varnishadm answers, and Varnish listens where we asked (on port 0, sets the port)."""
    reply = varnishadm(engine.directory, "debug.listen_address") or ""
    match = re.search(r"^http 127\.0\.0\.1 (\d+)", reply, re.MULTILINE)
    if not match or engine.port not in (0, int(match[1])):
        return False
    engine.port = int(match[1])
    return True


def varnishadm(directory, *arguments):
    """Run varnishadm against the Varnish in `directory`; its output, or None on failure."""
    result = subprocess.run(
        [binary("varnishadm"), "-n", str(directory), *arguments],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout if result.returncode == 0 else None


def haproxy(directory, port, stats_port, varnish_proxy_ports):
    """HAProxy in front of the Varnish nodes (deploy/haproxy.cfg reads its ports from the
    environment, so the file itself is the configuration)."""
    owned_directory(directory)
    environment = {
        **os.environ,
        "LOAD_BALANCER_PORT": str(port),
        "HAPROXY_STATS_PORT": str(stats_port),
        "HAPROXY_STATE": str(directory),
    }
    for number, proxy_port in enumerate(varnish_proxy_ports, start=1):
        environment[f"VARNISH{number}_PROXY_PORT"] = str(proxy_port)
    return Engine(
        name="haproxy",
        # -W: master-worker, so the pid we hold is the one that stops everything; -db: stay
        # in the foreground.
        command=[binary("haproxy"), "-W", "-db", "-f", DEPLOY / "haproxy.cfg"],
        port=port,
        directory=directory,
        ready=http_answers(f"http://127.0.0.1:{stats_port}/;csv"),
        environment=environment,
    )


# ------------------------------------------------------------------------------
# Prometheus and the exporters it scrapes (Debian's prometheus-* packages)
# ------------------------------------------------------------------------------
PROMETHEUS_FILES = DEPLOY / "prometheus"


def prometheus(directory, port, configuration):
    """Prometheus on `port`, reading `configuration` (deploy/prometheus/render.py writes it),
    keeping its data in `directory/data` and serving the project's dashboard, the console
    templates in deploy/prometheus/."""
    owned_directory(directory)
    address = f"127.0.0.1:{port}"
    return Engine(
        name="prometheus",
        command=[
            binary("prometheus"),
            f"--config.file={configuration}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address={address}",
            f"--web.console.templates={PROMETHEUS_FILES / 'consoles'}",
            f"--web.console.libraries={PROMETHEUS_FILES / 'console_libraries'}",
        ],
        port=port,
        directory=directory,
        ready=http_answers(f"http://{address}/-/ready"),
    )


def serves_metric(name):
    """A readiness check for an exporter: its /metrics answers, and names `name` (its own
    metrics, not another program's on a port taken meanwhile)."""

    def ready(engine):
        try:
            with urllib.request.urlopen(f"{engine.url}/metrics", timeout=2) as response:
                return name in response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            return False

    return ready


def varnish_exporter(directory, port, varnish_directory, name="varnish-exporter"):
    """prometheus-varnish-exporter for the Varnish working in `varnish_directory` (it runs
    varnishstat -n on it at every scrape)."""
    owned_directory(directory)
    return Engine(
        name=name,
        command=[
            binary("prometheus-varnish-exporter"),
            *("-n", varnish_directory),
            *("-web.listen-address", f"127.0.0.1:{port}"),
        ],
        port=port,
        directory=directory,
        ready=serves_metric("varnish_up"),
    )


def postgres_exporter(directory, port, database_url, name="postgres-exporter"):
    """prometheus-postgres-exporter for the PostgreSQL that `database_url` (postgres://) names,
    with the project's extra queries: the replica lag, asked of a primary."""
    owned_directory(directory)
    address = urlsplit(database_url)
    # Loopback or a private network: plain TCP, as Django's own connections.
    source = address._replace(scheme="postgresql", query="sslmode=disable").geturl()
    return Engine(
        name=name,
        command=[
            binary("prometheus-postgres-exporter"),
            f"--web.listen-address=127.0.0.1:{port}",
            f"--extend.query-path={PROMETHEUS_FILES / 'postgres-queries.yml'}",
            # The settings are hundreds of series nobody watches.
            "--disable-settings-metrics",
        ],
        port=port,
        directory=directory,
        ready=serves_metric("pg_up"),
        environment={**os.environ, "DATA_SOURCE_NAME": source},
    )


def redis_exporter(directory, port, redis_url, name="redis-exporter"):
    """prometheus-redis-exporter for the Redis, or the Sentinel, at `redis_url` (redis://): it
    tells which it is talking to, and reports a Sentinel's view of the primary."""
    owned_directory(directory)
    return Engine(
        name=name,
        command=[
            binary("prometheus-redis-exporter"),
            *("-redis.addr", redis_url),
            *("-web.listen-address", f"127.0.0.1:{port}"),
        ],
        port=port,
        directory=directory,
        ready=serves_metric("redis_up"),
    )
