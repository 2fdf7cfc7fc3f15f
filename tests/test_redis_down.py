"""Degrading, not failing: with Redis stopped or hanging, every page is still served (from
PostgreSQL), the failure is logged once per interval, no request waits on the dead server more
than once per interval, and caching resumes by itself when Redis is back."""

import logging
import time

import pytest
import redis
from django.test import Client

from newsite.cache.backend import outage
from tests import services
from tests.helpers import reader_urls
from tests.server_timing import cache_outcomes, server_timing

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FAILURE = "The cache is failing"


@pytest.fixture
def redis_server():
    """This session's throwaway Redis, running again (and empty) after the test."""
    yield services.controlled_redis()
    services.start_redis()


def failures_logged(caplog):
    return [record for record in caplog.records if record.getMessage().startswith(FAILURE)]


def pause_redis(server, milliseconds=1000):
    """Make Redis hold every command for a while, keeping its data (CLIENT PAUSE)."""
    redis.Redis(port=server.port).execute_command("CLIENT", "PAUSE", milliseconds, "ALL")


def cache_calls(response):
    return int(server_timing(response)["cache"][1].split()[0])


def test_with_redis_stopped_every_page_is_served_and_the_failure_logged_once(
    redis_server, client, alice_client, make_newsroom, caplog, settings
):
    settings.NEWSITE_CACHE_RETRY_AFTER = 60
    urls = reader_urls(make_newsroom()[0])
    client.get(urls["home"])
    services.stop_redis()

    with caplog.at_level(logging.WARNING, logger="newsite.cache.backend"):
        for url in urls.values():
            assert client.get(url).status_code == 200, url
        fragment = alice_client.get("/_fragments/personal-bar/")

    assert "Hi, <strong>alice</strong>" in fragment.content.decode(), "sessions from PostgreSQL"
    assert len(failures_logged(caplog)) == 1
    assert cache_calls(client.get(urls["article"])) == 0, "no waiting on a known-dead server"


def test_caching_resumes_by_itself_when_redis_is_back(
    redis_server, client, make_newsroom, caplog, settings
):
    settings.NEWSITE_CACHE_RETRY_AFTER = 0.2
    url = reader_urls(make_newsroom()[0])["section"]
    services.stop_redis()
    assert client.get(url).status_code == 200
    services.start_redis()

    # Wait for the event: the page served from Redis again, after the retry interval.
    deadline = time.monotonic() + 5
    with caplog.at_level(logging.WARNING, logger="newsite.cache.backend"):
        while cache_outcomes(client.get(url), "page") != {"hit": 1}:
            assert time.monotonic() < deadline, "caching never resumed"
    assert "The cache answers again; caching resumes." in caplog.messages


def test_a_hanging_redis_costs_one_socket_timeout_then_nothing(redis_server, client, settings):
    """Redis paused (as when it is overloaded or the network drops packets): the first call
    times out after the socket timeout, and the next requests do not try it at all."""
    settings.NEWSITE_CACHE_RETRY_AFTER = 60
    client.get("/")
    pause_redis(redis_server)
    first = client.get("/")
    then = client.get("/")
    socket_timeout = settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"]
    assert first.status_code == then.status_code == 200
    assert server_timing(first)["cache"][0] < 2 * socket_timeout * 1000
    assert cache_calls(then) == 0


def test_an_edit_made_while_redis_hangs_is_not_forgotten(
    redis_server, client, make_newsroom, settings
):
    """Redis keeps its data through a pause, so the invalidation that could not be written
    must be written once Redis answers, before anything stale is read from it."""
    settings.NEWSITE_CACHE_RETRY_AFTER = 0.2
    article = make_newsroom()[0]
    url = article.get_absolute_url()
    assert cache_outcomes(client.get(url), "page") == {"miss": 1}
    pause_redis(redis_server)
    article.headline = "Edited while Redis hung"
    article.save()  # commits: the invalidation times out and is kept for later
    redis.Redis(port=redis_server.port).ping()  # answers when the pause is over
    deadline = time.monotonic() + 5
    while outage.is_down():  # and the retry interval has passed
        assert time.monotonic() < deadline
    response = Client().get(url)
    assert "Edited while Redis hung" in response.content.decode()
    assert cache_outcomes(response, "page") == {"miss": 1}, "Redis was asked again"
