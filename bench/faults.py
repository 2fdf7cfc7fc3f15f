"""make faults: what the cluster survives, and what each fault costs, measured.

One fault at a time is injected into a running `make cluster`, under a steady, bounded load of
readers and writers, and recovered from. Every request is recorded from the client's side and,
afterwards, the database is asked what each acknowledged write became: a fault costs what
readers and writers saw, not what the engines logged. The cluster is found through
.cluster/running.json; only the pids it lists are signalled, and a stopped engine is started
again by the cluster itself (START_AGAIN_FILE), so that it stays the cluster's child.

    make cluster     # in one terminal
    make faults      # in another: about 4 minutes; FAULTS=app-killed,edge-frozen-ban for some

A run of every fault writes docs/reliability.md, .png and .json (figures only, explained by
docs/reliability-notes.md); `--report` rewrites the page and the chart from the JSON.
"""

import argparse
import contextlib
import io
import json
import math
import os
import random
import re
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import requests

from deploy import engines
from deploy.cluster import START_AGAIN_FILE, STATE, running_cluster
from deploy.varnish.render import render

DOCS = Path(__file__).resolve().parent.parent / "docs"
RESULTS = DOCS / "reliability.json"
REPORT = DOCS / "reliability.md"
CHART = DOCS / "reliability.png"

WARM_UP_SECONDS = 20
STEADY_SECONDS = 20
# After an engine is back: HAProxy's and Varnish's health checks need two good answers a second
# apart, and the load shows what recovery costs.
SETTLE_SECONDS = 8
REQUEST_TIMEOUT = 10
# The editor changes the first four articles of the home page, in turn.
EDITED_ARTICLES = 4
# How long after an edit's commit a reader may still get the old headline (bench/locustfile.py).
STALE_AFTER = 0.1
# After a node takes bans again, its owed ban comes at the next deliverer round; then the ban
# and the fetch of the page each take a round trip, longer on a loaded machine.
ROUND_TRIPS = 0.25
HEADLINE = re.compile(r'<h1 class="article__headline">(.*?)</h1>', re.DOTALL)
ARTICLE_LINK = re.compile(r'href="(/[\w-]+/\d{4}/\d{2}/\d{2}/[\w-]+/)"')
ARTICLE_ID = re.compile(r"/-/read/(\d+)/")


# ------------------------------------------------------------------------------
# The running cluster, and its processes
# ------------------------------------------------------------------------------
class RunningCluster:
    """What .cluster/running.json says; read again whenever an engine has been started again."""

    def __init__(self, directory=STATE):
        self.directory = directory
        self.running = running_cluster(directory)
        if self.running is None:
            raise SystemExit(f"No cluster runs from {directory}: start `make cluster` first.")

    def refresh(self):
        self.running = running_cluster(self.directory) or self.running

    def pid(self, name):
        return self.running["engines"][name]["pid"]

    def port(self, name):
        return self.running["engines"][name]["port"]

    def url(self, name="haproxy"):
        return f"http://127.0.0.1:{self.port(name)}"

    def engine_directory(self, name):
        return self.directory / name

    @property
    def environment(self):
        return self.running["environment"]

    def name_of_port(self, port):
        return next(
            name for name, engine in self.running["engines"].items() if engine["port"] == port
        )

    def sentinel_ports(self):
        return [
            e["port"] for name, e in self.running["engines"].items() if name.startswith("sentinel")
        ]

    def start_again(self, name, seconds=90):
        """Ask the cluster to start the stopped engine `name` again, and wait until it answers."""
        old_pid = self.pid(name)
        (self.engine_directory(name) / START_AGAIN_FILE).touch()

        def started():
            self.refresh()
            return self.pid(name) != old_pid

        engines.wait_until(started, f"{name} started again", seconds)


def children(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def with_children(pid):
    """A process and its children: gunicorn's workers, varnishd's cache process."""
    return [pid, *children(pid)]


def signal_all(pids, signal_number):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
            os.kill(pid, signal_number)


def gone(pid):
    """The process has exited (a zombie its parent has not reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def wait_gone(pid, what, seconds=30):
    engines.wait_until(lambda: gone(pid), f"{what} exited", seconds)


# ------------------------------------------------------------------------------
# What the clients saw
# ------------------------------------------------------------------------------
@dataclass
class Outcome:
    started: float  # monotonic
    seconds: float
    direction: str  # "read" or "write"
    name: str
    result: str  # "ok", "5xx", "timeout", "connection", "4xx", "throttled", "error"
    path: str = ""


class Recorder:
    def __init__(self):
        self.outcomes = []
        self._lock = threading.Lock()

    def add(self, outcome):
        with self._lock:
            self.outcomes.append(outcome)

    def snapshot(self):
        with self._lock:
            return list(self.outcomes)


def result_of(response):
    if response.status_code >= 500:
        return "5xx"
    if response.status_code == 429:
        return "throttled"
    if response.status_code >= 400:
        return "4xx"
    return "ok"


def timed(recorder, session, method, url, direction, name, expect=None, **keywords):
    """One request, recorded; the response, or None when none came."""
    started = time.monotonic()
    path = urlsplit(url).path

    def record(result):
        recorder.add(Outcome(started, time.monotonic() - started, direction, name, result, path))

    try:
        response = session.request(
            method, url, timeout=REQUEST_TIMEOUT, allow_redirects=False, **keywords
        )
    except requests.Timeout:
        record("timeout")
        return None
    except requests.RequestException:  # refused, reset, or an answer cut short
        record("connection")
        return None
    result = result_of(response)
    if result == "ok" and expect is not None and not expect(response):
        result = "4xx"
    record(result)
    return response


class EditLog:
    """The headlines of each article path in the order they were written, with commit times;
    a page showing a headline older than one committed STALE_AFTER before the request started
    is stale (bench/locustfile.py keeps the same log)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.edits = {}  # path: [[committed at, or None while saving], headline]
        self.stale = []  # (request started, seconds since the newer headline was committed)

    def saving(self, path, headline):
        with self._lock:
            self.edits.setdefault(path, []).append([None, headline])

    def committed(self, path, headline):
        with self._lock:
            for edit in self.edits[path]:
                if edit[1] == headline:
                    edit[0] = time.monotonic()

    def last_committed(self, path):
        with self._lock:
            done = [headline for at, headline in self.edits.get(path, []) if at is not None]
        return done[-1] if done else None

    def check(self, path, shown, request_started):
        with self._lock:
            history = [tuple(edit) for edit in self.edits.get(path, [])]
        due = [i for i, (at, _) in enumerate(history) if at and at + STALE_AFTER < request_started]
        if not due:
            return
        acceptable = {headline for _, headline in history[due[-1] :]}
        if shown not in acceptable:
            with self._lock:
                self.stale.append((request_started, request_started - history[due[-1]][0]))


# ------------------------------------------------------------------------------
# The load: each kind of visitor is a thread that paces itself
# ------------------------------------------------------------------------------
@dataclass
class Load:
    cluster: RunningCluster
    recorder: Recorder
    edit_log: EditLog
    watched: list  # article paths the editor and faults 8 and 8b edit, read often
    paths: list  # other article paths from the home page
    readers: list  # generated readers' usernames, for commenters and the saver
    stopping: threading.Event = field(default_factory=threading.Event)
    beacons_paused: threading.Event = field(default_factory=threading.Event)
    beacons_idle: threading.Event = field(default_factory=threading.Event)
    comments: list = field(default_factory=list)  # dicts: body, article, user, acked, started
    saves: list = field(default_factory=list)  # dicts: user, article, acked, started
    edits: list = field(default_factory=list)  # dicts: path, headline, acked, started
    beacons: list = field(default_factory=list)  # (started, acked)
    threads: list = field(default_factory=list)

    @property
    def url(self):
        return self.cluster.url()

    def start(self):
        visitors = [
            *(lambda: self.reader(None, 0.1) for _ in range(3)),
            *(lambda name=name: self.reader(name, 0.25) for name in ("alice", "bob")),
            self.beacon_sender,
            self.editor,
            *(lambda number=number: self.commenter(number) for number in range(2)),
            self.saver,
        ]
        for visitor in visitors:
            thread = threading.Thread(target=visitor, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT + 5)

    def paced(self, interval):
        """Yield every `interval` seconds until the load stops; late ticks are not made up."""
        next_at = time.monotonic()
        while not self.stopping.is_set():
            yield
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < -interval:
                next_at = time.monotonic()
            elif delay > 0:
                self.stopping.wait(delay)

    def sign_in(self, username):
        from demo.credentials import DEMO_READERS, GENERATED_READER_PASSWORD

        session = requests.Session()
        password = DEMO_READERS.get(username, GENERATED_READER_PASSWORD)
        login = timed(
            self.recorder, session, "GET", f"{self.url}/accounts/login/", "read", "sign in"
        )
        if login is None or login.status_code != 200:
            return None
        answer = timed(
            self.recorder,
            session,
            "POST",
            f"{self.url}/accounts/login/",
            "write",
            "sign in",
            expect=lambda response: response.status_code == 302,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
        )
        return session if answer is not None and answer.status_code == 302 else None

    def reader(self, username, interval):
        """Home, sections and articles; a third of the reads are of the articles being edited."""
        session = self.sign_in(username) if username else requests.Session()
        kind = "signed-in read" if username else "anonymous read"
        for _ in self.paced(interval):
            if session is None:
                session = self.sign_in(username)
                continue
            roll = random.random()
            if roll < 0.25:
                path = "/"
            elif roll < 0.35:
                path = f"/{random.choice(self.paths).split('/')[1]}/"
            else:
                path = random.choice(self.watched if roll < 0.7 else self.paths)
            started = time.monotonic()
            response = timed(self.recorder, session, "GET", f"{self.url}{path}", "read", kind)
            if roll >= 0.35:
                match = response is not None and response.ok and HEADLINE.search(response.text)
                if match:
                    self.edit_log.check(path, unescape(match[1].strip()), started)

    def beacon_sender(self):
        from articles.beacon import signature

        session = requests.Session()
        article_ids = list(self.article_ids.values())
        for _ in self.paced(1.25):  # under the beacon's limit of 60 a minute per client
            if self.beacons_paused.is_set():
                self.beacons_idle.set()
                continue
            self.beacons_idle.clear()
            article_id = random.choice(article_ids)
            started = time.monotonic()
            response = timed(
                self.recorder,
                session,
                "POST",
                f"{self.url}/-/read/{article_id}/{signature(article_id)}/",
                "write",
                "read beacon",
            )
            self.beacons.append((started, response is not None and response.status_code == 204))

    @contextmanager
    def beacons_held(self):
        """No beacon in flight inside the block: the counts flushed are the ones acknowledged."""
        self.beacons_idle.clear()
        self.beacons_paused.set()
        self.beacons_idle.wait(REQUEST_TIMEOUT + 5)
        try:
            yield
        finally:
            self.beacons_paused.clear()

    def editor(self):
        for number, _ in enumerate(self.paced(3)):
            path = self.watched[number % EDITED_ARTICLES]
            self.edit(path, f"Edited during make faults {uuid.uuid4().hex[:10]}")

    def edit(self, path, headline):
        """Change the headline as the newsroom's save does (commit, generations, bans)."""
        from django.db import DatabaseError, close_old_connections, connection, transaction

        from articles.models import Article

        close_old_connections()
        started = time.monotonic()
        self.edit_log.saving(path, headline)
        record = {"path": path, "headline": headline, "acked": False, "started": started}
        self.edits.append(record)
        try:
            with transaction.atomic():
                article = Article.objects.select_for_update().get(pk=self.article_ids[path])
                article.headline = headline
                article.save()
        except DatabaseError:
            connection.close()
            result = "error"
        else:
            record["acked"] = True
            self.edit_log.committed(path, headline)
            result = "ok"
        self.recorder.add(Outcome(started, time.monotonic() - started, "write", "edit", result))
        return record

    def commenter(self, number):
        from django.conf import settings

        accounts = iter(self.readers[number * 30 : number * 30 + 30])
        session, posted = None, 0
        for _ in self.paced(3):
            if session is None or posted >= settings.COMMENT_RATE_LIMIT:
                username = next(accounts, None)
                if username is None:
                    return
                session, posted = self.sign_in(username), 0
                continue
            path = random.choice(self.paths)
            body = f"Comment {uuid.uuid4().hex} during make faults."
            record = {"body": body, "article": self.article_ids[path], "user": username}
            record.update(acked=False, started=time.monotonic())
            self.comments.append(record)
            response = self.post(session, f"/comments/{record['article']}/", {"body": body}, path)
            posted += 1
            if response is not None and response.status_code == 302:
                record["acked"] = "#comment-" in response.headers.get("Location", "")
            if response is not None and response.status_code == 429:
                posted = settings.COMMENT_RATE_LIMIT

    def saver(self):
        username = self.readers[-1]
        session = None
        article_ids = sorted(set(self.all_article_ids))
        for number, _ in enumerate(self.paced(3)):
            if session is None:
                session = self.sign_in(username)
                continue
            article_id = article_ids[number % len(article_ids)]
            record = {"user": username, "article": article_id, "acked": False}
            record["started"] = time.monotonic()
            self.saves.append(record)
            response = self.post(session, f"/accounts/saved/{article_id}/", {}, "/")
            if response is not None and response.status_code == 302:
                record["acked"] = "/accounts/login/" not in response.headers.get("Location", "")

    def post(self, session, path, data, referer):
        name = "comment" if path.startswith("/comments/") else "save"
        return timed(
            self.recorder,
            session,
            "POST",
            f"{self.url}{path}",
            "write",
            name,
            expect=lambda response: response.status_code == 302,
            data={**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
            headers={"Referer": f"{self.url}{referer}"},
        )


# ------------------------------------------------------------------------------
# The faults: each injects, waits, recovers, and returns what it measured on the way
# ------------------------------------------------------------------------------
@dataclass
class Fault:
    name: str
    title: str
    run: object  # (cluster, load) -> details dict; sets details["recovered"]
    details: dict = field(default_factory=dict)


def app_killed(cluster, load):
    pids = with_children(cluster.pid("gunicorn1"))
    signal_all(pids, signal.SIGKILL)
    time.sleep(10)
    recovering = time.monotonic()
    cluster.start_again("gunicorn1")
    return {"restart_seconds": round(time.monotonic() - recovering, 1)}


def app_frozen(cluster, load):
    pids = with_children(cluster.pid("gunicorn1"))
    signal_all(pids, signal.SIGSTOP)
    try:
        time.sleep(10)
    finally:
        signal_all(pids, signal.SIGCONT)
    return {}


def edge_node_restarted_empty(cluster, load):
    pid = cluster.pid("varnish1")
    signal_all([pid], signal.SIGTERM)
    wait_gone(pid, "varnish1")
    time.sleep(10)
    cluster.start_again("varnish1")
    return {}


def redis_primary_killed(cluster, load):
    sentinels = cluster.sentinel_ports()
    old_port = engines.sentinel_primary(sentinels)
    name = cluster.name_of_port(old_port)
    killed = time.monotonic()
    signal_all([cluster.pid(name)], signal.SIGKILL)

    def promoted():
        port = engines.sentinel_primary(sentinels)
        return port is not None and port != old_port

    engines.wait_until(promoted, "Sentinel promotes the replica", 60)
    failover = time.monotonic() - killed
    time.sleep(max(0.0, 10 - failover))
    cluster.start_again(name)
    return {"killed": name, "failover_seconds": round(failover, 1)}


def replica_stopped(cluster, load):
    pid = cluster.pid("postgres-replica")
    signal_all([pid], signal.SIGINT)  # PostgreSQL's fast shutdown
    wait_gone(pid, "the replica")
    time.sleep(15)
    cluster.start_again("postgres-replica")
    return {}


def pgbouncer_restarted(cluster, load):
    pid = cluster.pid("pgbouncer")
    stopping = time.monotonic()
    # PgBouncer's safe shutdown (PAUSE, then SHUTDOWN), which Debian's systemd unit sends.
    signal_all([pid], signal.SIGINT)
    wait_gone(pid, "PgBouncer")
    cluster.start_again("pgbouncer")
    return {"down_seconds": round(time.monotonic() - stopping, 1)}


def primary_stopped(cluster, load):
    pid = cluster.pid("postgres-primary")
    signal_all([pid], signal.SIGINT)
    wait_gone(pid, "the primary")
    time.sleep(20)
    cluster.start_again("postgres-primary")
    return {}


def cached_on(node_url, path):
    """Fetch `path` from one node until it is a hit there: what a ban must then remove."""
    engines.wait_until(
        lambda: (
            requests.get(f"{node_url}{path}", timeout=REQUEST_TIMEOUT).headers.get("X-Cache")
            == "HIT"
        ),
        f"{path} cached on {node_url}",
        30,
    )


def fresh_after(node_url, path, text, seconds=30):
    """Seconds until the node serves `path` with `text` in it, asked every 20 ms."""
    began = time.monotonic()
    while text not in requests.get(f"{node_url}{path}", timeout=REQUEST_TIMEOUT).text:
        if time.monotonic() - began > seconds:
            raise TimeoutError(f"{text!r} not on {node_url}{path} within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - began


def edge_frozen_during_edit(cluster, load):
    """varnish1, manager and cache process, frozen while an edit commits: its ban waits."""
    node = cluster.url("varnish1")
    path = load.fault_paths[0]
    cached_on(node, path)
    pids = with_children(cluster.pid("varnish1"))
    signal_all(pids, signal.SIGSTOP)
    try:
        record = load.edit(path, f"Edited while varnish1 was frozen {uuid.uuid4().hex[:10]}")
        time.sleep(5)
    finally:
        signal_all(pids, signal.SIGCONT)
    if not record["acked"]:
        return {"error": "the edit did not commit"}
    return {"fresh_after_seconds": round(fresh_after(node, path, record["headline"]), 2)}


@contextmanager
def refusing_bans(cluster, node):
    """The node answers every ban 403 (a VCL with another purge secret) and serves as before."""
    directory = cluster.engine_directory(node)
    servers = [("127.0.0.1", str(cluster.port(n))) for n in ("gunicorn1", "gunicorn2")]
    top = directory / "refusing.vcl"
    top.write_text(render(servers, ["127.0.0.1", "::1"], "1s", purge_secret=uuid.uuid4().hex * 2))
    name = f"refusing{uuid.uuid4().hex[:8]}"
    engines.varnishadm(directory, "vcl.load", name, str(top))
    engines.varnishadm(directory, "vcl.use", name)
    try:
        yield
    finally:
        engines.varnishadm(directory, "vcl.use", "boot")
        engines.varnishadm(directory, "vcl.discard", name)


def ban_owed_by_a_killed_app_server(cluster, load):
    """A comment committed by gunicorn1 while varnish1 refuses bans, gunicorn1 killed right
    after: another application server's deliverer takes the ban over and delivers it."""
    from newsite.cache.purge_queue import GROUP, stream_key

    node, committer = cluster.url("varnish1"), cluster.url("gunicorn1")
    path = load.fault_paths[1]
    article_id = load.article_ids[path]
    cached_on(node, path)
    username = load.readers[-2]
    session = requests.Session()
    login = session.get(f"{committer}/accounts/login/", timeout=REQUEST_TIMEOUT)
    from demo.credentials import GENERATED_READER_PASSWORD

    session.post(
        login.url,
        data={
            "username": username,
            "password": GENERATED_READER_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login.url},
        timeout=REQUEST_TIMEOUT,
    )
    body = f"Comment {uuid.uuid4().hex} owed by a killed application server."
    record = {"body": body, "article": article_id, "user": username, "acked": False}
    record["started"] = time.monotonic()
    load.comments.append(record)
    stream = stream_key(node)
    with refusing_bans(cluster, "varnish1"):
        answer = session.post(
            f"{committer}/comments/{article_id}/",
            data={"body": body, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": f"{committer}{path}"},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        record["acked"] = answer.status_code == 302
        dead = with_children(cluster.pid("gunicorn1"))
        signal_all(dead, signal.SIGKILL)
        redis_port = engines.sentinel_primary(cluster.sentinel_ports())
        owed = int(engines.redis_command(redis_port, "XLEN", stream) or 0)
        held_by_the_dead = {f"{os.uname().nodename}:{pid}" for pid in dead}

        def taken_over():
            pending = engines.redis_command(redis_port, "XPENDING", stream, GROUP, "-", "+", "100")
            return not {consumer for _, consumer, _, _ in pending or []} & held_by_the_dead

        engines.wait_until(taken_over, "another deliverer takes over", 30)
    seconds = fresh_after(node, path, body)
    cluster.start_again("gunicorn1")
    return {"owed_in_redis": owed, "fresh_after_seconds": round(seconds, 2)}


FAULTS = [
    Fault(
        "app-killed",
        "1. an application server killed (SIGKILL), started again 10 s later",
        app_killed,
    ),
    Fault("app-frozen", "2. an application server frozen (SIGSTOP) for 10 s", app_frozen),
    Fault(
        "edge-restarted",
        "3. a Varnish node stopped for 10 s, started again empty",
        edge_node_restarted_empty,
    ),
    Fault(
        "redis-primary-killed",
        "4. the Redis primary killed (Sentinel failover)",
        redis_primary_killed,
    ),
    Fault("replica-stopped", "5. the PostgreSQL replica stopped for 15 s", replica_stopped),
    Fault("pgbouncer-restarted", "6. PgBouncer restarted", pgbouncer_restarted),
    Fault("primary-stopped", "7. the PostgreSQL primary stopped for 20 s", primary_stopped),
    Fault(
        "edge-frozen-ban",
        "8. a Varnish node frozen for 5 s while an edit commits",
        edge_frozen_during_edit,
    ),
    Fault(
        "ban-owed-by-killed-app",
        "8b. a node refusing bans, the application server that committed killed",
        ban_owed_by_a_killed_app_server,
    ),
]


# ------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------
def connect_django(cluster):
    """This process edits and checks as the application servers do: their settings."""
    os.environ.update(cluster.environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsite.settings")
    import django

    django.setup()


def prepare_load(cluster, recorder):
    from django.contrib.auth import get_user_model

    from accounts.models import SavedArticle
    from articles.models import Article
    from demo.credentials import DEMO_READERS

    home = requests.get(f"{cluster.url()}/", timeout=REQUEST_TIMEOUT).text
    paths = sorted(set(ARTICLE_LINK.findall(home)))
    slugs = {path.rstrip("/").rpartition("/")[2]: path for path in paths}
    article_ids = {
        slugs[slug]: pk
        for pk, slug in Article.objects.filter(slug__in=slugs).values_list("pk", "slug")
    }
    paths = [path for path in paths if path in article_ids]
    readers = list(
        get_user_model()
        .objects.filter(is_staff=False)
        .exclude(username__in=DEMO_READERS)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    load = Load(cluster, recorder, EditLog(), watched=paths[:6], paths=paths[6:], readers=readers)
    load.article_ids = article_ids
    # Edited by faults 8 and 8b only, so that what they measure is theirs alone.
    load.fault_paths = paths[EDITED_ARTICLES:6]
    load.all_article_ids = list(Article.objects.published().values_list("pk", flat=True)[:2000])
    # The saver's account starts with nothing saved, so that each save it is told of is a row.
    SavedArticle.objects.filter(user__username=readers[-1]).delete()
    return load


def flushed_reads():
    """Move the counted reads into PostgreSQL (flush_read_counts); the total saved there."""
    from django.core.management import call_command
    from django.db import close_old_connections
    from django.db.models import Sum

    from articles.models import Article

    close_old_connections()  # PgBouncer or PostgreSQL may have restarted since the last one
    call_command("flush_read_counts", verbosity=0, stdout=io.StringIO())
    return Article.objects.using("default").aggregate(total=Sum("read_count"))["total"] or 0


@dataclass
class Phase:
    name: str
    title: str
    started: float
    injected: float = 0.0
    recovered: float = 0.0
    ended: float = 0.0
    details: dict = field(default_factory=dict)
    reads_flushed: int = 0
    beacons_acked: int = 0


def run(faults, say=print):
    from django.conf import settings
    from django.db import close_old_connections

    cluster = RunningCluster()
    connect_django(cluster)
    recorder = Recorder()
    load = prepare_load(cluster, recorder)
    reads_at_start = flushed_reads()
    began = time.monotonic()
    load.start()
    say(f"Load started; warming up for {WARM_UP_SECONDS} s")
    time.sleep(WARM_UP_SECONDS)
    phases = [Phase("steady", "steady state, no fault", time.monotonic())]
    time.sleep(STEADY_SECONDS)
    for fault in faults:
        end_phase(phases[-1], load, reads_at_start)
        phase = Phase(fault.name, fault.title, time.monotonic())
        phases.append(phase)
        say(f"Fault {fault.title}")
        phase.injected = time.monotonic()
        try:
            phase.details = fault.run(cluster, load)
        except (TimeoutError, engines.EngineFailed, requests.RequestException) as error:
            phase.details = {"error": str(error)}
            say(f"  did not recover as expected: {error}")
        phase.recovered = time.monotonic()
        say(f"  recovered after {phase.recovered - phase.injected:.1f} s; settling")
        time.sleep(SETTLE_SECONDS)
    end_phase(phases[-1], load, reads_at_start)
    load.stop()
    # What the edge still owes: a ban's retry round, then every write is checked.
    time.sleep(2)
    results = summarise(phases, load, recorder.snapshot(), began)
    close_old_connections()  # PgBouncer or PostgreSQL may have restarted since the last query
    results["writes"] = check_writes(load, phases)
    results["seconds"] = round(time.monotonic() - began)
    results["ban_retry_interval"] = settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL
    results["reban_after"] = settings.NEWSITE_EDGE_REBAN_AFTER
    return results


def end_phase(phase, load, reads_at_start):
    phase.ended = time.monotonic()
    with load.beacons_held():
        try:
            phase.reads_flushed = flushed_reads() - reads_at_start
        except Exception as error:
            phase.details["flush_error"] = str(error)
        phase.beacons_acked = sum(1 for _, acked in load.beacons if acked)


# ------------------------------------------------------------------------------
# What the figures say
# ------------------------------------------------------------------------------
FAILURES = ("5xx", "timeout", "connection", "4xx", "error")
WRITE_COUNTS = ("acked", "present", "failed", "failed_present", "half")


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def within(outcomes, start, end):
    return [o for o in outcomes if start <= o.started < end]


def phase_figures(outcomes, phase, edit_log):
    mine = within(outcomes, phase.started, phase.ended)
    reads = [o for o in mine if o.direction == "read"]
    writes = [o for o in mine if o.direction == "write"]
    stale = [seconds for at, seconds in edit_log.stale if phase.started <= at < phase.ended]
    return {
        "requests": len(mine),
        "read_failures": {kind: sum(o.result == kind for o in reads) for kind in FAILURES},
        "write_failures": {kind: sum(o.result == kind for o in writes) for kind in FAILURES},
        "throttled": sum(o.result == "throttled" for o in mine),
        "read_p50_ms": round(percentile([o.seconds for o in reads], 0.5) * 1000, 1),
        "read_p99_ms": round(percentile([o.seconds for o in reads], 0.99) * 1000, 1),
        "write_p50_ms": round(percentile([o.seconds for o in writes], 0.5) * 1000, 1),
        "write_p99_ms": round(percentile([o.seconds for o in writes], 0.99) * 1000, 1),
        "stale_pages": len(stale),
        "worst_staleness_seconds": round(max(stale, default=0.0), 2),
    }


def summarise(phases, load, outcomes, began):
    rows = []
    previous_flushed, previous_acked = 0, 0
    for phase in phases:
        row = {
            "name": phase.name,
            "title": phase.title,
            "started_at": round(phase.started - began, 1),
            "fault_seconds": round(phase.recovered - phase.injected, 1) if phase.injected else 0,
            "injected_at": round(phase.injected - began, 1) if phase.injected else None,
            "recovered_at": round(phase.recovered - began, 1) if phase.injected else None,
            "ended_at": round(phase.ended - began, 1),
            "details": phase.details,
            **phase_figures(outcomes, phase, load.edit_log),
            "reads_acknowledged": phase.beacons_acked - previous_acked,
            "reads_saved": phase.reads_flushed - previous_flushed,
        }
        previous_flushed, previous_acked = phase.reads_flushed, phase.beacons_acked
        rows.append(row)
    return {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "phases": rows,
        "per_second": per_second(outcomes, began),
    }


def per_second(outcomes, began):
    """[second, reads, writes, failures, p50 ms, p99 ms] for every second of the run."""
    seconds = {}
    for outcome in outcomes:
        seconds.setdefault(int(outcome.started - began), []).append(outcome)
    rows = []
    for second in range(max(seconds, default=-1) + 1):
        these = seconds.get(second, [])
        latencies = [o.seconds * 1000 for o in these]
        rows.append(
            [
                second,
                sum(o.direction == "read" for o in these),
                sum(o.direction == "write" for o in these),
                sum(o.result in FAILURES for o in these),
                round(percentile(latencies, 0.5), 1),
                round(percentile(latencies, 0.99), 1),
            ]
        )
    return rows


def check_writes(load, phases):
    """Every acknowledged comment, save and edit against what the primary holds now."""
    from accounts.models import SavedArticle
    from articles.models import Article, Comment

    bodies = [c["body"] for c in load.comments]
    stored = {
        body: (article, user)
        for body, article, user in Comment.objects.using("default")
        .filter(body__in=bodies)
        .values_list("body", "article_id", "user__username")
    }
    saved = set(
        SavedArticle.objects.using("default")
        .filter(user__username__in={s["user"] for s in load.saves})
        .values_list("user__username", "article_id")
    )
    headlines = dict(
        Article.objects.using("default")
        .filter(pk__in=load.article_ids.values())
        .values_list("pk", "headline")
    )
    per_phase = {phase.name: dict.fromkeys(WRITE_COUNTS, 0) for phase in phases}

    def phase_of(started):
        for phase in reversed(phases):
            if started >= phase.started:
                return per_phase[phase.name]
        return per_phase[phases[0].name]

    for comment in load.comments:
        present = comment["body"] in stored
        whole = stored.get(comment["body"]) == (comment["article"], comment["user"])
        tally(phase_of(comment["started"]), comment["acked"], present, present and not whole)
    for save in load.saves:
        present = (save["user"], save["article"]) in saved
        tally(phase_of(save["started"]), save["acked"], present, False)
    for index, edit in enumerate(load.edits):
        shown = headlines.get(load.article_ids[edit["path"]])
        # An acknowledged edit is kept if the article shows it or an edit made after it.
        after = [e["headline"] for e in load.edits[index:] if e["path"] == edit["path"]]
        present = shown in after if edit["acked"] else shown == edit["headline"]
        tally(phase_of(edit["started"]), edit["acked"], present, False)
    return per_phase


def tally(counts, acked, present, half_there):
    if acked:
        counts["acked"] += 1
        counts["present"] += present
    else:
        counts["failed"] += 1
        counts["failed_present"] += present
    counts["half"] += half_there


# ------------------------------------------------------------------------------
# docs/reliability.md, .png and .json
# ------------------------------------------------------------------------------
def goals(results, retry_interval, reban_after):
    """[(goal, met, what was measured)] for the goals of docs/reliability-notes.md."""
    phases = {row["name"]: row for row in results["phases"]}
    writes = results["writes"]
    lost = {
        name: counts["acked"] - counts["present"] + counts["half"]
        for name, counts in writes.items()
    }
    found = [
        (
            "0 writes lost in every fault",
            not any(lost.values()),
            ", ".join(f"{name} {count}" for name, count in lost.items() if count) or "0 everywhere",
        )
    ]
    for name in ("app-killed", "edge-restarted", "replica-stopped", "pgbouncer-restarted"):
        if name in phases:
            failed = sum(phases[name]["read_failures"].values())
            found.append((f"0 failed reads: {phases[name]['title']}", failed == 0, f"{failed}"))
    if "primary-stopped" in phases:
        row = phases["primary-stopped"]
        failed = sum(row["read_failures"].values())
        found.append(
            ("reads served from the edge throughout fault 7", failed == 0, f"{failed} failed reads")
        )
    for name in ("edge-frozen-ban", "ban-owed-by-killed-app"):
        if name not in phases:
            continue
        row = phases[name]
        stale = row["worst_staleness_seconds"]
        found.append(
            (
                f"{row['title']}: no reader shown a page staler than the re-ban interval "
                f"({reban_after:g} s)",
                stale <= reban_after,
                f"{stale:g} s",
            )
        )
        fresh = row["details"].get("fresh_after_seconds")
        found.append(
            (
                f"{row['title']}: the node fresh within the ban retry interval ({retry_interval:g}"
                f" s) of answering again, plus {ROUND_TRIPS:g} s for the ban's and the page's "
                "round trips",
                fresh is not None and fresh <= retry_interval + ROUND_TRIPS,
                f"{fresh} s" if fresh is not None else row["details"].get("error"),
            )
        )
    return found


def failures_cell(counts):
    parts = [f"{count} {kind}" for kind, count in counts.items() if count]
    return ", ".join(parts) or "0"


def table(results):
    steady = results["phases"][0]
    lines = [
        "| fault | reproduce | requests | failed reads | failed writes | read p50 / p99 ms "
        f"(steady {steady['read_p50_ms']:g} / {steady['read_p99_ms']:g}) | worst stale page, s "
        "| writes acknowledged → in the database | failed writes in the database "
        "| reads counted → saved |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["phases"]:
        writes = results["writes"][row["name"]]
        command = f"`make faults FAULTS={row['name']}`" if row["name"] != "steady" else "—"
        lost = writes["acked"] - writes["present"]
        lines.append(
            f"| {row['title']} | {command} | {row['requests']:,} "
            f"| {failures_cell(row['read_failures'])} | {failures_cell(row['write_failures'])} "
            f"| {row['read_p50_ms']:g} / {row['read_p99_ms']:g} "
            f"| {row['worst_staleness_seconds']:g} ({row['stale_pages']} pages) "
            f"| {writes['acked']} → {writes['present']} (**{lost} lost**, {writes['half']} half) "
            f"| {writes['failed_present']} of {writes['failed']} "
            f"| {row['reads_acknowledged']} → {row['reads_saved']} |"
        )
    return "\n".join(lines)


def details(results):
    lines = []
    for row in results["phases"][1:]:
        found = ", ".join(
            f"{key.replace('_', ' ')} {value}" for key, value in row["details"].items()
        )
        lines.append(
            f"- {row['title']}: fault for {row['fault_seconds']:g} s "
            f"(from {row['injected_at']:g} s to {row['recovered_at']:g} s of the run)"
            + (f"; {found}" if found else "")
        )
    return "\n".join(lines)


def write_report(results, retry_interval, reban_after):
    checks = goals(results, retry_interval, reban_after)
    goal_lines = [
        f"| {goal} | {'met' if met else '**missed**'} | {measured} |"
        for goal, met, measured in checks
    ]
    text = f"""# Reliability: `make faults`

Figures only, rewritten by every full `make faults` run ({results["measured"]}, on a shared
2-core machine, {results["seconds"]} s from start to end): what each fault cost the readers and
writers of a running `make cluster`. What they mean, what was changed because of them and the
figures before those changes: [reliability-notes.md](reliability-notes.md).

Reproduce: `make cluster` in one terminal, `make faults` in another (`FAULTS=name,…` runs some
faults only and prints their rows without rewriting this page).

## Goals

| goal | held | measured |
|---|---|---|
{chr(10).join(goal_lines)}

## Each fault

Every row covers the fault and the {SETTLE_SECONDS} s after the engine was back. Failed reads and
writes are counted by kind: an answer of 5xx, no answer within {REQUEST_TIMEOUT} s (timeout), or
a connection refused or reset; "4xx" is an answer that was not the one expected (such as a
comment sent back to the sign-in page). Latency is every request's, failures included. A stale
page shows a headline older than one committed {STALE_AFTER} s or more before the request
started. Writes are the comments, saves and headline edits sent during the row; each one
acknowledged must be in the database afterwards, whole. Reads counted are read beacons answered
204, and saved is what `flush_read_counts` moved into PostgreSQL at the end of the row.

{table(results)}

{details(results)}

![Requests per second, failures and latency over the run, the faults shaded](reliability.png)
"""
    REPORT.write_text(text)
    return checks


def draw_chart(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds, reads, writes, failed, p50, p99 = zip(*results["per_second"], strict=True)
    figure, (rate, failures, latency) = plt.subplots(3, 1, figsize=(12, 8), sharex=True)
    rate.plot(seconds, reads, label="reads/s", linewidth=0.8)
    rate.plot(seconds, writes, label="writes/s", linewidth=0.8)
    rate.set_ylabel("requests per second")
    rate.legend(loc="upper right")
    failures.bar(seconds, failed, color="tab:red", width=1.0)
    failures.set_ylabel("failures per second")
    # A second in which no request started has no latency: a gap, not a 0 on a log scale.
    latency.plot(seconds, [value or math.nan for value in p50], label="p50", linewidth=0.8)
    latency.plot(seconds, [value or math.nan for value in p99], label="p99", linewidth=0.8)
    latency.set_yscale("log")
    latency.set_ylabel("latency, ms")
    latency.set_xlabel("seconds into the run")
    latency.legend(loc="upper right")
    for row in results["phases"][1:]:
        for axes in (rate, failures, latency):
            axes.axvspan(row["injected_at"], row["recovered_at"], color="0.85", zorder=0)
        rate.annotate(row["title"].split(".")[0], (row["injected_at"], 0), fontsize=8)
    figure.suptitle("make faults: one fault at a time (shaded) under a steady load")
    figure.tight_layout()
    figure.savefig(CHART, dpi=100)
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faults", default="", help="comma-separated names; all by default")
    parser.add_argument("--results", type=Path, help="where a run of some faults writes its JSON")
    parser.add_argument(
        "--report", action="store_true", help=f"rewrite the report from {RESULTS.name} only"
    )
    arguments = parser.parse_args()
    names = [name for name in arguments.faults.split(",") if name]
    unknown = set(names) - {fault.name for fault in FAULTS}
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {[f.name for f in FAULTS]}")
    if arguments.report:
        results = json.loads(RESULTS.read_text())
    else:
        faults = [fault for fault in FAULTS if not names or fault.name in names]
        results = run(faults, say=lambda message: print(f"[faults] {message}", flush=True))
    if names:
        if arguments.results:
            arguments.results.write_text(json.dumps(results, indent=1) + "\n")
        print(table(results))
        print(details(results))
        return
    report(results)


def report(results):
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    checks = write_report(results, results["ban_retry_interval"], results["reban_after"])
    draw_chart(results)
    for goal, met, measured in checks:
        print(f"[faults] {'met   ' if met else 'MISSED'} {goal}: {measured}")
    print(f"[faults] {REPORT} and {CHART} written, {results['seconds']} s")


if __name__ == "__main__":
    main()
