"""What several test modules do the same way: list the reader pages, sign in and post through an
edge like a browser, and run manage.py in a fresh process with an environment of our choosing.

Fixtures live in tests/conftest.py and factories in tests/factories.py; these are plain
functions.
"""

import os
import subprocess
import sys
from pathlib import Path

import requests
from django.urls import reverse

from tests.factories import DEMO_PASSWORD

PROJECT = Path(__file__).resolve().parent.parent


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
    session = requests.Session()
    login = session.get(f"{edge_url}/accounts/login/")
    response = session.post(
        login.url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login.url},
    )
    assert "Sign out" in response.text, response.text[:300]
    return session


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
