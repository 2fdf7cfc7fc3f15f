"""Article reads: invalidating everything loses none of those not yet saved."""

import pytest
from django.core.management import call_command

from articles.models import Article
from articles.queries import reads
from newsite.cache import tags
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def saved_reads(*articles):
    return [Article.objects.get(pk=article.pk).read_count for article in articles]


def read(article, times=1):
    for _ in range(times):
        reads.increment(article.pk)


def run_flush():
    call_command("flush_read_counts", verbosity=0)


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
