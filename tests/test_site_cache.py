"""NEWSITE_CACHE=site: Django's own per-site cache, the approach many sites use, for comparison.

It is fast, and it does not know about edits: a page stays as it was until it times out. The
benchmarks measure how long (docs/performance.md).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsite.cache import layers
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_cache(settings):
    """The middleware NEWSITE_CACHE=site configures (newsite/settings.py)."""
    middleware = list(settings.MIDDLEWARE)
    position = middleware.index("newsite.cache.pages.PageCacheMiddleware")
    middleware.insert(position, "django.middleware.cache.UpdateCacheMiddleware")
    middleware.append("django.middleware.cache.FetchFromCacheMiddleware")
    settings.MIDDLEWARE = middleware
    settings.NEWSITE_CACHE_LAYERS = layers.parse("site")
    settings.CACHE_MIDDLEWARE_SECONDS = 60


def test_djangos_per_site_cache_serves_a_page_without_the_view(site_cache):
    article = ArticleFactory()
    browser = Client()
    browser.get(article.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(article.get_absolute_url())
    assert response.status_code == 200
    assert len(queries) == 0
    assert "max-age=60" in response["Cache-Control"]


def test_djangos_per_site_cache_keeps_serving_an_edited_headline_stale(site_cache):
    article = ArticleFactory(headline="Before the edit")
    browser = Client()
    browser.get(article.get_absolute_url())
    article.headline = "After the edit"
    article.save()
    page = browser.get(article.get_absolute_url()).content.decode()
    assert "Before the edit" in page, "nothing told Django's cache about the edit"
