"""Ending a session: a reader who signed out stays signed out, whatever the cache did meanwhile.

Through real Redis and PostgreSQL. Redis is made to hang by stopping its process (its data
stays); after one failed call, this process skips the cache for NEWSITE_CACHE_RETRY_AFTER
seconds, though Redis may be back: the moment when a skipped delete used to leave a signed-out
session in the cache, to work again once the cache was tried again.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.sessions import SessionStore
from newsite.cache.backend import outage
from tests import services
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def short_outage_window(settings):
    settings.NEWSITE_CACHE_RETRY_AFTER = 3


@pytest.fixture
def reader(alice):
    """Alice, signed in with the form, her session cached in Redis."""
    return sign_in(Client(), "alice")


def sign_in(client, username, password=DEMO_PASSWORD):
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def session_key(client):
    return client.cookies["sessionid"].value


def holding(key):
    """A browser that holds the session cookie `key`, as a thief who copied it would."""
    client = Client()
    client.cookies["sessionid"] = key
    return client


def signed_in_as(client):
    """The reader the site takes this browser for, on a private page and in the personal bar;
    None for nobody."""
    profile = client.get("/accounts/profile/")
    bar = client.get("/_fragments/personal-bar/").content.decode()
    if profile.status_code == 302:
        assert "Hi, <strong>" not in bar, "the personal bar still names a reader"
        return None
    assert profile.status_code == 200
    return profile.wsgi_request.user.username


def fail_the_cache_once(client):
    """One cache call times out while Redis hangs; Redis then answers again, with all its data,
    but this process skips the cache until the retry interval is over."""
    with services.redis_hanging():
        client.get("/_fragments/personal-bar/")
    assert outage.is_down()


def wait_until_the_cache_is_tried_again():
    deadline = time.monotonic() + 10
    while outage.is_down():
        assert time.monotonic() < deadline, "the retry interval never ended"
        time.sleep(0.05)


def run_as_async_code(coroutine_function):
    """Await `coroutine_function()` in a thread of its own (the browser tests leave an event
    loop running in this one)."""

    def run():
        try:
            async_to_sync(coroutine_function)()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(run).result(timeout=30)


def test_signing_out_just_after_a_cache_failure_ends_the_session_for_good(reader):
    old_key = session_key(reader)
    assert signed_in_as(reader) == "alice"
    fail_the_cache_once(reader)

    assert reader.post(reverse("accounts:logout")).status_code == 302

    wait_until_the_cache_is_tried_again()
    assert signed_in_as(holding(old_key)) is None
    assert signed_in_as(reader) is None


def test_signing_out_while_redis_hangs_fails_visibly_and_changes_nothing(reader):
    old_key = session_key(reader)
    with services.redis_hanging():
        response = reader.post(reverse("accounts:logout"))
        assert response.status_code == 503
        assert response["Retry-After"] == "3"
        assert "We could not sign you out" in response.content.decode()
        assert "sessionid" not in response.cookies, "the cookie is kept"
        assert signed_in_as(reader) == "alice", "still signed in, as the page says"

    assert reader.post(reverse("accounts:logout")).status_code == 302  # trying again works
    wait_until_the_cache_is_tried_again()
    assert signed_in_as(holding(old_key)) is None


def test_signing_in_as_someone_else_just_after_a_cache_failure_ends_the_previous_session(
    reader, bob
):
    old_key = session_key(reader)
    fail_the_cache_once(reader)

    sign_in(reader, "bob")

    wait_until_the_cache_is_tried_again()
    assert signed_in_as(holding(old_key)) is None
    assert signed_in_as(reader) == "bob"


def test_signing_in_just_after_a_cache_failure_ends_the_session_the_visitor_had(client, alice):
    """Signing in moves a visitor's session to a new key, so that a key planted by somebody
    else (session fixation) is worth nothing; the old key is ended in the cache as well."""
    planted = SessionStore()
    planted["planted by"] = "somebody else"
    planted.create()
    client.cookies["sessionid"] = planted.session_key
    fail_the_cache_once(client)

    sign_in(client, "alice")

    assert session_key(client) != planted.session_key
    wait_until_the_cache_is_tried_again()
    assert SessionStore(planted.session_key).load() == {}
    assert signed_in_as(holding(planted.session_key)) is None
    assert signed_in_as(client) == "alice"


def test_signing_out_in_async_code_just_after_a_cache_failure_ends_the_session_for_good(
    reader,
):
    old_key = session_key(reader)
    fail_the_cache_once(reader)

    run_as_async_code(SessionStore(old_key).aflush)  # what django.contrib.auth.alogout() does

    wait_until_the_cache_is_tried_again()
    assert signed_in_as(holding(old_key)) is None


def test_changing_the_password_just_after_a_cache_failure_ends_the_previous_session(reader):
    old_key = session_key(reader)
    fail_the_cache_once(reader)

    response = reader.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "a-brand-new-password",
            "new_password2": "a-brand-new-password",
        },
    )

    assert response.status_code == 302
    wait_until_the_cache_is_tried_again()
    assert signed_in_as(holding(old_key)) is None
    assert signed_in_as(reader) == "alice"


def test_a_copy_written_back_by_a_request_that_read_the_session_just_before_sign_out_is_ignored(
    reader,
):
    old_key = session_key(reader)
    # Another request of Alice's has read her session from the database, and is slow.
    data_read_elsewhere = Session.objects.get(session_key=old_key).get_decoded()

    reader.post(reverse("accounts:logout"))
    cache.set(KEY_PREFIX + old_key, data_read_elsewhere)  # and now it caches what it read

    assert signed_in_as(holding(old_key)) is None


def test_a_cached_session_outlives_its_database_row_by_the_session_cache_ttl_at_most(
    reader, settings
):
    settings.NEWSITE_SESSION_CACHE_TTL = 1
    sign_in(reader, "alice")  # a session cached under the new setting
    key = session_key(reader)
    assert signed_in_as(reader) == "alice"
    assert 0 < cache.ttl(KEY_PREFIX + key) <= 1

    Session.objects.filter(session_key=key).delete()  # ended another way (an admin, a script)

    deadline = time.monotonic() + 5
    while signed_in_as(holding(key)) is not None:
        assert time.monotonic() < deadline, "the cached copy outlived its row"
