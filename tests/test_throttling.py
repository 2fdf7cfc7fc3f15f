"""Rate limits: one client cannot make us search, count reads or sign up without bound, cannot
dodge a limit with a forged X-Forwarded-For, and with Redis down the limits still hold (each
process counts in its own memory) while every page is still served: never a 500, never a flood
let through."""

import pytest
import requests
from django.test import RequestFactory
from django.urls import reverse

from newsite.clients import client_address, client_network, show_debug_toolbar
from tests import services
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    """Small limits, to reach them in a few requests; windows of an hour or more, so that a
    test never straddles two."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "search": (3, 3600),
        "read-beacon": (3, 3600),
        "sign-up": (2, 3600),
        "password-reset": (2, 3600),
        "password-reset-email": (1, 3600),
    }
    return settings.RATE_LIMITS


@pytest.fixture
def redis_stopped(settings):
    """This session's throwaway Redis stopped for the test, running again (empty) after it."""
    settings.NEWSITE_CACHE_RETRY_AFTER = 60
    services.stop_redis()
    yield
    services.start_redis()


def searches(client, count, address="127.0.0.1"):
    return [
        client.get("/search/", {"q": f"query {n}"}, REMOTE_ADDR=address).status_code
        for n in range(count)
    ]


# ------------------------------------------------------------------------------
# The client's address
# ------------------------------------------------------------------------------
def request_from(remote_address, forwarded_for=None):
    headers = {"REMOTE_ADDR": remote_address}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_address_is_the_connections(settings):
    settings.NEWSITE_TRUSTED_PROXIES = 0
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_address_is_the_one_it_appended(settings):
    settings.NEWSITE_TRUSTED_PROXIES = 1
    # The client wrote "198.51.100.1, 10.0.0.1"; Varnish appended 203.0.113.7.
    forged = request_from("127.0.0.1", "198.51.100.1, 10.0.0.1, 203.0.113.7")
    assert client_address(forged) == "203.0.113.7"


def test_behind_two_proxies_the_address_is_the_outer_ones(settings):
    settings.NEWSITE_TRUSTED_PROXIES = 2
    request = request_from("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.2")
    assert client_address(request) == "203.0.113.7"


def test_a_request_that_bypassed_the_proxies_is_known_by_its_connection(settings):
    settings.NEWSITE_TRUSTED_PROXIES = 1
    assert client_address(request_from("127.0.0.1")) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", "not-an-address")) == "127.0.0.1"


def test_an_ipv6_client_is_counted_by_its_64_network(settings):
    settings.NEWSITE_TRUSTED_PROXIES = 0
    assert client_network(request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_network(request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::"
    assert client_network(request_from("203.0.113.7")) == "203.0.113.7"


def test_a_client_rotating_ipv6_addresses_in_its_64_is_still_limited(client, limits):
    addresses = [f"2001:db8:1:2::{n:x}" for n in range(1, 6)]
    statuses = [
        client.get("/search/", {"q": f"query {n}"}, REMOTE_ADDR=address).status_code
        for n, address in enumerate(addresses)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_the_debug_toolbar_is_only_for_a_direct_request_from_this_machine(settings):
    settings.DEBUG = True
    settings.INTERNAL_IPS = ["127.0.0.1", "::1"]
    settings.NEWSITE_TRUSTED_PROXIES = 0
    assert show_debug_toolbar(request_from("127.0.0.1"))
    assert not show_debug_toolbar(request_from("127.0.0.1", "203.0.113.7")), "an undeclared proxy"
    settings.NEWSITE_TRUSTED_PROXIES = 1
    assert not show_debug_toolbar(request_from("127.0.0.1", "203.0.113.7")), "a visitor"
    assert show_debug_toolbar(request_from("127.0.0.1", "127.0.0.1")), "the developer, via it"
    settings.DEBUG = False
    assert not show_debug_toolbar(request_from("127.0.0.1"))


# ------------------------------------------------------------------------------
# Search, the read beacon, sign-up
# ------------------------------------------------------------------------------
def test_searching_faster_than_the_limit_gets_the_friendly_429_with_retry_after(client, limits):
    assert searches(client, 5) == [200, 200, 200, 429, 429]
    response = client.get("/search/", {"q": "one more"})
    page = response.content.decode()
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Slow down a little" in page
    assert "Please try again in" in page
    assert response["Cache-Control"] == "private, no-store", "never kept by a cache"


def test_the_search_limit_is_per_client(client, limits):
    assert searches(client, 4, "203.0.113.7")[-1] == 429
    assert searches(client, 3, "203.0.113.8") == [200, 200, 200]


def test_a_search_served_from_the_page_cache_costs_nothing(client, limits):
    for _ in range(6):
        assert client.get("/search/", {"q": "the same"}).status_code == 200


def test_the_read_beacon_is_limited_per_client(client, limits):
    article = ArticleFactory()
    url = article.read_beacon_url
    statuses = [client.post(url).status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 429, 429]


def sign_up(client, number):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": f"newcomer{number}",
            "email": f"newcomer{number}@example.com",
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
        },
    )


def test_signing_up_is_limited_per_address(client, limits):
    statuses = []
    for number in range(3):
        statuses.append(sign_up(client, number).status_code)
        client.logout()
    assert statuses == [302, 302, 429]
    assert client.get(reverse("accounts:signup")).status_code == 200, "the form is still shown"


# ------------------------------------------------------------------------------
# With Redis down: closed, never a 500
# ------------------------------------------------------------------------------
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_limits_still_hold_and_the_pages_are_still_served(
    client, limits, redis_stopped
):
    article = ArticleFactory()
    beacon = article.read_beacon_url
    assert searches(client, 5) == [200, 200, 200, 429, 429]
    assert [client.post(beacon).status_code for _ in range(4)][-1] == 429
    statuses = []
    for number in range(3):
        statuses.append(sign_up(client, number).status_code)
        client.cookies.clear()  # a new browser at the same address: signing out needs Redis
    assert statuses == [302, 302, 429]
    reset = reverse("accounts:password_reset")
    statuses = [client.post(reset, {"email": f"x{n}@example.com"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_limits_count_in_redis_again_when_it_is_back(client, limits, settings):
    settings.NEWSITE_CACHE_RETRY_AFTER = 0
    services.stop_redis()
    try:
        assert client.get("/search/", {"q": "down"}).status_code == 200
    finally:
        services.start_redis()
    assert searches(client, 4) == [200, 200, 200, 429]


# ------------------------------------------------------------------------------
# Through the edge
# ------------------------------------------------------------------------------
@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_a_forged_x_forwarded_for_does_not_escape_the_search_limit_at_the_edge(
    start_edge_stack, transactional_db
):
    """Behind Varnish every request comes from 127.0.0.1, and the client may send any
    X-Forwarded-For: the limit still counts the address Varnish appended."""
    stack = start_edge_stack(NEWSITE_RATE_LIMIT_SEARCH="5/h")
    statuses = [
        requests.get(
            f"{stack.edge.url}/search/",
            params={"q": f"query {n}"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
            timeout=10,
        ).status_code
        for n in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    refused = requests.get(f"{stack.edge.url}/search/", params={"q": "again"}, timeout=10)
    assert refused.status_code == 429
    assert refused.headers["X-Cache"] != "HIT"
    assert "Retry-After" in refused.headers


@pytest.mark.varnish
@pytest.mark.postgres
@pytest.mark.redis
def test_2000_distinct_searches_from_one_client_get_the_limit_and_then_429s(
    start_edge_stack, transactional_db
):
    """The issue's flood: every query distinct, so no cache can answer; Django renders only
    the client's allowance and refuses the rest cheaply. (30 a day here, so that the flood
    never straddles two windows; the default is 30 a minute.)"""
    stack = start_edge_stack(NEWSITE_RATE_LIMIT_SEARCH="30/d")
    session = requests.Session()
    url = f"{stack.edge.url}/search/"
    statuses = [
        session.get(url, params={"q": f"flood {n}"}, timeout=10).status_code for n in range(2000)
    ]
    assert statuses.count(200) == 30
    assert statuses.count(429) == 2000 - 30
