"""Readers' accounts: sign up, sign in and out, passwords, and saving articles for later."""

import re
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.models import SavedArticle
from tests import services
from tests.factories import DEMO_PASSWORD, ArticleFactory, SavedArticleFactory, UserFactory

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


@pytest.mark.postgres
def test_a_sign_up_whose_first_sign_in_fails_leaves_no_account(client):
    """The account and its sign-in are one transaction: if the database refuses the session
    half-way, no account is left behind for a sign-up that answered with an error."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_session() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the database went away'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_sessions BEFORE INSERT ON django_session "
            "FOR EACH ROW EXECUTE FUNCTION refuse_session()"
        )
    with pytest.raises(DatabaseError, match="the database went away"):
        client.post(
            reverse("accounts:signup"),
            {
                "username": "carol",
                "email": "carol@example.com",
                "password1": "a-long-new-password",
                "password2": "a-long-new-password",
            },
        )
    assert not get_user_model().objects.filter(username="carol").exists()


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


# ------------------------------------------------------------------------------
# Signing in: lockouts per account and per address (django-axes, in the database)
# ------------------------------------------------------------------------------
def sign_in(client, username, password, url="/accounts/login/", address="127.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def pass_the_cool_off(settings):
    """As if the cool-off had passed since every failure on record."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)


def test_after_30_wrong_passwords_the_right_one_does_not_work_until_the_cool_off(
    client, alice, settings
):
    for attempt in range(30):
        # From many addresses: the account's own count locks it.
        sign_in(client, "alice", f"guess-{attempt}", address=f"203.0.113.{attempt}")
    response = sign_in(client, "alice", DEMO_PASSWORD, address="198.51.100.1")
    page = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "too many wrong passwords for this account" in page
    assert reverse("accounts:password_reset") in page
    assert "_auth_user_id" not in client.session

    pass_the_cool_off(settings)
    assert sign_in(client, "alice", DEMO_PASSWORD, address="198.51.100.1").status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_one_address_guessing_many_accounts_is_locked_out(client, alice, bob, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"someone{number}", "guess", address="203.0.113.9")
    assert sign_in(client, "bob", DEMO_PASSWORD, address="203.0.113.9").status_code == 429
    assert sign_in(client, "alice", DEMO_PASSWORD, address="198.51.100.1").status_code == 302


def test_the_admin_sign_in_is_locked_out_too(client, settings):
    UserFactory(username="chief", is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "chief", "guess", url="/admin/login/").status_code == 200
    assert sign_in(client, "chief", "guess", url="/admin/login/").status_code == 429
    response = sign_in(client, "chief", DEMO_PASSWORD, url="/admin/login/")
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302, "not signed in"


def test_a_completed_password_reset_clears_the_failures_and_signs_the_reader_in(
    client, alice, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "guess", address="203.0.113.9")
    assert sign_in(client, "alice", DEMO_PASSWORD).status_code == 429
    reader = Client()
    reader.post(reverse("accounts:password_reset"), {"email": alice.email})
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    form_page = reader.get(urlsplit(link).path, follow=True)
    response = reader.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-long-password", "new_password2": "reset-long-password"},
    )
    assert response.status_code == 302
    assert reader.session["_auth_user_id"] == str(alice.pk), "signed in by the reset"
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert sign_in(Client(), "alice", "reset-long-password").status_code == 302


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_lockouts_hold_while_redis_is_down(client, alice, settings):
    services.stop_redis()
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "alice", "guess")
        assert sign_in(client, "alice", DEMO_PASSWORD).status_code == 429
    finally:
        services.start_redis()


# ------------------------------------------------------------------------------
# E-mail addresses and password resets
# ------------------------------------------------------------------------------
def test_an_email_address_signs_up_one_account_whatever_its_capitals(client, alice):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "alice2",
            "email": alice.email.upper(),
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
        },
    )
    assert response.status_code == 200
    assert "An account already uses this email address." in response.content.decode()
    assert not get_user_model().objects.filter(username="alice2").exists()


def test_the_database_refuses_a_second_account_with_the_same_address(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="alice2", email=alice.email.title())
    # Accounts without an address are left out of the index.
    UserFactory(username="nobody1", email="")
    UserFactory(username="nobody2", email="")


def test_a_reset_request_sends_at_most_one_email(client, alice):
    """Someone signs up again with alice's address in capitals; a reset for it must still
    reach one account with one e-mail."""
    Client().post(
        reverse("accounts:signup"),
        {
            "username": "alice2",
            "email": alice.email.upper(),
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
        },
    )
    client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email]


def test_reset_links_are_built_from_the_site_address_not_the_host_header(client, alice, settings):
    settings.ALLOWED_HOSTS = ["news.example.com"]
    settings.SITE_URL = "https://news.example.com"
    client.post(
        reverse("accounts:password_reset"),
        {"email": alice.email},
        HTTP_HOST="news.example.com:6666",
    )
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert link.startswith("https://news.example.com/accounts/password/reset/")


def test_reset_requests_are_limited_per_address_and_per_email(client, alice, bob, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "password-reset": (2, 3600),
        "password-reset-email": (1, 3600),
    }
    url = reverse("accounts:password_reset")
    # Per e-mail address, from any client: a stranger's mailbox is not flooded.
    assert client.post(url, {"email": alice.email}, REMOTE_ADDR="203.0.113.1").status_code == 302
    response = client.post(url, {"email": alice.email}, REMOTE_ADDR="203.0.113.2")
    assert response.status_code == 429
    assert len(mail.outbox) == 1
    # Per client, whatever the address asked for.
    assert client.post(url, {"email": bob.email}, REMOTE_ADDR="203.0.113.1").status_code == 302
    response = client.post(url, {"email": "carol@example.com"}, REMOTE_ADDR="203.0.113.1")
    assert response.status_code == 429
