"""Shared pages are the same bytes for everyone who shares them, so one cached copy serves all.

There are two variants of each page: for anonymous visitors, with their (identical) per-reader
bits rendered in, and for readers with a session, with those bits included by URL. Only the
fragments under /_fragments/ may depend on who is reading.
"""

import pytest
from django.test import Client

from tests.helpers import reader_urls

pytestmark = pytest.mark.django_db

SHARED_PAGES = ["home", "section", "article", "author", "topic", "search", "feed", "sitemap"]


@pytest.mark.parametrize("page", SHARED_PAGES)
def test_a_shared_page_is_identical_for_every_reader_and_every_anonymous_visitor(
    page, make_newsroom, alice, bob
):
    url = reader_urls(make_newsroom()[0])[page]
    as_alice, as_bob = Client(), Client()
    as_alice.force_login(alice)
    as_bob.force_login(bob)
    visitors = {"anonymous": Client(), "another anonymous": Client(), "alice": as_alice}
    visitors["bob"] = as_bob

    responses = {name: visitor.get(url) for name, visitor in visitors.items()}

    assert responses["anonymous"].content == responses["another anonymous"].content
    assert responses["alice"].content == responses["bob"].content
    for response in responses.values():
        assert response.status_code == 200
        assert "Cookie" not in response.get("Vary", ""), "the page read the session"
        assert not response.cookies, "a shared page must not set cookies"
        assert b"alice" not in response.content
        assert b"bob" not in response.content


def test_anonymous_visitors_get_their_bits_in_the_page_readers_get_placeholders(
    make_newsroom, alice_client
):
    url = make_newsroom()[0].get_absolute_url()
    anonymous = Client().get(url).content.decode()
    signed_in = alice_client.get(url).content.decode()
    assert "data-fragment-url" not in anonymous
    assert 'class="personal-bar"' in anonymous
    assert "Sign in to save" in anonymous
    assert 'data-fragment-url="/_fragments/personal-bar/?next=' in signed_in
    assert 'data-fragment-url="/_fragments/save-button/' in signed_in
    assert "Sign in to save" not in signed_in


def test_the_personal_bar_fragment_is_the_one_place_that_greets_the_reader(alice_client):
    anonymous = Client().get("/_fragments/personal-bar/", {"next": "/world/"}).content.decode()
    signed_in = alice_client.get("/_fragments/personal-bar/").content.decode()
    assert "Sign in" in anonymous
    assert "/accounts/login/?next=/world/" in anonymous
    assert "Hi, <strong>alice</strong>" in signed_in
    assert "Saved (0)" in signed_in


def test_a_fragment_never_sets_a_cookie(alice_client, make_newsroom):
    article = make_newsroom()[0]
    for url in [
        "/_fragments/personal-bar/",
        f"/_fragments/save-button/{article.pk}/",
        f"/_fragments/shared/comment-form/{article.pk}/",
        "/_fragments/shared/most-read/",
    ]:
        for visitor in (Client(), alice_client):
            response = visitor.get(url)
            assert response.status_code == 200
            assert not response.cookies, url


def test_a_fragment_link_back_never_leaves_the_site(client, db):
    response = client.get("/_fragments/personal-bar/?next=https://evil.example/", follow=True)
    page = response.content.decode()
    assert "Sign in" in page
    assert "evil.example" not in page
