"""Readers' accounts: sign up, sign in and out, passwords, and saving articles for later."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import SavedArticle
from tests.factories import DEMO_PASSWORD, ArticleFactory, SavedArticleFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_signs_up_and_is_signed_in_at_once(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="carol").exists()
    bar = client.get("/_fragments/personal-bar/").content.decode()
    assert "Hi, <strong>carol</strong>" in bar
    assert "Welcome to The Daily Cache, carol." in bar


def test_sign_up_explains_what_is_wrong(client, alice):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "alice", "email": "not-an-email", "password1": "x", "password2": "y"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "A user with that username already exists." in page
    assert "Enter a valid email address." in page
    assert "password fields didn’t match" in page


def test_a_reader_signs_in_with_the_form_and_comes_back_to_the_article(client, alice):
    article = ArticleFactory()
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": DEMO_PASSWORD, "next": article.get_absolute_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()


def test_a_wrong_password_is_refused_politely(client, alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_signing_out_takes_a_post_and_ends_the_session(alice_client):
    assert alice_client.get(reverse("accounts:logout")).status_code == 405
    response = alice_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "Sign in" in alice_client.get("/_fragments/personal-bar/").content.decode()


def test_a_reader_changes_their_password(alice_client, alice):
    response = alice_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "another-long-password",
            "new_password2": "another-long-password",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another-long-password")


def test_a_reader_resets_a_forgotten_password_by_email(client, alice):
    client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-long-password", "new_password2": "reset-long-password"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("reset-long-password")


def test_the_profile_needs_a_signed_in_reader(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_saving_an_article_puts_it_on_the_profile_and_in_the_personal_bar(alice_client, alice):
    article = ArticleFactory()
    response = alice_client.post(
        reverse("accounts:save-article", args=[article.pk]),
        {"next": article.get_absolute_url()},
    )
    assert response["Location"] == article.get_absolute_url()
    assert article.headline in alice_client.get(reverse("accounts:profile")).content.decode()
    assert "Saved (1)" in alice_client.get("/_fragments/personal-bar/").content.decode()
    button = alice_client.get(f"/_fragments/save-button/{article.pk}/").content.decode()
    assert "★ Saved" in button


def test_saving_twice_keeps_one_copy_and_unsaving_removes_it(alice_client, alice):
    article = ArticleFactory()
    url = reverse("accounts:save-article", args=[article.pk])
    alice_client.post(url)
    alice_client.post(url)
    assert SavedArticle.objects.filter(user=alice).count() == 1
    alice_client.post(url, {"action": "unsave"})
    assert not SavedArticle.objects.filter(user=alice).exists()


def test_saving_only_goes_back_to_pages_of_this_site(alice_client):
    article = ArticleFactory()
    response = alice_client.post(
        reverse("accounts:save-article", args=[article.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == article.get_absolute_url()


def test_saving_needs_a_signed_in_reader_and_a_post(alice_client):
    article = ArticleFactory()
    url = reverse("accounts:save-article", args=[article.pk])
    assert Client().post(url).status_code == 302
    assert alice_client.get(url).status_code == 405
    assert not SavedArticle.objects.exists()


def test_a_reader_sees_only_their_own_saved_articles(alice_client, bob):
    bobs = SavedArticleFactory(user=bob)
    assert bobs.article.headline not in alice_client.get("/accounts/profile/").content.decode()
    bob_client = Client()
    bob_client.force_login(bob)
    assert bobs.article.headline in bob_client.get("/accounts/profile/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_personal_bar_follows_saves_and_password_changes_at_once(alice):
    """The bar's data is cached per reader, and invalidated with it."""
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.force_login(alice)
    assert "Saved (0)" in phone.get("/_fragments/personal-bar/").content.decode()
    laptop.post(reverse("accounts:save-article", args=[ArticleFactory().pk]))
    assert "Saved (1)" in phone.get("/_fragments/personal-bar/").content.decode()

    laptop.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "a-brand-new-password",
            "new_password2": "a-brand-new-password",
        },
    )
    assert "Hi, <strong>alice</strong>" in laptop.get("/_fragments/personal-bar/").content.decode()
    assert "Sign in" in phone.get("/_fragments/personal-bar/").content.decode(), "signed out"


def test_a_readers_fragments_run_no_sql_once_warm(alice_client, django_assert_num_queries):
    article = ArticleFactory()
    urls = [
        "/_fragments/personal-bar/",
        f"/_fragments/save-button/{article.pk}/",
        f"/_fragments/shared/comment-form/{article.pk}/",
    ]
    for url in urls:
        alice_client.get(url)
    with django_assert_num_queries(0):
        for url in urls:
            assert alice_client.get(url).status_code == 200
