"""`make faults` (bench/faults.py): the parts of its bookkeeping that cost little to check.

The whole run needs a `make cluster` and minutes; these check what its verdicts rest on: a write
acknowledged and missing is lost while one that failed may be absent, a page is stale only
against an edit committed before the request, a killed process counts as gone before its
parent reaps it, and the cluster starts again an engine a tool asked it to.
"""

import json
import signal
import subprocess
import time
import uuid

import pytest
import requests

from bench import faults
from deploy import cluster as cluster_module
from deploy.engines import wait_until
from tests.factories import ArticleFactory, CommentFactory, SavedArticleFactory
from tests.helpers import replica_is_past_the_fence, sign_in_at_the_application_server


def search(cluster, application_server):
    """A search for a word nobody wrote, on one application server: its status."""
    url = f"{cluster.node_url(application_server)}/search/?q=nothing{uuid.uuid4().hex[:8]}"
    return requests.get(url, timeout=10).status_code


def replica_past_the_fence(cluster):
    """Once a read has set the fence (a cluster nobody has edited yet has none), wait until
    the replica, 3 s behind, has replayed past it."""
    search(cluster, "gunicorn1")
    wait_until(lambda: replica_is_past_the_fence(cluster), "the replica past the fence", 30)


def phase(name, started):
    return faults.Phase(name, name, started)


def load_that_wrote(comments=(), saves=(), edits=(), article_ids=None):
    load = faults.Load(None, faults.Recorder(), faults.EditLog(), [], [], [])
    load.comments, load.saves, load.edits = list(comments), list(saves), list(edits)
    load.article_ids = article_ids or {}
    return load


@pytest.mark.django_db
def test_an_acknowledged_comment_missing_from_the_database_is_counted_lost():
    kept = CommentFactory(body="Kept")
    acknowledged = [
        {"body": "Kept", "article": kept.article_id, "user": kept.user.username},
        {"body": "Never stored", "article": kept.article_id, "user": kept.user.username},
    ]
    load = load_that_wrote(
        comments=[{**comment, "acked": True, "started": 1.0} for comment in acknowledged]
    )

    counts = faults.check_writes(load, [phase("steady", 0.0)])["steady"]

    assert (counts["acked"], counts["present"]) == (2, 1)


@pytest.mark.django_db
def test_a_failed_write_may_be_absent_or_present_but_a_comment_elsewhere_is_half_there():
    """A comment stored on another article than the one it was sent for is not the write the
    reader made: half there. Failed writes are counted apart, present or not."""
    stored = CommentFactory(body="Stored on another article")
    elsewhere = ArticleFactory()
    sent = {"body": stored.body, "article": elsewhere.pk, "user": stored.user.username}
    saved = SavedArticleFactory()
    load = load_that_wrote(
        comments=[{**sent, "acked": True, "started": 1.0}],
        saves=[
            {
                "user": saved.user.username,
                "article": saved.article_id,
                "acked": False,
                "started": 5,
            },
            {"user": saved.user.username, "article": elsewhere.pk, "acked": False, "started": 6},
        ],
    )

    counts = faults.check_writes(load, [phase("steady", 0.0), phase("primary-stopped", 4.0)])

    assert counts["steady"]["half"] == 1
    assert counts["primary-stopped"] == {
        "acked": 0,
        "present": 0,
        "failed": 2,
        "failed_present": 1,
        "half": 0,
    }


@pytest.mark.django_db
def test_an_acknowledged_edit_overwritten_by_a_later_one_is_kept():
    article = ArticleFactory(headline="Second")
    path = article.get_absolute_url()
    edits = [
        {"path": path, "headline": "First", "acked": True, "started": 1.0},
        {"path": path, "headline": "Second", "acked": True, "started": 2.0},
        {"path": path, "headline": "Third, failed", "acked": False, "started": 3.0},
    ]
    load = load_that_wrote(edits=edits, article_ids={path: article.pk})

    counts = faults.check_writes(load, [phase("steady", 0.0)])["steady"]

    assert counts == {"acked": 2, "present": 2, "failed": 1, "failed_present": 0, "half": 0}


def test_a_page_is_stale_only_against_an_edit_committed_before_the_request_started():
    log = faults.EditLog()
    log.saving("/a/", "Old")
    log.committed("/a/", "Old")
    log.saving("/a/", "New")
    log.check("/a/", "Old", time.monotonic())  # New is being saved: Old is still right
    log.committed("/a/", "New")
    log.check("/a/", "Old", time.monotonic() + faults.STALE_AFTER / 2)
    log.check("/a/", "New", time.monotonic() + 1)
    assert log.stale == []

    log.check("/a/", "Old", time.monotonic() + 1)

    [(_, seconds)] = log.stale
    assert seconds == pytest.approx(1, abs=0.1)


def test_a_killed_process_is_gone_before_its_parent_has_reaped_it():
    process = subprocess.Popen(["sleep", "60"])
    assert not faults.gone(process.pid)
    faults.signal_all([process.pid], signal.SIGKILL)
    wait_until(lambda: faults.gone(process.pid), "sleep killed")
    assert process.poll() is not None  # reaped only now: until then it was a zombie


@pytest.mark.cluster
def test_the_cluster_starts_again_an_engine_a_tool_asked_it_to(cluster):
    """A tool kills an engine by the pid running.json names, and asks for it to be started
    again: the cluster does, as its own child, and running.json names the new pid."""
    sentinel = cluster.engines["sentinel3"]
    killed = sentinel.pid
    faults.signal_all([killed], signal.SIGKILL)
    sentinel.process.wait()
    reported = set()  # an engine another test stopped for good may be in it too
    cluster_module.look_after(cluster, reported)
    assert not sentinel.running
    assert "sentinel3" in reported

    (sentinel.directory / cluster_module.START_AGAIN_FILE).touch()
    cluster_module.look_after(cluster, reported)

    assert sentinel.running
    assert sentinel.pid != killed
    assert "sentinel3" not in reported
    running = json.loads((cluster.directory / cluster_module.RUNNING_FILE).read_text())
    assert running["engines"]["sentinel3"]["pid"] == sentinel.pid


@pytest.mark.cluster
def test_with_the_primary_stopped_reader_pages_are_built_from_the_replica_and_writes_get_a_503(
    cluster,
):
    """Fault 7: the probe says "degraded", not "failing", so the edge keeps asking for what it
    does not hold (a page an edit has just banned); reader pages are read from the replica, and
    a comment gets the friendly 503 that says when to come back."""
    replica_past_the_fence(cluster)
    application = cluster.node_url("gunicorn1")
    alice = sign_in_at_the_application_server(application, "alice")
    primary = cluster.engines["postgres-primary"]
    primary.stop()
    try:
        health = requests.get(f"{application}/-/health/", timeout=10)
        # A process that found the replica failing not long ago reads the primary a while
        # (REPLICA_RETRY_AFTER): under a loaded machine, allow a few of those.
        wait_until(
            lambda: search(cluster, "gunicorn1") == 200, "a search read from the replica", 30
        )
        comment = alice.post(
            f"{application}/comments/1/",
            data={
                "body": "While the primary is down",
                "csrfmiddlewaretoken": alice.cookies["csrftoken"],
            },
            headers={"Referer": f"{application}/"},
            allow_redirects=False,
            timeout=10,
        )
    finally:
        primary.start()
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["replica"] == "ok"
    assert comment.status_code == 503
    assert "Retry-After" in comment.headers


@pytest.mark.cluster
def test_with_the_replica_stopped_a_read_it_fails_is_answered_from_the_primary(cluster):
    """Fault 5: the replica stops under reads that were going to it. A search is read from the
    database at every request (nothing caches it), straight from each application server: each
    answers 200, the read that found the replica gone having been made again on the primary."""
    replica_past_the_fence(cluster)
    for name in cluster.application_names:
        search(cluster, name)  # each process has seen the replica replay past the fence
    replica = cluster.engines["postgres-replica"]
    replica.stop()
    try:
        answers = [search(cluster, name) for name in cluster.application_names * 3]
    finally:
        replica.start()
    assert answers == [200] * len(answers)
