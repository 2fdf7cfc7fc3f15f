"""What Django tells the caches in front of it (newsite/cache/edge.py), decided in one place."""

import pytest
from django.http import HttpResponse

from accounts.readers import reader_tag
from newsite.cache.edge import EdgeHeadersMiddleware
from newsite.cache.tags import CollectTagsMiddleware, depends_on
from tests.factories import ArticleFactory
from tests.helpers import run_manage

pytestmark = pytest.mark.django_db


def test_with_debug_on_every_response_is_private(client, settings):
    """Debug pages show settings, queries and code: no cache may hand them to anyone else."""
    article = ArticleFactory()
    settings.DEBUG = True
    page = client.get(article.get_absolute_url())
    technical_not_found = client.get("/no-such-section/")
    assert page.status_code == 200
    assert technical_not_found.status_code == 404
    assert "Using the URLconf defined in" in technical_not_found.content.decode()
    for response in (page, technical_not_found, client.get("/-/alive/")):
        assert response["Cache-Control"] == "private, no-store"
        assert "Surrogate-Key" not in response


def test_with_debug_off_a_shared_page_is_public_for_the_edge(client):
    article = ArticleFactory()
    response = client.get(article.get_absolute_url())
    assert response["Cache-Control"].startswith("public, max-age=0, s-maxage=")
    assert f"article:{article.slug}" in response["Surrogate-Key"].split()


def test_a_response_built_from_a_readers_own_data_is_private(rf, alice):
    """Even one that forgot to read the session: `reader:<id>` is declared never shared."""

    def careless_view(request):
        depends_on([reader_tag(alice.pk)])
        return HttpResponse("Hi, alice")

    response = CollectTagsMiddleware(EdgeHeadersMiddleware(careless_view))(rf.get("/"))
    assert response["Cache-Control"] == "private, no-store"
    assert "Surrogate-Key" not in response


def test_an_edge_without_its_purge_secret_is_a_clear_error_at_start():
    result = run_manage("check", DJANGO_DEBUG="true", VARNISH_NODES="http://127.0.0.1:6081")
    assert result.returncode != 0
    assert "Set NEWSITE_EDGE_PURGE_SECRET" in result.stderr
