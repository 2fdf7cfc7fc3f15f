"""PostgreSQL goes down under a running site: real Varnish, gunicorn and a PostgreSQL of the
test's own, crashed and started again.

While it is down, every page the edge holds is served, however old, even in the moments before
the probe notices; a page it does not hold gets "back in a moment" with Retry-After, never a
500; /-/health/ names the database. When it is back, nothing written before the crash is
missing.
"""

import os
import re
import signal
import subprocess
import sys
import time

import psycopg2
import pytest
import redis
import requests

from deploy.engines import wait_until
from tests import services
from tests.conftest import EDGE_SECRET_KEY
from tests.helpers import post_form
from tests.stack import PROJECT

pytestmark = [pytest.mark.varnish, pytest.mark.postgres]

# A healthy backend gets 10 s of grace (newsite.vcl); with a TTL of 1 s, a copy older than
# this can only be served by stale-if-error.
PAST_HEALTHY_GRACE_SECONDS = 12


def manage(environment, *arguments):
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env={**os.environ, **environment},
        check=True,
        capture_output=True,
    )


@pytest.fixture
def site_on_its_own_database(start_edge_stack):
    """Varnish → gunicorn on a PostgreSQL started for this test (durable, as in production),
    seeded with a few articles, and a Redis database of its own."""
    server = services.start_postgres_cluster(durable=True)
    stack = None
    try:
        environment = {
            "DATABASE_URL": services.create_database(server, "outage"),
            "REDIS_URL": re.sub(r"/\d+$", "/1", os.environ["REDIS_URL"]),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": EDGE_SECRET_KEY,
        }
        manage(environment, "migrate", "--noinput")
        manage(environment, "seed", "--articles", "30", "--verbosity", "0")
        stack = start_edge_stack(**environment, NEWSITE_EDGE_TTL="1")
        stack.database = server
        stack.database_url = environment["DATABASE_URL"]
        stack.redis_url = environment["REDIS_URL"]
        yield stack
    finally:
        if stack is not None:
            stack.application.stop()
            stack.edge.stop()
        server.stop()


def article_paths(edge_url):
    return list(
        dict.fromkeys(
            re.findall(
                r'href="(/[\w-]+/\d{4}/\d\d/\d\d/[\w-]+/)"', requests.get(f"{edge_url}/").text
            )
        )
    )


def sign_up(edge_url, username, password):
    session = requests.Session()
    form = session.get(f"{edge_url}/accounts/signup/")
    response = post_form(
        session,
        form.url,
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200, response.text[:300]
    return session


def rows(database_url, query, *parameters):
    connection = psycopg2.connect(database_url.replace("postgres://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, parameters)
            return cursor.fetchall()
    finally:
        connection.close()


def test_with_postgresql_down_cached_pages_are_served_and_nothing_written_is_lost(
    site_on_its_own_database,
):
    site = site_on_its_own_database
    edge = site.edge.url
    first, second, never_cached, *_ = article_paths(edge)

    # Before the outage: a new reader signs up, saves an article and comments on it.
    password = "a-long-password-for-carol-1"
    carol = sign_up(edge, "carol", password)
    first_id, second_id = (article_id(carol, edge, path) for path in (first, second))
    saved = post_form(carol, f"{edge}/accounts/saved/{first_id}/", {})
    assert "Saved (1)" in saved.text
    comment = "Written the minute before the database fell over."
    posted = post_form(carol, f"{edge}/comments/{first_id}/", {"body": comment})
    assert comment in posted.text

    # Readers put these pages in the edge's cache.
    cached = ["/", first, second]
    copies = {}
    for path in cached:
        requests.get(f"{edge}{path}")
        copies[path] = requests.get(f"{edge}{path}")
        assert copies[path].headers["X-Cache"] == "HIT"
    cached_at = time.monotonic()

    # PostgreSQL crashes (immediate shutdown: no checkpoint, like a power cut for it). Django's
    # page cache in Redis could still answer for these pages: empty it, so that only the edge
    # holds them.
    site.database.stop(signal.SIGQUIT)
    redis.Redis.from_url(site.redis_url).flushdb()

    # Before the probe notices, the backend still counts as healthy: Django answers 503.
    site.edge.force_backend_health("healthy")
    wait_until(
        lambda: time.monotonic() > cached_at + PAST_HEALTHY_GRACE_SECONDS,
        "the cached copies are past their TTL and a healthy backend's grace",
        seconds=PAST_HEALTHY_GRACE_SECONDS + 5,
    )
    assert_cached_pages_are_served(edge, copies)
    assert_back_in_a_moment(requests.get(f"{edge}{never_cached}"))
    assert_back_in_a_moment(carol.get(f"{edge}/accounts/profile/"))
    health = requests.get(f"{site.application.url}/-/health/")
    assert health.status_code == 503
    assert health.json()["database"] == "failing"
    refused = post_form(carol, f"{edge}/comments/{second_id}/", {"body": "x"})
    assert_back_in_a_moment(refused)

    # The probe notices: the edge stops asking, and still serves what it holds.
    site.edge.force_backend_health("auto")
    wait_until(site.edge.backend_is_sick, "the probe finds the database down", seconds=30)
    assert_cached_pages_are_served(edge, copies)
    assert_back_in_a_moment(requests.get(f"{edge}{never_cached}"))

    # PostgreSQL comes back: everything written before the crash is there.
    services.restart_postgres(site.database)
    wait_until(site.edge.backend_is_healthy, "the probe finds the database back", seconds=30)
    carol_again = requests.Session()
    login = carol_again.get(f"{edge}/accounts/login/")
    profile = post_form(carol_again, login.url, {"username": "carol", "password": password})
    assert "Sign out" in profile.text
    headline = rows(
        site.database_url, "SELECT headline FROM articles_article WHERE id = %s", first_id
    )[0][0]
    assert headline in carol_again.get(f"{edge}/accounts/profile/").text
    assert comment in requests.get(f"{site.application.url}{first}").text
    assert rows(
        site.database_url, "SELECT count(*) FROM articles_comment WHERE body = %s", comment
    ) == [(1,)]
    assert rows(site.database_url, "SELECT count(*) FROM articles_comment WHERE body = 'x'") == [
        (0,)
    ]


def article_id(session, edge, path):
    """The article's id, from the comment form a signed-in reader sees on its page."""
    page = session.get(f"{edge}{path}").text
    return int(re.search(r'action="/comments/(\d+)/"', page)[1])


def assert_cached_pages_are_served(edge, copies):
    for path, copy in copies.items():
        response = requests.get(f"{edge}{path}")
        assert response.status_code == 200, path
        assert response.headers["X-Cache"] == "grace", path
        assert response.text == copy.text, path


def assert_back_in_a_moment(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "We are back in a moment" in response.text
