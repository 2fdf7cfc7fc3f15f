"""Signed-in readers at edge speed: each reader's own fragments are kept at the edge, per session.

Through real Varnish in front of real gunicorn: after the first view, a signed-in reader's page
views reach Django no more than an anonymous visitor's; nobody ever gets another reader's bits;
a change, a flash message or signing out is on the next page view; made-up sessions get the
signed-out bits and can push no page out of the edge. Without an edge, one request brings all of
a reader's bits on a page.
"""

import html
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import reverse

from demo.credentials import DEMO_READERS
from newsite import fragments
from newsite.cache import includes
from tests.conftest import EDGE_SECRET_KEY
from tests.factories import ArticleFactory, SavedArticleFactory, UserFactory
from tests.helpers import ARTICLE_LINK, post_form, sign_in
from tests.stack import Varnish

# Readers sign in on gunicorn, which checks their passwords with the site's hashers.
pytestmark = [
    pytest.mark.varnish,
    pytest.mark.postgres,
    pytest.mark.usefixtures("production_password_hashing"),
]

VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "newsite.vcl"
SAVED_COUNT = re.compile(r"Saved \((\d+)\)")


def view(session, url):
    response = session.get(url)
    assert response.status_code == 200, url
    return response


# ------------------------------------------------------------------------------
# The steady state: no backend request, and nothing kept beyond the edge
# ------------------------------------------------------------------------------
def test_after_the_first_view_a_signed_in_readers_page_views_never_reach_django(edge):
    article = ArticleFactory()
    UserFactory(username="alice")
    alice = sign_in(edge.edge.url, "alice")
    urls = [f"{edge.edge.url}/", f"{edge.edge.url}{article.get_absolute_url()}"]
    for url in urls:
        view(alice, url)
    backend_requests = edge.edge.counter("MAIN.backend_req")

    for _ in range(3):
        for url in urls:
            assert "Hi, <strong>alice</strong>" in view(alice, url).text

    assert edge.edge.counter("MAIN.backend_req") == backend_requests


def test_a_readers_fragment_kept_at_the_edge_is_private_to_every_cache_beyond_it(edge):
    """The browser may not keep it either: after the reader signs out, whoever uses the same
    browser must not get it back from the browser's cache."""
    UserFactory(username="alice")
    alice = sign_in(edge.edge.url, "alice")
    url = f"{edge.edge.url}/_fragments/personal-bar/"
    view(alice, url)
    kept = view(alice, url)
    assert kept.headers["X-Cache"] == "HIT"
    assert "Hi, <strong>alice</strong>" in kept.text
    assert kept.headers["Cache-Control"] == "private, no-store"
    for header in ("Surrogate-Key", "Surrogate-Control", "Set-Cookie"):
        assert header not in kept.headers


# ------------------------------------------------------------------------------
# Changes are on the next page view
# ------------------------------------------------------------------------------
def test_after_a_save_the_next_page_view_shows_the_new_count_and_button_and_message_once(edge):
    article = ArticleFactory(headline="Rates held")
    UserFactory(username="alice")
    alice = sign_in(edge.edge.url, "alice")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    view(alice, url)
    before = view(alice, url).text
    assert "Saved (0)" in before
    assert "Save for later" in before

    post_form(alice, f"{edge.edge.url}/accounts/saved/{article.pk}/", {}, allow_redirects=False)

    after, next_one = view(alice, url).text, view(alice, url).text
    for page in (after, next_one):
        assert "Saved (1)" in page
        assert "★ Saved" in page
    assert "Saved “Rates held” to read later." in after
    assert "Saved “Rates held”" not in next_one, "a flash message is shown once"
    backend_requests = edge.edge.counter("MAIN.backend_req")
    view(alice, url)
    assert edge.edge.counter("MAIN.backend_req") == backend_requests, "kept again"


def test_after_sign_out_the_old_cookie_gets_nothing_of_the_reader(edge):
    article = ArticleFactory()
    UserFactory(username="alice")
    alice = sign_in(edge.edge.url, "alice")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    view(alice, url)
    assert "Hi, <strong>alice</strong>" in view(alice, url).text
    old_cookie = alice.cookies["sessionid"]

    post_form(alice, f"{edge.edge.url}/accounts/logout/", {})

    stranger = requests.Session()
    stranger.cookies.set("sessionid", old_cookie)
    for response in (
        view(stranger, url),
        view(stranger, f"{edge.edge.url}/_fragments/personal-bar/"),
    ):
        assert "alice" not in response.text
        assert "Saved (" not in response.text
    assert "Sign in" in view(stranger, url).text


# ------------------------------------------------------------------------------
# Made-up sessions
# ------------------------------------------------------------------------------
def test_a_made_up_session_gets_the_signed_out_bits_and_leaves_nothing_at_the_edge(edge):
    article = ArticleFactory()
    UserFactory(username="alice")
    sign_in(edge.edge.url, "alice").get(f"{edge.edge.url}{article.get_absolute_url()}")
    kept_before = edge.edge.counter("SMA.reader.g_alloc")
    forger = requests.Session()
    forger.cookies.set("sessionid", secrets.token_hex(16))

    pages = [view(forger, f"{edge.edge.url}{article.get_absolute_url()}") for _ in range(2)]
    bars = [view(forger, f"{edge.edge.url}/_fragments/personal-bar/") for _ in range(2)]

    for response in pages + bars:
        assert "Sign in" in response.text
        assert "alice" not in response.text
    assert "Sign in to save" in pages[1].text
    assert [bar.headers["X-Cache"] for bar in bars] == ["MISS", "MISS"]
    assert edge.edge.counter("SMA.reader.g_alloc") == kept_before


def signed_in_sessions(user, how_many):
    """Session keys of `user`, signed in as gunicorn would have signed them in."""
    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    keys = []
    for _ in range(how_many):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


@pytest.fixture
def small_edge(edge, tmp_path):
    """A second Varnish on the same gunicorn, with 1 MB for readers' fragments."""
    varnish = Varnish(tmp_path, reader_memory="1m").start()
    varnish.use_backend(edge.application.port)
    yield varnish
    varnish.stop()


def test_sessions_by_the_thousand_push_no_page_out_of_the_edge(small_edge, settings):
    """However many sessions there are (made up ones keep nothing at all, see above), their
    fragments fill only the readers' storage, pushing out each other's and never a page."""
    settings.SECRET_KEY = EDGE_SECRET_KEY  # sign the sessions as gunicorn does
    article = ArticleFactory()
    alice = UserFactory(username="alice")
    page = f"{small_edge.url}{article.get_absolute_url()}"
    view(requests.Session(), page)
    bar = f"{small_edge.url}/_fragments/personal-bar/"

    def fetch_bar(session_key):
        response = requests.get(bar, cookies={"sessionid": session_key})
        assert "Hi, <strong>alice</strong>" in response.text

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(50):  # at most 10,000 sessions: 1 MB holds far fewer
            list(pool.map(fetch_bar, signed_in_sessions(alice, 200)))
            if small_edge.counter("MAIN.n_lru_nuked"):
                break
    assert small_edge.counter("MAIN.n_lru_nuked") > 0, "the readers' storage filled up"
    assert small_edge.counter("SMA.shared.c_fail") == 0
    assert view(requests.Session(), page).headers["X-Cache"] == "HIT"


# ------------------------------------------------------------------------------
# Many readers at once
# ------------------------------------------------------------------------------
def readers_with_their_own_saves(edge_url, articles):
    """alice saved the first article, bob the first two, carol none: (name, session, saved)."""
    readers = []
    for count, name in zip((1, 2, 0), ("alice", "bob", "carol"), strict=True):
        user = UserFactory(username=name)
        for article in articles[:count]:
            SavedArticleFactory(user=user, article=article)
        readers.append((name, sign_in(edge_url, name), set(articles[:count])))
    return readers


def check_only_their_own(response, name, saved, article, others):
    assert f"Hi, <strong>{name}</strong>" in response.text
    assert SAVED_COUNT.findall(response.text) == [str(len(saved))]
    if article is not None:
        assert ("★ Saved" in response.text) == (article in saved), (name, article.pk)
    for other in others:
        assert f"<strong>{other}</strong>" not in response.text


def test_readers_and_anonymous_visitors_at_once_each_get_only_their_own_bits(edge):
    articles = ArticleFactory.create_batch(2)
    readers = readers_with_their_own_saves(edge.edge.url, articles)
    pages = [(None, "/"), *((article, article.get_absolute_url()) for article in articles)]
    names = [name for name, _, _ in readers]
    seen, failures = [], []

    def browse(name, session, saved):
        for _ in range(8):
            for article, path in pages:
                response = session.get(f"{edge.edge.url}{path}")
                try:
                    if name is None:
                        assert "Sign in to save" in response.text or article is None
                        assert not any(f"<strong>{n}</strong>" in response.text for n in names)
                    else:
                        others = [n for n in names if n != name]
                        check_only_their_own(response, name, saved, article, others)
                except AssertionError as failure:
                    failures.append(failure)
                seen.append(response.headers["X-Cache"])

    visitors = [*readers, *((None, requests.Session(), set()) for _ in range(3))]
    threads = [threading.Thread(target=browse, args=visitor) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert seen.count("HIT") > len(seen) * 3 / 4


# ------------------------------------------------------------------------------
# Every node of a cluster
# ------------------------------------------------------------------------------
@pytest.mark.cluster
def test_after_a_save_every_varnish_node_shows_the_new_count_at_the_next_page_view(cluster):
    path = ARTICLE_LINK.findall(requests.get(f"{cluster.url}/", timeout=10).text)[0]
    alice = sign_in(cluster.url, "alice", DEMO_READERS["alice"])
    nodes = [cluster.node_url(name) for name in cluster.varnish_names]
    for node in nodes:  # each node keeps alice's fragments
        for _ in range(2):
            page = alice.get(f"{node}{path}", timeout=10).text
    count = int(SAVED_COUNT.search(page)[1])
    action = {"action": "unsave"} if "★ Saved" in page else {}
    article_id = re.search(r"/accounts/saved/(\d+)/", page)[1]

    alice.post(
        f"{cluster.url}/accounts/saved/{article_id}/",
        data={**action, "csrfmiddlewaretoken": alice.cookies["csrftoken"]},
        headers={"Referer": f"{cluster.url}{path}"},
        allow_redirects=False,
        timeout=10,
    )

    expected = count - 1 if action else count + 1
    for node in nodes:
        page = alice.get(f"{node}{path}", timeout=10).text
        assert f"Saved ({expected})" in page, node
        assert ("★ Saved" in page) != bool(action), node


# ------------------------------------------------------------------------------
# The registry, the edge, and no edge at all
# ------------------------------------------------------------------------------
def test_the_edge_tells_a_readers_own_fragments_from_shared_ones_as_the_registry_does():
    vcl = VCL.read_text()
    assert f'req.url ~ "^{includes.FRAGMENTS}" && req.url !~ "^{includes.SHARED_FRAGMENTS}"' in vcl
    assert f'bereq.url ~ "^{includes.FRAGMENTS}" &&' in vcl
    assert f'bereq.url !~ "^{includes.SHARED_FRAGMENTS}"' in vcl
    for fragment in fragments.FRAGMENTS:
        args = [7] if "<int:" in fragment.route else []
        path = reverse(f"fragments:{fragment.name}", args=args)
        assert path.startswith(fragment.prefix), fragment.name
        assert includes.is_readers_own_path(path) == fragment.per_reader, fragment.name


def test_without_an_edge_one_request_brings_all_of_a_readers_bits_on_a_page(alice, alice_client):
    article = ArticleFactory()
    SavedArticleFactory(user=alice, article=article)
    page = alice_client.get(article.get_absolute_url()).content.decode()
    urls = [html.unescape(url) for url in re.findall(r'data-fragment-url="([^"]+)"', page)]
    assert len(urls) == 2
    made_up = ["/_fragments/shared/most-read/", "/accounts/profile/", "/_fragments/nothing/"]

    response = alice_client.get("/-/fragments/", {"f": [*urls, *made_up]})

    bits = response.json()
    assert sorted(bits) == sorted(urls)
    assert "Hi, <strong>alice</strong>" in "".join(bits.values())
    assert "★ Saved" in "".join(bits.values())
    assert response["Cache-Control"] == "private, no-store"
