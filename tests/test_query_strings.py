"""Canonical URLs (newsite/cache/canonical.py): a shared page exists under one URL only.

A query string the page does not read, or a value spelt another way, is answered with a
redirect to the canonical URL before any cache is consulted; a value naming nothing gets the
friendly 404; and every link the site makes is canonical already.
"""

import pytest
from django.test import Client

from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("/?cb=1", "/"),
        ("/world/?page=+2", "/world/?page=2"),
        ("/world/?page=%202", "/world/?page=2"),
        ("/world/?page=02", "/world/?page=2"),
        ("/world/?page=2&cb=1", "/world/?page=2"),
        ("/world/?page=1", "/world/"),
        ("/world/?page=", "/world/"),
        ("/world/?page=3&page=2", "/world/?page=2"),
        ("/search/?q=Brexit%20%20VOTE", "/search/?q=brexit+vote"),
        ("/search/?q=+brexit+vote+", "/search/?q=brexit+vote"),
        ("/search/?q=brexit&page=2", "/search/?page=2&q=brexit"),
        ("/search/?q=", "/search/"),
        ("/sitemap-articles.xml?p=02&cb=1", "/sitemap-articles.xml?p=2"),
        ("/feeds/latest/?utm_source=mail", "/feeds/latest/"),
        ("/_fragments/shared/most-read/?next=/world/", "/_fragments/shared/most-read/"),
        ("/_fragments/personal-bar/?next=/world/", "/_fragments/personal-bar/?next=%2Fworld%2F"),
    ],
)
def test_a_non_canonical_url_is_redirected_to_the_canonical_one(client, asked, canonical):
    SectionFactory(slug="world")
    response = client.get(asked)
    assert response.status_code == 301
    assert response["Location"] == canonical
    assert response["Cache-Control"].startswith("public, max-age=0, s-maxage=")
    assert client.get(canonical).status_code in (200, 404), "no second redirect"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "2x", "1234567", "٢"])
def test_a_page_number_that_names_no_page_is_not_found(client, page):
    SectionFactory(slug="world")
    response = client.get("/world/", {"page": page})
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


def test_the_canonical_url_is_served_without_a_redirect(client):
    SectionFactory(slug="world")
    for url in ["/", "/world/", "/search/?q=brexit+vote", "/sitemap.xml"]:
        assert client.get(url).status_code == 200, url


def test_equivalent_searches_share_one_cached_page(client, django_assert_num_queries):
    ArticleFactory(headline="Brexit vote tonight")
    first = client.get("/search/", {"q": "  Brexit   VOTE "}, follow=True)
    assert first.redirect_chain == [("/search/?q=brexit+vote", 301)]
    assert "Brexit vote tonight" in first.content.decode()
    with django_assert_num_queries(0):
        again = client.get("/search/", {"q": "brexit vote"})
    assert again.content == first.content


def test_page_links_are_canonical(client, settings):
    settings.ARTICLES_PER_PAGE = 2
    section = SectionFactory(slug="world")
    ArticleFactory.create_batch(6, section=section, headline="Volcano news")
    page_two = client.get("/world/?page=2").content.decode()
    assert 'rel="prev" href="/world/"' in page_two
    assert 'rel="next" href="/world/?page=3"' in page_two
    results = client.get("/search/?page=2&q=volcano").content.decode()
    assert 'rel="prev" href="/search/?q=volcano"' in results
    assert 'rel="next" href="/search/?page=3&amp;q=volcano"' in results


def test_fragments_are_included_under_their_canonical_urls(make_newsroom):
    article = make_newsroom()[0]
    reader = Client(headers={"Surrogate-Capability": "varnish=ESI/1.0"})
    reader.cookies["sessionid"] = "any"
    page = reader.get(article.get_absolute_url()).content.decode()
    path = article.get_absolute_url().replace("/", "%2F")
    assert f'<esi:include src="/_fragments/personal-bar/?next={path}"/>' in page
    assert f'<esi:include src="/_fragments/save-button/{article.pk}/?next={path}"/>' in page


def test_shared_fragments_are_rendered_into_the_page_even_for_readers_with_a_session(
    make_newsroom,
):
    """Only a reader's own fragments are left for the edge to assemble."""
    make_newsroom()
    reader = Client(headers={"Surrogate-Capability": "varnish=ESI/1.0"})
    reader.cookies["sessionid"] = "any"
    home = reader.get("/").content.decode()
    assert "Most read" in home
    assert home.count("<esi:include") == 1


def test_private_pages_keep_their_query_strings(client):
    response = client.get("/accounts/login/", {"next": "/world/", "zz": "1"})
    assert response.status_code == 200
