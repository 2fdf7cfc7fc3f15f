"""Article reads: only pages the site has shown are counted, nothing in the counters can break
a page, and invalidating everything loses none of those not yet saved."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

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


def test_a_made_up_beacon_is_refused_and_counts_nothing(client):
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
    client.post(made_up[0])  # what every not-found page shares is cached by the first
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
