"""Bans that outlive the process that owes them: owed in Redis, delivered at least once.

A Varnish node that does not take the ban of an edit (it refuses it, or cannot be reached) gets
it once it answers again, from a deliverer: a thread of another process here, or another
application server when the one that committed the edit was killed right after the commit.
Nothing owed grows without bound, duplicates are harmless, and with Redis down the committing
process retries by itself, as before there was a queue.
"""

import logging
import os
import re
import secrets
import signal
import socket
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from django.db import transaction

from deploy import engines
from deploy.varnish.render import render
from newsite.cache import purge_queue, tags
from newsite.cache.purge_backends import VarnishNode
from newsite.cache.purge_queue import GROUP, Deliverer, stream_key
from tests import services
from tests.factories import ArticleFactory
from tests.helpers import ARTICLE_LINK, sign_in_at_the_application_server
from tests.stack import Varnish

RETRY_INTERVAL = 0.2
# A deliverer's next round, the ban's round trip and the page fetched again: how long a node
# that takes bans again may still show the old page.
FRESH_WITHIN = RETRY_INTERVAL + 1.0
ARTICLE_ID = re.compile(r"/-/read/(\d+)/")


def wait_until(condition, what, seconds=15):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"never happened within {seconds} s: {what}"
        time.sleep(0.02)
    return result


def shows(url, text):
    return text in requests.get(url, timeout=10).text


def redis_command(*command):
    return purge_queue.redis_client().execute_command(*command)


def children(pid):
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def refusing_bans(directory, backends, vcl_in_use):
    """Inside the block the Varnish node in `directory` answers every ban 403 (a VCL whose purge
    secret is another one), and serves what it holds as before; then its VCL is `vcl_in_use`
    again. A node that does not take a ban is all the queue needs: why does not matter."""
    top = directory / "refusing.vcl"
    other_secret = secrets.token_urlsafe(32)
    top.write_text(render(backends, ["127.0.0.1", "::1"], "1s", purge_secret=other_secret))
    name = f"refusing{uuid.uuid4().hex[:8]}"
    assert engines.varnishadm(directory, "vcl.load", name, str(top)) is not None
    assert engines.varnishadm(directory, "vcl.use", name) is not None
    try:
        yield
    finally:
        engines.varnishadm(directory, "vcl.use", vcl_in_use)
        engines.varnishadm(directory, "vcl.discard", name)


# ------------------------------------------------------------------------------
# One node of our own, in front of the shared application server: only this process bans it
# ------------------------------------------------------------------------------
@pytest.fixture
def node(edge_stack, transactional_db, tmp_path, settings):
    varnish = Varnish(tmp_path).start()
    application = ("127.0.0.1", str(edge_stack.application.port))
    varnish.use_backend(edge_stack.application.port)
    varnish.refusing_bans = lambda: refusing_bans(tmp_path, application, f"newsite{varnish.loaded}")
    settings.VARNISH_NODES = [varnish.url]
    settings.NEWSITE_EDGE_PURGE_SECRET = varnish.purge_secret
    settings.NEWSITE_EDGE_REBAN_AFTER = 0
    settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL = RETRY_INTERVAL
    yield varnish
    varnish.stop()


@pytest.fixture
def deliverer(node):
    """Another application server's deliverer, in a thread of this process."""
    running = Deliverer(name="another-application-server").start()
    yield running
    running.stop()


def owed_to(node):
    return purge_queue.owed([node.url])[node.url]


def cached_page(node, headline):
    article = ArticleFactory(headline=headline)
    url = f"{node.url}{article.get_absolute_url()}"
    requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).headers["X-Cache"] == "HIT"
    return article, url


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_a_node_that_refuses_the_ban_of_an_edit_gets_it_once_it_takes_bans_again(
    node, deliverer, caplog
):
    article, url = cached_page(node, "Before the edit")
    with node.refusing_bans(), caplog.at_level(logging.WARNING, logger="newsite.cache"):
        article.headline = "After the edit"
        article.save()  # the first attempt is refused: the ban is owed in Redis
        assert owed_to(node) == 1
        wait_until(lambda: "trying again" in caplog.text, "the deliverer tries, and fails")
        assert "Before the edit" in requests.get(url, timeout=10).text
    taking_bans = time.monotonic()
    wait_until(lambda: shows(url, "After the edit"), "the owed ban", seconds=FRESH_WITHIN)
    fresh_after = time.monotonic() - taking_bans
    wait_until(lambda: owed_to(node) == 0, "the stream emptied once the node took the ban")
    assert fresh_after < FRESH_WITHIN


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_a_ban_of_everything_is_owed_like_any_other(node, deliverer):
    _, url = cached_page(node, "Kept until everything goes")
    with node.refusing_bans():
        with transaction.atomic():
            tags.invalidate_everything()  # after a bulk load, such as the seed
        assert owed_to(node) == 1
    wait_until(lambda: owed_to(node) == 0, "the ban of everything delivered")
    assert requests.get(url, timeout=10).headers["X-Cache"] == "MISS"


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_a_ban_delivered_twice_costs_one_miss_and_nothing_else(node, deliverer):
    article, url = cached_page(node, "Before the edit")
    article.headline = "After the edit"
    article.save()
    assert shows(url, "After the edit")
    assert requests.get(url, timeout=10).headers["X-Cache"] == "HIT"

    # The same ban once more, as a deliverer that took over a slow one's entry would send it.
    purge_queue.owe([VarnishNode(node.url)], [f"article:{article.slug}"], delay=0)
    wait_until(lambda: owed_to(node) == 0, "the duplicate delivered")
    again = requests.get(url, timeout=10)
    assert again.headers["X-Cache"] == "MISS"
    assert "After the edit" in again.text
    assert requests.get(url, timeout=10).headers["X-Cache"] == "HIT"


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_what_a_deliverer_that_went_away_held_is_taken_over_and_its_name_forgotten(node):
    """A worker recycled or killed holds owed bans in the group under its name: another
    deliverer takes them over once they have been quiet for a while (XAUTOCLAIM), and the
    name goes once nothing is pending under it."""
    article, url = cached_page(node, "Before the edit")
    with node.refusing_bans():
        recycled = Deliverer(name="recycled-worker").start()
        article.headline = "After the edit"
        article.save()
        wait_until(lambda: pending_under(node) == {"recycled-worker"}, "the first one holds it")
        recycled.stop()  # its thread ends with its worker; the entry stays pending under its name
        survivor = Deliverer(name="another-application-server").start()
    try:
        wait_until(
            lambda: shows(url, "After the edit"),
            "the ban taken over",
            seconds=purge_queue.claim_after() + FRESH_WITHIN,
        )
        wait_until(
            lambda: "recycled-worker" not in consumers(node), "the quiet deliverer forgotten"
        )
    finally:
        survivor.stop()
    assert owed_to(node) == 0


def pending_under(node):
    """The deliverers that hold the bans owed to `node` (none before any deliverer looked)."""
    client = purge_queue.redis_client()
    try:
        pending = client.xpending_range(stream_key(node.url), GROUP, "-", "+", 100)
    except redis.ResponseError:  # no group yet
        return set()
    return {row["consumer"].decode() for row in pending}


def consumers(node):
    rows = purge_queue.redis_client().xinfo_consumers(stream_key(node.url), GROUP)
    return {row["name"].decode() for row in rows}


@pytest.mark.redis
def test_a_ban_owed_for_longer_than_the_edge_keeps_a_page_is_dropped_with_a_log_line(
    settings, caplog
):
    dead_node = "http://127.0.0.1:9"
    settings.VARNISH_NODES = [dead_node]
    settings.NEWSITE_EDGE_PURGE_SECRET = "x" * 32
    settings.NEWSITE_EDGE_TTL = 60
    # Owed since 1970: nobody delivered it while it mattered.
    redis_command("XADD", stream_key(dead_node), "1000-0", "tags", "article:old", "delay", "0")
    deliverer = Deliverer(name="tidy")
    with caplog.at_level(logging.WARNING, logger="newsite.cache.purge_queue"):
        deliverer.deliver_once()
    assert purge_queue.owed([dead_node])[dead_node] == 0
    assert "Dropped 1 ban(s) owed to http://127.0.0.1:9 for more than 70 s" in caplog.text
    assert "article:old" in caplog.text


@pytest.mark.redis
def test_each_stream_keeps_only_what_is_worth_delivering(settings):
    """Writing an owed ban trims what has been owed for longer than the edge keeps a page,
    and a stream nobody writes to expires once everything in it is pointless."""
    dead_node = VarnishNode("http://127.0.0.1:9")
    settings.NEWSITE_EDGE_TTL = 60
    key = stream_key(dead_node.name)
    redis_command("XADD", key, "1000-0", "tags", "article:old", "delay", "0")
    purge_queue.owe([dead_node], ["article:new"], delay=0)
    entries = redis_command("XRANGE", key, "-", "+")
    assert [fields for _, fields in entries] == [{b"tags": b"article:new", b"delay": b"0"}]
    assert 0 < redis_command("TTL", key) <= purge_queue.max_age()


@pytest.mark.redis
def test_a_deliverer_with_nothing_owed_leaves_nothing_in_redis(settings):
    settings.VARNISH_NODES = ["http://127.0.0.1:9"]
    settings.NEWSITE_EDGE_PURGE_SECRET = "x" * 32
    keys_before = redis_command("DBSIZE")
    Deliverer(name="idle").deliver_once()
    assert redis_command("DBSIZE") == keys_before


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_with_redis_down_at_the_commit_the_committing_process_retries_by_itself(node, caplog):
    article, url = cached_page(node, "Before the edit")
    services.stop_redis()
    try:
        with node.refusing_bans(), caplog.at_level(logging.WARNING, logger="newsite.cache"):
            article.headline = "After the edit"
            article.save()
            assert "stay in this process, and are lost if it stops" in caplog.text
            assert "retrying in 0.5 s" in caplog.text
        wait_until(lambda: shows(url, "After the edit"), "the ban retried in this process")
    finally:
        services.start_redis()


# ------------------------------------------------------------------------------
# make cluster: the application server that committed the edit is killed right after
# ------------------------------------------------------------------------------
def kill_with_its_workers(engine):
    """SIGKILL a gunicorn and every worker of it at once, as a machine that loses power."""
    pids = [engine.pid, *children(engine.pid)]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    engine.process.wait()
    return pids


@pytest.mark.cluster
def test_a_ban_owed_by_an_application_server_killed_after_the_commit_reaches_the_node(
    cluster, cluster_findings
):
    """varnish1 refuses bans while gunicorn1 commits a comment, and gunicorn1 is killed (with
    its workers) right after: gunicorn2's deliverer takes over what gunicorn1's held, and
    varnish1 shows the comment within a retry interval of taking bans again."""
    node = cluster.node_url("varnish1")
    committer = cluster.node_url("gunicorn1")
    path = ARTICLE_LINK.findall(requests.get(f"{node}/", timeout=10).text)[0]
    page = f"{node}{path}"
    article_id = ARTICLE_ID.search(requests.get(page, timeout=10).text)[1]
    assert requests.get(page, timeout=10).headers["X-Cache"] == "HIT"
    alice = sign_in_at_the_application_server(committer, "alice")
    comment = f"Posted while a node refused bans, {uuid.uuid4().hex[:8]}"
    primary = engines.sentinel_primary(cluster.sentinel_ports)
    stream = stream_key(node)
    applications = [("127.0.0.1", str(cluster.port(name))) for name in cluster.application_names]

    with refusing_bans(cluster.engines["varnish1"].directory, applications, "boot"):
        answer = alice.post(
            f"{committer}/comments/{article_id}/",
            data={"body": comment, "csrfmiddlewaretoken": alice.cookies["csrftoken"]},
            headers={"Referer": f"{committer}{path}"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:300]
        killed = kill_with_its_workers(cluster.engines["gunicorn1"])
        assert int(engines.redis_command(primary, "XLEN", stream)) >= 1, "owed in Redis"
        assert comment not in requests.get(page, timeout=10).text
        held_by_the_dead = {f"{socket.gethostname()}:{pid}" for pid in killed}

        def taken_from_the_dead():
            pending = engines.redis_command(primary, "XPENDING", stream, GROUP, "-", "+", "100")
            return not {consumer for _, consumer, _, _ in pending or []} & held_by_the_dead

        wait_until(taken_from_the_dead, "gunicorn2 takes over what gunicorn1 held", seconds=30)
    taking_bans = time.monotonic()
    try:
        wait_until(lambda: shows(page, comment), "the comment on varnish1's page", seconds=10)
        fresh_after = time.monotonic() - taking_bans
    finally:
        cluster.engines["gunicorn1"].start()
    cluster_findings.append(
        f"a ban owed by a killed application server reached the node {fresh_after:.2f} s after "
        "it took bans again"
    )
    # NEWSITE_EDGE_BAN_RETRY_INTERVAL (1 s), then the ban's and the page's round trips.
    assert fresh_after < 2.0
