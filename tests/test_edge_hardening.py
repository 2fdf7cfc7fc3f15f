"""The edge against hostile visitors and unlucky operators: real Varnish in front of gunicorn.

Nobody can poison a cached page for others, bust the cache with made-up URLs, take a reader's
page out of a downstream cache, or ban what they like; and what leaves the edge tells the
caches beyond it the truth.
"""

import http.client
import os
import re
from urllib.parse import urlsplit

import pytest
import requests

from deploy.engines import wait_until
from tests.factories import ArticleFactory, UserFactory
from tests.helpers import post_form, sign_in

# Readers sign in on gunicorn, which checks their passwords with the site's hashers.
pytestmark = [
    pytest.mark.varnish,
    pytest.mark.postgres,
    pytest.mark.usefixtures("production_password_hashing"),
]


# ------------------------------------------------------------------------------
# The scheme: what was fetched over http never answers https, and the other way round
# ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def https_stack(start_edge_stack):
    """The site as production runs it: HTTPS only, behind a TLS terminator that says so."""
    return start_edge_stack(DJANGO_HTTPS="true", DJANGO_BEHIND_TLS_PROXY="true")


HTTPS = {"X-Forwarded-Proto": "https"}


def test_an_https_visitor_never_gets_the_redirect_meant_for_plain_http(
    https_stack, transactional_db
):
    https_stack.edge.ban_everything()
    article = ArticleFactory()
    url = f"{https_stack.edge.url}{article.get_absolute_url()}"

    plain = requests.get(url, allow_redirects=False)
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")

    secure = [requests.get(url, headers=HTTPS, allow_redirects=False) for _ in range(2)]
    assert [response.status_code for response in secure] == [200, 200]
    assert article.headline in secure[1].text
    assert secure[1].headers["X-Cache"] == "HIT"


def test_a_plain_http_visitor_never_gets_the_page_cached_for_https(https_stack, transactional_db):
    https_stack.edge.ban_everything()
    article = ArticleFactory()
    url = f"{https_stack.edge.url}{article.get_absolute_url()}"
    requests.get(url, headers=HTTPS)
    assert requests.get(url, headers=HTTPS).headers["X-Cache"] == "HIT"

    plain = requests.get(url, allow_redirects=False)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{plain.url.split('://')[1]}"


def test_feed_links_are_the_site_address_whatever_scheme_the_reader_came_with(edge):
    """Absolute links come from NEWSITE_SITE_URL, so no copy of a feed depends on the scheme
    (or on anything else) a reader sent."""
    article = ArticleFactory()
    url = f"{edge.edge.url}/feeds/latest/"
    link = f"{edge.edge.url}{article.get_absolute_url()}"
    for response in (requests.get(url, headers=HTTPS), requests.get(url)):
        assert link in response.text
        assert "https://" not in response.text


@pytest.mark.parametrize(
    "header",
    [
        # gunicorn would cut this prefix off the path (Django answers that with a 500).
        lambda article: {"SCRIPT_NAME": article.section.get_absolute_url().rstrip("/")},
        # gunicorn would call the request https: its https links would be stored for http.
        lambda article: {"X-Forwarded-Ssl": "on"},
        lambda article: {"X-Forwarded-Protocol": "ssl"},
    ],
    ids=["SCRIPT_NAME", "X-Forwarded-Ssl", "X-Forwarded-Protocol"],
)
def test_a_visitor_cannot_speak_for_the_edge_to_gunicorn(edge, header):
    """gunicorn trusts these headers from the edge; from a visitor they never get through, so
    the visitor gets, and the edge stores, the page everybody gets."""
    article = ArticleFactory()
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    first = requests.get(url, headers=header(article))
    stored = requests.get(url)
    assert (first.status_code, stored.status_code) == (200, 200)
    assert stored.headers["X-Cache"] == "HIT"
    for response in (first, stored):
        assert f'<link rel="canonical" href="{url}">' in response.text


# ------------------------------------------------------------------------------
# What leaves the edge: no cache beyond it keeps a reader's page, or a page as fresh
# ------------------------------------------------------------------------------
def test_a_signed_in_readers_assembled_page_leaves_the_edge_private(edge):
    article = ArticleFactory()
    UserFactory(username="alice")
    alice = sign_in(edge.edge.url, "alice")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    alice.get(url)
    page = alice.get(url)
    assert page.headers["X-Cache"] == "HIT", "the shell came from the edge's cache"
    assert "Hi, <strong>alice</strong>" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    own_fragment = alice.get(f"{edge.edge.url}/_fragments/personal-bar/")
    assert own_fragment.headers["Cache-Control"] == "private, no-store"


def test_a_shared_page_leaves_the_edge_for_caches_that_ask_again_before_each_use(edge):
    article = ArticleFactory()
    for path in ["/", article.get_absolute_url(), "/feeds/latest/", "/no-such-section/"]:
        responses = [requests.get(f"{edge.edge.url}{path}") for _ in range(2)]
        assert responses[1].headers["X-Cache"] == "HIT", path
        for response in responses:
            assert response.headers["Cache-Control"] == "no-cache", path


def test_static_files_keep_their_long_browser_lifetime(edge):
    home = requests.get(edge.edge.url).text
    stylesheet = home.split('rel="stylesheet" href="')[1].split('"')[0]
    response = requests.get(f"{edge.edge.url}{stylesheet}")
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_with_debug_on_the_edge_keeps_no_debug_page(start_edge_stack, transactional_db):
    stack = start_edge_stack(DJANGO_DEBUG="true")
    url = f"{stack.edge.url}/no-such-section/"
    responses = [requests.get(url) for _ in range(2)]
    for response in responses:
        assert response.status_code == 404
        assert "Using the URLconf defined in" in response.text
        assert response.headers["Cache-Control"] == "private, no-store"
    assert responses[1].headers["X-Cache"] != "HIT"


# ------------------------------------------------------------------------------
# Purge authority: an allowed address and the secret; and bans that hit only their target
# ------------------------------------------------------------------------------
def test_a_ban_from_an_allowed_address_without_the_secret_is_refused(edge):
    """A TLS terminator on the edge's host makes every visitor an allowed address."""
    article = ArticleFactory()
    address = urlsplit(edge.edge.url)
    url = article.get_absolute_url()
    requests.get(f"{edge.edge.url}{url}")
    bans_before = edge.edge.counter("MAIN.bans_added")
    for method, path, headers in [
        ("BAN", "/", {"X-Ban-Tags": "*"}),
        ("BAN", "/", {"X-Ban-Tags": "*", "X-Purge-Secret": "a-guess"}),
        ("PURGE", url, {"X-Purge-Secret": edge.edge.purge_secret[:-1]}),
    ]:
        insider = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
        insider.request(method, path, headers=headers)
        assert insider.getresponse().status == 403
        insider.close()
    assert edge.edge.counter("MAIN.bans_added") == bans_before
    assert requests.get(f"{edge.edge.url}{url}").headers["X-Cache"] == "HIT"


def test_a_readers_own_changes_ban_their_own_fragments_and_no_page(edge):
    """Saving an article changes only `reader:<id>`: the reader's fragments kept at the edge
    go, the shared pages stay. An edit of the article itself bans its pages at once."""
    article = ArticleFactory(headline="Before the edit")
    UserFactory(username="alice")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    alice = sign_in(edge.edge.url, "alice")
    requests.get(url)
    bans_before = edge.edge.counter("MAIN.bans_added")

    saved = post_form(alice, f"{edge.edge.url}/accounts/saved/{article.pk}/", {})
    assert "Saved (1)" in saved.text
    assert edge.edge.counter("MAIN.bans_added") > bans_before
    assert requests.get(url).headers["X-Cache"] == "HIT"

    article.headline = "After the edit"
    article.save()
    assert "After the edit" in requests.get(url).text


# ------------------------------------------------------------------------------
# Made-up query strings: one render, however many
# ------------------------------------------------------------------------------
# How many distinct URLs the flood sends: NEWSITE_FLOOD_URLS=2000 for the figure in
# docs/security.md.
FLOOD_URLS = int(os.environ.get("NEWSITE_FLOOD_URLS", "200"))


def backend_requests_for(path, stack):
    """Lines in gunicorn's access log for GET `path` (with any query string)."""
    log = (stack.application.directory / "gunicorn.log").read_text()
    return len(re.findall(rf'"GET {re.escape(path)}(\?[^ ]*)? HTTP/1\.1"', log))


@pytest.mark.parametrize("path", ["/", "/sitemap-articles.xml"])
def test_a_flood_of_made_up_query_strings_costs_one_render(edge, path):
    ArticleFactory.create_batch(3)
    backend_before = edge.edge.counter("MAIN.backend_req")
    renders_before = backend_requests_for(path, edge)
    visitor = requests.Session()
    for number in range(FLOOD_URLS):
        response = visitor.get(f"{edge.edge.url}{path}?cb={number}")
        assert response.status_code == 200
    assert edge.edge.counter("MAIN.backend_req") - backend_before == 1
    assert backend_requests_for(path, edge) - renders_before == 1


def test_a_value_spelt_another_way_is_one_redirect_to_the_canonical_page(edge):
    section = ArticleFactory().section
    url = f"{edge.edge.url}{section.get_absolute_url()}"
    for spelling in ["?page=+1", "?page=01", "?page=1&cb=2", "?cb=3&page=%201"]:
        response = requests.get(f"{url}{spelling}")
        assert response.status_code == 200
        assert response.url == url
        assert [r.status_code for r in response.history] == [301]


def test_the_health_probe_names_a_host_that_django_answers_to(start_edge_stack, transactional_db):
    """In production ALLOWED_HOSTS names the site only: a probe that sends the backend's
    address as Host gets a 400, and the edge takes every backend for dead. The top file's
    probe host (render.py --probe-host) names an allowed one."""
    stack = start_edge_stack(probe_host="news.example.com", DJANGO_ALLOWED_HOSTS="news.example.com")
    assert stack.edge.backend_is_healthy()

    stack.edge.use_backend(stack.application.port, wait=False)  # the backend's own address
    wait_until(stack.edge.backend_is_sick, "the probe without an allowed host fails")
