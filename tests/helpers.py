"""What several test modules do the same way: list the reader pages, sign in and post through an
edge like a browser (or straight at gunicorn), find the article links of a page, ask whether the
cluster's replica has caught up, and run manage.py in a fresh process with an environment of our
choosing.

Fixtures live in tests/conftest.py and factories in tests/factories.py; these are plain
functions.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import requests
from django.urls import reverse

from demo.credentials import DEMO_READERS
from deploy import engines
from newsite.replicas import FENCE_KEY
from tests.factories import DEMO_PASSWORD

PROJECT = Path(__file__).resolve().parent.parent
# The links to articles on a page, as paths.
ARTICLE_LINK = re.compile(r'href="(/[\w-]+/\d{4}/\d{2}/\d{2}/[\w-]+/)"')


def reader_urls(article):
    """One URL of every kind of shared reader page, built around `article`."""
    return {
        "home": reverse("articles:home"),
        "section": article.section.get_absolute_url(),
        "article": article.get_absolute_url(),
        "author": article.author.get_absolute_url(),
        "topic": article.topics.first().get_absolute_url(),
        "search": reverse("articles:search") + "?q=headline",
        "feed": reverse("articles:feed-latest"),
        "section feed": reverse("articles:feed-section", args=[article.section.slug]),
        "sitemap": reverse("sitemap"),
        "sitemap of articles": reverse("sitemap-section", args=["articles"]),
    }


def sign_in(edge_url, username, password=DEMO_PASSWORD):
    """A browser-like session signed in through the edge: the form's CSRF token, then a POST."""
    session, response = _posted_sign_in(edge_url, username, password)
    assert "Sign out" in response.text, response.text[:300]
    return session


def sign_in_at_the_application_server(url, username):
    """A demo reader's session signed in straight at gunicorn, where, without the edge's ESI,
    the page's personal bar is a placeholder: the session cookie is the proof."""
    session, response = _posted_sign_in(url, username, DEMO_READERS[username])
    assert "sessionid" in session.cookies, response.text[:300]
    return session


def _posted_sign_in(url, username, password):
    session = requests.Session()
    login = session.get(f"{url}/accounts/login/", timeout=10)
    response = session.post(
        login.url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login.url},
        timeout=10,
    )
    return session, response


def replica_is_past_the_fence(cluster):
    """True once the cluster's replica has replayed everything up to the last invalidation."""
    primary = engines.sentinel_primary(cluster.sentinel_ports)
    fence = engines.redis_command(primary, "GET", f":1:{FENCE_KEY}")
    replayed = engines.postgres_query(
        cluster.port("postgres-replica"), "SELECT pg_last_wal_replay_lsn() - '0/0'"
    )
    return fence is not None and replayed is not None and int(replayed) >= int(fence)


def post_form(session, url, data, **options):
    """POST as the page's script does: the CSRF token taken from the csrftoken cookie."""
    return session.post(
        url,
        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": url},
        **options,
    )


def run_manage(*arguments, **environment):
    """Run manage.py in a fresh process with exactly the newsite variables given (and the
    site's own settings module, not the test session's)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "NEWSITE_"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
