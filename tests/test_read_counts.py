"""Article reads: only pages the site has shown are counted, nothing in the counters can break
a page, and every read reaches the database exactly once, whatever dies on the way."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from articles.management.commands import flush_read_counts as flush
from articles.models import Article
from articles.queries import reads
from newsite.cache import tags
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PROJECT = Path(__file__).resolve().parent.parent


def redis():
    return cache.client.get_client(write=True)


def saved_reads(*articles):
    return [Article.objects.get(pk=article.pk).read_count for article in articles]


def read(article, times=1):
    for _ in range(times):
        reads.increment(article.pk)


def run_flush():
    call_command("flush_read_counts", verbosity=0)


# ------------------------------------------------------------------------------
# The beacon counts only articles the site has shown
# ------------------------------------------------------------------------------
def test_an_article_page_counts_its_reads_through_its_signed_beacon(client):
    article = ArticleFactory()
    page = client.get(article.get_absolute_url()).content.decode()
    beacon = re.search(r'data-read-beacon="([^"]+)"', page)[1]
    assert beacon.startswith(f"/-/read/{article.pk}/")
    for _ in range(2):
        assert client.post(beacon).status_code == 204
    run_flush()
    assert saved_reads(article) == [2]


def test_a_made_up_beacon_is_refused_and_counts_nothing(client, settings):
    # A rate-limit window of a day: the client's counter stays one key for the whole test.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read-beacon": (100, 86400)}
    article, other = ArticleFactory(), ArticleFactory()
    signature = article.read_beacon_url.rstrip("/").rpartition("/")[2]
    made_up = [
        "/-/read/0/",
        "/-/read/99999999999999999999999/",
        f"/-/read/{article.pk}/",
        f"/-/read/{article.pk}/forged/",
        f"/-/read/{other.pk}/{signature}/",  # another article's signature
        f"/-/read/99999999999999999999999/{signature}/",
    ]
    # What every not-found page shares, and this client's rate counter, are stored by the first.
    client.post(made_up[3])
    keys_before = redis().dbsize()
    for url in made_up:
        assert client.post(url).status_code == 404, url
    assert redis().dbsize() == keys_before
    assert not list(redis().scan_iter(match="reads:*"))
    run_flush()
    assert saved_reads(article, other) == [0, 0]


def test_whatever_the_counters_hold_the_home_page_and_the_rail_answer(client):
    article = ArticleFactory(headline="Read by everyone")
    today = f"reads:day:{timezone.localdate().isoformat()}"
    for member in ["abc", "", "0", "-1", "99999999999999999999999", "１２", "1e3"]:
        redis().zincrby(today, 100, member)
    read(article)

    home = client.get("/")
    rail = client.get("/_fragments/shared/most-read/")
    assert home.status_code == rail.status_code == 200
    assert "Read by everyone" in rail.content.decode()


SQLITE_HUGE_ID = """
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from articles.queries import reads
from tests.factories import ArticleFactory

setup_test_environment()
call_command("migrate", verbosity=0)
article = ArticleFactory(headline="Read on SQLite")
reads.increment(article.pk)
reads.increment(99999999999999999999999)
home, rail = Client().get("/"), Client().get("/_fragments/shared/most-read/")
print(home.status_code, rail.status_code, "Read on SQLite" in rail.content.decode())
"""


def test_on_sqlite_a_huge_id_in_the_counters_breaks_no_page(tmp_path):
    """SQLite refuses integers beyond 64 bits: such an id must never reach it. (The embedded
    default: SQLite, and counters in the process's memory.)"""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "NEWSITE_"))
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    environment["DJANGO_DEBUG"] = "true"
    environment["DJANGO_DEBUG_TOOLBAR"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SQLITE_HUGE_ID],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["200", "200", "True"], result.stderr


# ------------------------------------------------------------------------------
# Invalidating everything keeps every unsaved read
# ------------------------------------------------------------------------------
def test_invalidating_everything_keeps_every_unsaved_read_and_rebuilds_the_pages(client):
    article = ArticleFactory(headline="Before the bulk load")
    read(article, 3)
    assert "Before the bulk load" in client.get(article.get_absolute_url()).content.decode()

    # A bulk change that sends no signals (the seed), then the one call it makes.
    Article.objects.filter(pk=article.pk).update(headline="After the bulk load")
    tags.invalidate_everything()

    assert "After the bulk load" in client.get(article.get_absolute_url()).content.decode()
    run_flush()
    assert saved_reads(article) == [3]


def test_on_the_local_memory_cache_invalidating_everything_rebuilds_the_pages(client, settings):
    settings.CACHES = {"default": {"BACKEND": "newsite.cache.backend.LocMemCache"}}
    article = ArticleFactory(headline="Before the bulk load")
    assert "Before the bulk load" in client.get(article.get_absolute_url()).content.decode()
    Article.objects.filter(pk=article.pk).update(headline="After the bulk load")
    tags.invalidate_everything()
    assert "After the bulk load" in client.get(article.get_absolute_url()).content.decode()


# ------------------------------------------------------------------------------
# flush_read_counts: killed after any step, the next run makes the totals exact
# ------------------------------------------------------------------------------
STEPS = ["claim", "read", "save", "forget"]


def flush_that_dies_after(step):
    """Run flush_read_counts' steps in order, and stop dead after `step`."""
    flush.claim()
    if step == "claim":
        return
    batches = flush.pending_batches()
    if step == "read":
        return
    for batch_id, counts in batches.items():
        flush.save(batch_id, counts)
    if step == "save":
        return
    for batch_id in batches:
        flush.forget(batch_id)


@pytest.mark.parametrize("step", STEPS)
def test_a_flush_killed_after_any_step_loses_and_repeats_no_read(step):
    first, second = ArticleFactory(), ArticleFactory()
    read(first, 3)
    read(second, 2)
    flush_that_dies_after(step)
    read(first)  # reads go on between the runs
    flush_that_dies_after(step)  # and the next run dies at the same place
    read(second)

    run_flush()

    assert saved_reads(first, second) == [4, 3]
    assert reads.batches() == {}, "nothing is left pending"
    run_flush()
    assert saved_reads(first, second) == [4, 3]


def test_a_database_failure_while_redis_refuses_writes_loses_no_read(settings):
    """The database fails while saving, and Redis refuses writes at the same moment (out of
    memory): the counts must still be in Redis, for the next run."""
    article = ArticleFactory()
    read(article, 5)

    def fail_with_redis_full(execute, sql, params, many, context):
        if sql.startswith('UPDATE "articles_article"'):
            redis().config_set("maxmemory", 1)
            raise OperationalError("the database went away")
        return execute(sql, params, many, context)

    try:
        with (
            connection.execute_wrapper(fail_with_redis_full),
            pytest.raises(OperationalError),
        ):
            run_flush()
    finally:
        redis().config_set("maxmemory", 0)
    assert saved_reads(article) == [0]

    run_flush()
    assert saved_reads(article) == [5]


def test_two_flushes_saving_the_same_batch_at_once_add_it_once():
    article = ArticleFactory()
    read(article, 7)
    flush.claim()
    [(batch_id, counts)] = flush.pending_batches().items()
    start_together = threading.Barrier(2)
    outcomes = []

    def save():
        start_together.wait()
        try:
            outcomes.append(flush.save(batch_id, counts))
        finally:
            connection.close()

    runs = [threading.Thread(target=save) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    assert sorted(outcomes) == [False, True]
    assert saved_reads(article) == [7]
