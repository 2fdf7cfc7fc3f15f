"""Run the book's whole topology on this machine, each engine as if it were its own machine.

    make cluster

    HAProxy ─▶ Varnish × 2 ─▶ gunicorn × 2 ─▶ PgBouncer ─▶ PostgreSQL primary ──▶ replica
                                   └──────▶ Redis primary ──▶ replica, watched by 3 Sentinels

Every engine comes from Debian's packages and runs as a child of this script, with its own
port and its own directory under .cluster/ (CLUSTER_PORT_OFFSET moves every port at once),
watched by Prometheus and an exporter per engine unless NEWSITE_MONITORING=off.
What is missing is created: the PostgreSQL primary (initdb), its replica (pg_basebackup), the
database, its tables and the demo newsroom. Ctrl-C stops everything this started. Production
settings over plain http, for trying things out, `make load` and the tests (tests/test_cluster.py
starts the same cluster on free ports); it is not a deployment.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from demo.credentials import demo_readers_in_words
from deploy import engines, monitoring
from deploy.varnish.render import render
from newsite.configuration import read as env

PROJECT = engines.PROJECT
STATE = PROJECT / ".cluster"
# While the cluster runs: its Django settings and each engine's pid and port, for `make load`
# and for tools that stop or freeze one engine.
RUNNING_FILE = "running.json"
# A file a tool creates in an engine's directory to have the cluster start that engine again
# (`make faults`): started by the cluster, it stays the cluster's child and stops with it.
START_AGAIN_FILE = "start-again"
DATABASE = "newsite"
BINARIES = [
    "postgres", "pg_basebackup", "initdb", "pgbouncer", "redis-server", "redis-sentinel",
    "varnishd", "varnishadm", "haproxy",
]  # fmt: skip


@dataclass
class Ports:
    """Where each engine listens. 0 means a free port, picked when the engine starts."""

    load_balancer: int = 8080
    haproxy_stats: int = 8404
    varnish: tuple = (8081, 8082)  # plain HTTP: bans, and people looking at one node
    varnish_proxy: tuple = (8181, 8182)  # the PROXY protocol, from HAProxy only
    application: tuple = (8001, 8002)
    application_metrics: tuple = (9811, 9812)  # each gunicorn's /metrics, for Prometheus
    pgbouncer: int = 6432
    postgres_primary: int = 5433  # 5432 stays free for a system PostgreSQL
    postgres_replica: int = 5434
    redis_primary: int = 6380  # and 6379 for a system Redis
    redis_replica: int = 6381
    sentinels: tuple = (26380, 26381, 26382)
    # Debian's prometheus package runs its own service on 9090. The exporters take free ports:
    # only Prometheus reads them.
    prometheus: int = 9190

    def shifted(self, offset):
        """Every port moved by `offset`, to run a second cluster beside the first."""
        return Ports(
            **{
                name: tuple(port + offset for port in value)
                if isinstance(value, tuple)
                else value + offset
                for name, value in vars(self).items()
            }
        )

    @classmethod
    def free(cls):
        """Free ports for everything. The Varnish ports are picked now, since the application
        servers must know them (to send bans) before Varnish starts."""
        return cls(
            load_balancer=0,
            haproxy_stats=0,
            varnish=(engines.free_port(), engines.free_port()),
            varnish_proxy=(engines.free_port(), engines.free_port()),
            application=(0, 0),
            application_metrics=(engines.free_port(), engines.free_port()),
            pgbouncer=0,
            postgres_primary=0,
            postgres_replica=0,
            redis_primary=0,
            redis_replica=0,
            sentinels=(0, 0, 0),
            prometheus=0,
        )


@dataclass
class Cluster:
    """The whole topology: start() it, read its addresses, stop() it.

    `replica_delay` (such as "3s") holds every commit back on the replica for that long
    (recovery_min_apply_delay), so that its lag is certain; `durable=False` turns fsync off
    for clusters that are thrown away (tests); `application_environment` adds settings;
    `monitored` starts Prometheus and the exporters (deploy/monitoring.py) after the rest.
    """

    directory: Path = STATE
    ports: Ports = field(default_factory=Ports)
    articles: int = 2000
    replica_delay: str = ""
    durable: bool = True
    application_environment: dict = field(default_factory=dict)
    monitored: bool = False
    say: object = print
    engines: dict = field(default_factory=dict)
    # True once running.json says this cluster runs (and only then does stop() remove it).
    announced: bool = field(default=False, init=False)
    # HAProxy's statistics port; a free one is picked with each try at starting HAProxy.
    stats_port: int = field(default=0, init=False)
    watching: monitoring.Monitoring | None = field(default=None, init=False)

    # --------------------------------------------------------------------------
    # Addresses
    # --------------------------------------------------------------------------
    def port(self, name):
        return self.engines[name].port

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port('haproxy')}"

    @property
    def stats_url(self):
        return f"http://127.0.0.1:{self.stats_port}/"

    @property
    def varnish_names(self):
        return [name for name in self.engines if name.startswith("varnish")]

    @property
    def application_names(self):
        return [name for name in self.engines if name.startswith("gunicorn")]

    @property
    def sentinel_ports(self):
        return [engine.port for name, engine in self.engines.items() if name.startswith("sentinel")]

    def node_url(self, name):
        return f"http://127.0.0.1:{self.port(name)}"

    def environment(self):
        """The settings of Django on the application servers (and of anything that edits
        content alongside them, such as `make load`'s editor)."""
        pgbouncer = self.port("pgbouncer")
        return {
            # The site's own, even when what starts the cluster runs others (the tests do).
            "DJANGO_SETTINGS_MODULE": "newsite.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pgbouncer}/{DATABASE}",
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{pgbouncer}/{DATABASE}_replica",
            "DATABASE_TRANSACTION_POOLING": "true",
            "REDIS_URL": f"redis://{engines.SENTINEL_SERVICE}/0",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
            "VARNISH_NODES": ",".join(f"http://127.0.0.1:{port}" for port in self.ports.varnish),
            "NEWSITE_EDGE_PURGE_SECRET": self.kept_secret("purge_secret", 32),
            "DJANGO_DEBUG": "false",
            "DJANGO_HTTPS": "false",
            "DJANGO_SECRET_KEY": self.kept_secret("secret_key", 50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_STATIC_ROOT": str(self.directory / "static"),
            # The load balancer's address; HAProxy passes the reader's address to Varnish by
            # the PROXY protocol, and Varnish appends it to X-Forwarded-For: one proxy.
            "NEWSITE_SITE_URL": f"http://127.0.0.1:{self.ports.load_balancer}",
            "NEWSITE_TRUSTED_PROXIES": "1",
            "NEWSITE_SERVER_TIMING": "detail",
            **self.application_environment,
        }

    def management_environment(self):
        """For migrations and the seed: straight to the primary, past the pooler (a migration
        holds its session for a long time) and without the replica."""
        environment = {**self.environment(), "DATABASE_TRANSACTION_POOLING": "false"}
        environment["DATABASE_URL"] = (
            f"postgres://postgres@127.0.0.1:{self.port('postgres-primary')}/{DATABASE}"
        )
        del environment["DATABASE_REPLICA_URL"]
        environment["VARNISH_NODES"] = ""  # the edge starts after them, empty
        # The newsroom's staff account: never a known password outside `make run`.
        environment["NEWSITE_EDITOR_PASSWORD"] = self.editor_password()
        return environment

    def kept_secret(self, name, length):
        """A random secret generated on first use and kept in the cluster's folder."""
        return engines.kept_secret(self.directory, name, length)

    def editor_password(self):
        return self.kept_secret("editor_password", 12)

    # --------------------------------------------------------------------------
    # Starting and stopping
    # --------------------------------------------------------------------------
    def start(self):
        """Start every engine, in the order they depend on each other; on any failure, stop
        what was started and raise EngineFailed."""
        missing = engines.missing_binaries(BINARIES)
        if missing:
            raise engines.EngineFailed(missing)
        self.directory.mkdir(parents=True, exist_ok=True)
        already = running_cluster(self.directory)
        if already:
            raise engines.EngineFailed(
                f"A cluster already runs from {self.directory} (pid {already['pid']}): "
                "stop it first (Ctrl-C where it runs)."
            )
        try:
            self._start_databases()
            self._start_redis()
            self._prepare_the_site()
            self._start_application_servers()
            self._start_edge()
            if self.monitored:
                self._start_monitoring()
        except BaseException:
            self.stop()
            raise
        self.announce()
        return self

    def announce(self):
        """Write running.json: the settings, and the pid and port of every engine now."""
        running = {
            "pid": os.getpid(),
            "environment": self.environment(),
            "engines": {name: {"pid": e.pid, "port": e.port} for name, e in self.engines.items()},
        }
        engines.write_private(self.directory / RUNNING_FILE, json.dumps(running, indent=2))
        self.announced = True

    def stop(self):
        if self.announced:
            (self.directory / RUNNING_FILE).unlink(missing_ok=True)
        if self.watching is not None:
            self.watching.stop()
        engines.stop_all(list(self.engines.values()))

    def _add(self, name, build, port):
        self.say(f"Starting {name}")
        self.engines[name] = engines.start(build, port)
        return self.engines[name]

    def _start_databases(self):
        ports = self.ports
        primary = self._add(
            "postgres-primary",
            lambda port: engines.postgres(self.directory / "postgres-primary", port, self.durable),
            ports.postgres_primary,
        )
        self._create_database(primary.port)
        delay = {"recovery_min_apply_delay": self.replica_delay} if self.replica_delay else {}
        self._add(
            "postgres-replica",
            lambda port: engines.postgres_replica(
                self.directory / "postgres-replica", port, primary.port, self.durable, delay
            ),
            ports.postgres_replica,
        )
        databases = {
            DATABASE: (primary.port, DATABASE),
            f"{DATABASE}_replica": (self.port("postgres-replica"), DATABASE),
        }
        self._add(
            "pgbouncer",
            lambda port: engines.pgbouncer(self.directory / "pgbouncer", port, databases),
            ports.pgbouncer,
        )

    def _create_database(self, port):
        if engines.ensure_database(f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"):
            self.say(f"Created the database {DATABASE}")
        # Which statements ran where: pg_stat_statements, on the primary and (replicated) the
        # replica. `SELECT calls, query FROM pg_stat_statements ORDER BY calls DESC`.
        engines.postgres_query(
            port, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database=DATABASE
        )

    def _start_redis(self):
        ports = self.ports
        primary = self._add(
            "redis-primary",
            lambda port: engines.redis(self.directory / "redis-primary", port),
            ports.redis_primary,
        )
        self._add(
            "redis-replica",
            lambda port: engines.redis(
                self.directory / "redis-replica", port, primary.port, name="redis-replica"
            ),
            ports.redis_replica,
        )
        for number, sentinel_port in enumerate(ports.sentinels, start=1):
            self._add(
                f"sentinel{number}",
                lambda port, number=number: engines.sentinel(
                    self.directory / f"sentinel{number}", port, primary.port
                ),
                sentinel_port,
            )

    def _prepare_the_site(self):
        environment = {**os.environ, **self.management_environment()}

        def manage(*arguments):
            subprocess.run(
                [sys.executable, "manage.py", *arguments], cwd=PROJECT, env=environment, check=True
            )

        self.say("Migrating, and seeding the demo newsroom if the database is empty")
        manage("migrate", "--noinput", "--verbosity", "0")
        manage("seed", "--if-empty", "--articles", str(self.articles))
        manage("collectstatic", "--noinput", "--verbosity", "0")

    def _start_application_servers(self):
        ports = zip(self.ports.application, self.ports.application_metrics, strict=True)
        for number, (application_port, metrics_port) in enumerate(ports, start=1):
            name = f"gunicorn{number}"
            self._add(
                name,
                lambda port, name=name, metrics_port=metrics_port: engines.gunicorn(
                    self.directory / name,
                    port,
                    self.environment(),
                    name=name,
                    workers=2,
                    metrics_bind=f"127.0.0.1:{metrics_port}",
                ),
                application_port,
            )

    def _start_edge(self):
        servers = [("127.0.0.1", str(self.port(name))) for name in self.application_names]
        pairs = zip(self.ports.varnish, self.ports.varnish_proxy, strict=True)
        for number, (http_port, proxy_port) in enumerate(pairs, start=1):
            name = f"varnish{number}"
            directory = self.directory / name
            directory.mkdir(exist_ok=True)
            top = directory / "top.vcl"
            purge_secret = self.kept_secret("purge_secret", 32)
            top.write_text(
                render(
                    servers, ["127.0.0.1", "::1"], probe_interval="1s", purge_secret=purge_secret
                )
            )
            self._add(
                name,
                lambda port, directory=directory, proxy_port=proxy_port, top=top, name=name: (
                    engines.varnish(directory, port, top, proxy_port, name=name)
                ),
                http_port,
            )

        def haproxy(port):
            self.stats_port = self.ports.haproxy_stats or engines.free_port()
            return engines.haproxy(
                self.directory / "haproxy", port, self.stats_port, self.ports.varnish_proxy
            )

        self._add("haproxy", haproxy, self.ports.load_balancer)

    def _start_monitoring(self):
        """An exporter per engine (HAProxy and gunicorn serve their own metrics), and
        Prometheus. The replica's lag is asked of the primary (deploy/prometheus/
        postgres-queries.yml); PgBouncer goes unwatched: Debian's exporter for it stops at
        start against PgBouncer 1.18 (docs/monitoring.md)."""

        def prepare(watching):
            metrics_ports = zip(self.application_names, self.ports.application_metrics, strict=True)
            for name, metrics_port in metrics_ports:
                watching.scrape("django", f"127.0.0.1:{metrics_port}", name)
            watching.scrape("haproxy", f"127.0.0.1:{self.stats_port}", "haproxy")
            for name in self.varnish_names:
                watching.watch_varnish(self.directory / name, name)
            for name in ("postgres-primary", "postgres-replica"):
                url = f"postgres://postgres@127.0.0.1:{self.port(name)}/postgres"
                watching.watch_postgres(url, name)
            for name in ("redis-primary", "redis-replica"):
                watching.watch_redis(f"redis://127.0.0.1:{self.port(name)}", name)
            for number, port in enumerate(self.sentinel_ports, start=1):
                watching.watch_redis(f"redis://127.0.0.1:{port}", f"sentinel{number}", "sentinel")

        self.say("Starting Prometheus and an exporter per engine")
        self.watching = monitoring.start(prepare, self.ports.prometheus, self.say)


def running_cluster(directory=STATE):
    """What the cluster running from `directory` wrote about itself, or None if none runs."""
    try:
        running = json.loads((directory / RUNNING_FILE).read_text())
        os.kill(running["pid"], 0)  # still alive? (signal 0 only checks)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return running


def environment_if_running(directory=STATE):
    """The running `make cluster`'s Django settings, or None when no cluster runs."""
    running = running_cluster(directory)
    return running["environment"] if running else None


def main():
    # Ctrl-C and a plain `kill` both stop everything this started, even when this runs in the
    # background (where a shell would have it ignore Ctrl-C).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    offset = env("CLUSTER_PORT_OFFSET")
    cluster = Cluster(
        ports=Ports().shifted(offset),
        articles=env("CLUSTER_ARTICLES"),
        monitored=monitoring.wanted(),
        say=lambda message: print(f"[cluster] {message}", flush=True),
    )
    try:
        cluster.start()
    except engines.EngineFailed as error:
        raise SystemExit(f"[cluster] {error}") from None
    except KeyboardInterrupt:
        raise SystemExit("[cluster] Stopped.") from None
    try:
        describe(cluster)
        watch(cluster)
    except KeyboardInterrupt:
        cluster.say("Stopping.")
    finally:
        cluster.stop()


def describe(cluster):
    addresses = [
        ("The Daily Cache, through the load balancer", f"{cluster.url}/"),
        ("The newsroom (admin)", f"{cluster.url}/admin/"),
        ("HAProxy's statistics", cluster.stats_url),
        *(
            [("The dashboard (Prometheus)", cluster.watching.dashboard_url)]
            if cluster.watching
            else []
        ),
        *(
            (f"{name}, one edge node", f"{cluster.node_url(name)}/")
            for name in cluster.varnish_names
        ),
        *(
            (f"{name}, one application server", f"{cluster.node_url(name)}/")
            for name in cluster.application_names
        ),
        *(
            (f"gunicorn{number}'s metrics", f"http://127.0.0.1:{port}/metrics")
            for number, port in enumerate(cluster.ports.application_metrics, start=1)
        ),
    ]
    width = max(len(label) for label, _ in addresses) + 2
    for label, address in addresses:
        cluster.say(f"{label + ':':<{width}}{address}")
    underneath = ", ".join(
        f"{name} {cluster.port(name)}"
        for name in ("pgbouncer", "postgres-primary", "postgres-replica", "redis-primary")
    )
    sentinels = ", ".join(map(str, cluster.sentinel_ports))
    cluster.say(f"Underneath: {underneath}; sentinels {sentinels}")
    cluster.say(
        f"Demo accounts: editor / {cluster.editor_password()} (the newsroom), "
        f"{demo_readers_in_words()}"
    )
    cluster.say(f"Logs: {cluster.directory}/<engine>/<engine>.log. Ctrl-C stops everything.")


def watch(cluster):
    """Until Ctrl-C. A cluster outlives the loss of any one engine: say so, keep the others."""
    reported = set()
    while True:
        look_after(cluster, reported)
        time.sleep(0.2)


def look_after(cluster, reported):
    """Say which engines stopped (once each, `reported` remembers), and start again those a
    tool asked for (START_AGAIN_FILE)."""
    for name, engine in cluster.engines.items():
        if not engine.running and name not in reported:
            reported.add(name)
            cluster.say(f"{name} stopped (status {engine.process.returncode}).")
        if not engine.running and start_again_asked(engine):
            start_again(cluster, name, engine)
            reported.discard(name)


def start_again_asked(engine):
    """True once for each request (the file is taken away)."""
    try:
        (engine.directory / START_AGAIN_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def start_again(cluster, name, engine):
    cluster.say(f"Starting {name} again")
    try:
        engine.start()
    except engines.EngineFailed as error:
        cluster.say(f"{name} did not start again: {error.reason}")
        return
    cluster.announce()


if __name__ == "__main__":
    main()
