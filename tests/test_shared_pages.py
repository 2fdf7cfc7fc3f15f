"""Shared pages are the same bytes for every visitor, so one cached copy can serve everybody.

Only the per-reader fragments under /_fragments/ may depend on who is reading.
"""

import pytest
from django.test import Client

from tests.test_pages import reader_urls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page", ["home", "section", "article", "author", "topic", "search", "feed", "sitemap"]
)
def test_a_shared_page_is_identical_for_anonymous_and_signed_in_readers(
    page, make_newsroom, alice, bob
):
    url = reader_urls(make_newsroom()[0])[page]
    anonymous = Client()
    as_alice, as_bob = Client(), Client()
    as_alice.force_login(alice)
    as_bob.force_login(bob)

    responses = [visitor.get(url) for visitor in (anonymous, as_alice, as_bob)]

    assert responses[0].content == responses[1].content == responses[2].content
    for response in responses:
        assert response.status_code == 200
        assert "Cookie" not in response.get("Vary", ""), "the page read the session"
        assert not response.cookies, "a shared page must not set cookies"
    assert b"alice" not in responses[1].content


def test_the_personal_bar_fragment_is_the_one_place_that_greets_the_reader(alice_client):
    anonymous = Client().get("/_fragments/personal-bar/?next=/world/").content.decode()
    signed_in = alice_client.get("/_fragments/personal-bar/").content.decode()
    assert "Sign in" in anonymous
    assert "/accounts/login/?next=/world/" in anonymous
    assert "Hi, <strong>alice</strong>" in signed_in
    assert "Saved (0)" in signed_in


def test_a_fragment_never_sets_a_cookie(alice_client, make_newsroom):
    article = make_newsroom()[0]
    for url in [
        "/_fragments/personal-bar/",
        "/_fragments/messages/",
        f"/_fragments/save-button/{article.pk}/",
        f"/_fragments/comment-form/{article.pk}/",
    ]:
        for visitor in (Client(), alice_client):
            response = visitor.get(url)
            assert response.status_code == 200
            assert not response.cookies, url


def test_a_fragment_link_back_never_leaves_the_site(client, db):
    page = client.get("/_fragments/personal-bar/?next=https://evil.example/").content.decode()
    assert "evil.example" not in page
