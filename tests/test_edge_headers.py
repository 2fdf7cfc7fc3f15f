"""What Django tells the caches in front of it (newsite/cache/edge.py), decided in one place."""

import pytest

from tests.factories import ArticleFactory

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
