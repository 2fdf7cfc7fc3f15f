"""Through the edge: real Varnish in front of real gunicorn, on the test database and Redis.

Shared pages come from Varnish for anonymous and signed-in readers alike, each reader's own bits
arrive by ESI, an edit reaches the edge at once, and nothing personal ever leaks.
"""

import http.client
import logging
import threading
from urllib.parse import urlsplit

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from playwright.sync_api import expect

from deploy.engines import wait_until
from newsite.cache.purge_queue import Deliverer
from tests.factories import (
    DEMO_PASSWORD,
    ArticleFactory,
    SavedArticleFactory,
    TopicFactory,
    UserFactory,
)
from tests.helpers import post_form, sign_in
from tests.stack import Varnish

# Readers sign in on gunicorn, which checks their passwords with the site's hashers.
pytestmark = [
    pytest.mark.varnish,
    pytest.mark.postgres,
    pytest.mark.usefixtures("production_password_hashing"),
]


def test_an_anonymous_page_is_a_miss_then_a_hit(edge):
    article = ArticleFactory()
    url = f"{edge.edge.url}{article.section.get_absolute_url()}"
    first, second = requests.get(url), requests.get(url)
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert first.text == second.text
    assert article.headline in second.text
    assert "Surrogate-Key" not in second.headers
    assert "<esi:include" not in second.text


def test_a_signed_in_reader_gets_the_cached_shell_with_their_own_bar(edge):
    article = ArticleFactory()
    alice, _ = UserFactory(username="alice"), UserFactory(username="bob")
    SavedArticleFactory.create_batch(2, user=alice)
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    sign_in(edge.edge.url, "bob").get(url)  # another reader puts the page in the cache

    response = sign_in(edge.edge.url, "alice").get(url)

    assert response.headers["X-Cache"] == "HIT"
    assert "Hi, <strong>alice</strong>" in response.text
    assert "Saved (2)" in response.text
    assert "Save for later" in response.text
    assert "Post comment" in response.text
    assert "bob" not in response.text


def test_anonymous_visitors_get_a_page_with_nothing_left_to_assemble(edge):
    article = ArticleFactory()
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    requests.get(url)
    response = requests.get(url)
    assert response.headers["X-Cache"] == "HIT"
    assert "Sign in to save" in response.text
    before = edge.edge.counter("MAIN.esi_req")
    requests.get(url)
    assert edge.edge.counter("MAIN.esi_req") == before, "no ESI include on an anonymous page"


def test_a_page_assembled_by_esi_is_sent_uncompressed_whatever_the_client_accepts(edge):
    """Assembling gzipped includes costs the edge twice the CPU (docs/caching.md); anonymous
    pages, which have nothing to assemble, still leave compressed."""
    article = ArticleFactory()
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    session = sign_in(edge.edge.url, UserFactory(username="alice").username)
    accepting = session.get(url, headers={"Accept-Encoding": "gzip"})
    plain = session.get(url, headers={"Accept-Encoding": "identity"})
    anonymous = requests.get(url, headers={"Accept-Encoding": "gzip"})
    assert anonymous.headers["Content-Encoding"] == "gzip"
    for response in (accepting, plain):
        assert "Content-Encoding" not in response.headers
        assert "Hi, <strong>alice</strong>" in response.text
        assert "<esi:include" not in response.text


def test_no_reader_ever_sees_another_readers_bits(edge):  # noqa: C901
    """Readers and anonymous visitors, all at once, on the same cached pages."""
    articles = ArticleFactory.create_batch(3, topics=[TopicFactory()])
    names = ["alice", "bob", "carol"]
    readers = {}
    for name, article in zip(names, articles, strict=True):
        UserFactory(username=name)
        session = sign_in(edge.edge.url, name)
        # Each saves a different article: a saved count and a flash message of their own,
        # waiting to be shown on the next page they open.
        post_form(
            session, f"{edge.edge.url}/accounts/saved/{article.pk}/", {}, allow_redirects=False
        )
        readers[name] = session
    urls = [f"{edge.edge.url}{path}" for path in ["/", *(a.get_absolute_url() for a in articles)]]
    responses = []

    def browse(name, session):
        for _ in range(5):
            for url in urls:
                responses.append((name, session.get(url)))

    visitors = [*readers.items(), *((None, requests.Session()) for _ in range(3))]
    threads = [threading.Thread(target=browse, args=visitor) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    tokens = {name: session.cookies["csrftoken"] for name, session in readers.items()}
    messages = {
        name: f"Saved “{article.headline}”" for name, article in zip(names, articles, strict=True)
    }
    seen_messages = dict.fromkeys(names, 0)
    for reader, response in responses:
        assert response.status_code == 200
        for name in names:
            if name == reader:
                assert f"Hi, <strong>{name}</strong>" in response.text
                assert "Saved (1)" in response.text
                seen_messages[name] += messages[name] in response.text
            else:
                assert f"<strong>{name}</strong>" not in response.text
                assert messages[name] not in response.text
            assert tokens[name] not in response.text
        if "Set-Cookie" in response.headers:
            assert response.headers["X-Cache"] != "HIT", "a cached response set a cookie"
    assert seen_messages == dict.fromkeys(names, 1), "each message shown once, to its reader"
    assert sum(r.headers["X-Cache"] == "HIT" for _, r in responses) > len(responses) / 2


def test_an_edited_headline_is_on_every_page_at_the_edge_at_once(edge):
    article = ArticleFactory(headline="Old headline", topics=[TopicFactory()])
    pages = [
        "/",
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        article.author.get_absolute_url(),
        article.topics.get().get_absolute_url(),
        "/feeds/latest/",
        f"/{article.section.slug}/feed/",
    ]
    for page in pages:
        assert "Old headline" in requests.get(f"{edge.edge.url}{page}").text
        assert requests.get(f"{edge.edge.url}{page}").headers["X-Cache"] == "HIT"

    article.headline = "New headline"
    article.save()

    for page in pages:
        response = requests.get(f"{edge.edge.url}{page}")
        assert "New headline" in response.text, page
        assert "Old headline" not in response.text, page


def test_an_edit_in_the_admin_reaches_the_edge_at_once(edge):
    article = ArticleFactory(headline="Before the desk edit")
    UserFactory(username="editor", is_staff=True, is_superuser=True)
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    requests.get(url)
    assert requests.get(url).headers["X-Cache"] == "HIT"

    editor = sign_in(edge.edge.url, "editor")
    published = timezone.localtime(article.published_at)
    response = post_form(
        editor,
        f"{edge.edge.url}/admin/articles/article/{article.pk}/change/",
        {
            "headline": "After the desk edit",
            "slug": article.slug,
            "summary": article.summary,
            "body": article.body,
            "section": article.section_id,
            "author": article.author_id,
            "status": article.status,
            "published_at_0": published.strftime("%Y-%m-%d"),
            "published_at_1": published.strftime("%H:%M:%S"),
            "_save": "Save",
        },
    )
    assert "was changed successfully" in response.text

    assert "After the desk edit" in requests.get(url).text


def test_a_new_comment_shows_on_its_article(edge):
    article = ArticleFactory()
    UserFactory(username="alice")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    requests.get(url)
    alice = sign_in(edge.edge.url, "alice")
    response = post_form(
        alice, f"{edge.edge.url}/comments/{article.pk}/", {"body": "Seen from the edge."}
    )
    assert response.ok
    assert "Seen from the edge." in requests.get(url).text


def test_a_hundred_readers_of_a_cold_page_cost_one_backend_request(edge):
    ArticleFactory.create_batch(3)
    url = f"{edge.edge.url}/feeds/latest/"
    before = edge.edge.counter("MAIN.backend_req")
    start_together = threading.Barrier(100)
    statuses = []

    def read():
        start_together.wait()
        statuses.append(requests.get(url).status_code)

    threads = [threading.Thread(target=read) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 100
    assert edge.edge.counter("MAIN.backend_req") - before == 1


def test_bans_and_purges_from_outside_the_acl_are_refused(edge):
    article = ArticleFactory()
    address = urlsplit(edge.edge.url)
    url = article.get_absolute_url()
    requests.get(f"{edge.edge.url}{url}")
    for method, path, headers in [("BAN", "/", {"X-Ban-Tags": "home"}), ("PURGE", url, {})]:
        # 127.0.0.2 is this machine too, but not in the ACL (which lists 127.0.0.1).
        outsider = http.client.HTTPConnection(
            address.hostname, address.port, source_address=("127.0.0.2", 0), timeout=5
        )
        outsider.request(method, path, headers=headers)
        assert outsider.getresponse().status == 403
        outsider.close()
    assert requests.get(f"{edge.edge.url}{url}").headers["X-Cache"] == "HIT"


def test_with_the_backend_down_cached_pages_are_served_and_others_get_an_error_page(
    start_edge_stack, transactional_db
):
    stack = start_edge_stack(NEWSITE_EDGE_TTL="1")
    article = ArticleFactory()
    cached = f"{stack.edge.url}{article.get_absolute_url()}"
    assert requests.get(cached).headers["X-Cache"] == "MISS"

    stack.application.stop()
    wait_until(stack.edge.backend_is_sick, "Varnish's probe finds the backend down")
    # Its one-second TTL runs out: from then on the page is served from grace.
    response = wait_until(
        lambda: (r := requests.get(cached)).headers["X-Cache"] == "grace" and r,
        "the page is served in grace",
    )
    assert response.status_code == 200
    assert article.headline in response.text

    never_cached = requests.get(f"{stack.edge.url}/no-such-section/")
    assert never_cached.status_code == 503
    assert "We are back in a moment" in never_cached.text


class GatedDjango:
    """Django, served from this process, that can hold one response after rendering it.

    It stands for a slow request: the page is built from the data as it is, then sent late.
    """

    def __init__(self):
        self.path = None
        self.held = threading.Event()
        self.release = threading.Event()
        application = get_wsgi_application()

        def gated(environ, start_response):
            body = application(environ, start_response)
            if environ["PATH_INFO"] == self.path:
                self.path = None
                self.held.set()
                self.release.wait(timeout=10)
            return body

        self.server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
        self.server.set_app(gated)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hold(self, path):
        self.path = path

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gated_edge(transactional_db, tmp_path, settings):
    django = GatedDjango()
    varnish = Varnish(tmp_path).start()
    varnish.use_backend(django.port)
    settings.VARNISH_NODES = [varnish.url]
    settings.NEWSITE_EDGE_PURGE_SECRET = varnish.purge_secret
    settings.NEWSITE_EDGE_REBAN_AFTER = 1
    deliverer = Deliverer().start()  # sends the second ban, owed in Redis
    yield varnish, django
    deliverer.stop()
    varnish.stop()
    django.stop()


def test_a_page_rendered_before_an_edit_and_stored_after_it_is_banned_again(gated_edge):
    varnish, django = gated_edge
    article = ArticleFactory(headline="Before the edit")
    url = f"{varnish.url}{article.get_absolute_url()}"
    django.hold(article.get_absolute_url())
    in_flight = []
    fetch = threading.Thread(target=lambda: in_flight.append(requests.get(url)))
    fetch.start()
    assert django.held.wait(timeout=10), "the page is rendered, from the old headline"

    article.headline = "After the edit"
    article.save()  # commits: the first ban goes out now, while the old page is in flight
    django.release.set()
    fetch.join()

    assert "Before the edit" in in_flight[0].text
    stale = requests.get(url)
    assert stale.headers["X-Cache"] == "HIT"
    assert "Before the edit" in stale.text, "the in-flight page reached the edge after the ban"
    wait_until(lambda: "After the edit" in requests.get(url).text, "the second ban")


def test_a_failed_ban_is_logged_retried_and_given_up_on(edge, settings, caplog):
    article = ArticleFactory(headline="Before")
    url = f"{edge.edge.url}{article.get_absolute_url()}"
    requests.get(url)
    dead_node = "http://127.0.0.1:9"
    settings.VARNISH_NODES = [edge.edge.url, dead_node]
    settings.NEWSITE_EDGE_PURGE_ATTEMPTS = 3
    settings.NEWSITE_EDGE_REBAN_AFTER = 0
    settings.NEWSITE_EDGE_BAN_QUEUE = False  # retried in this process (test_purge_queue.py: not)

    with caplog.at_level(logging.WARNING, logger="newsite.cache.purging"):
        article.headline = "After"
        article.save()
        assert "After" in requests.get(url).text, "the node that answers is banned at once"
        wait_until(
            lambda: any(
                "giving up" in message and dead_node in message for message in caplog.messages
            ),
            "the last attempt on the dead node",
        )
    failures = [message for message in caplog.messages if dead_node in message]
    assert len(failures) == 3
    assert sum("retrying" in message for message in failures) == 2


@pytest.mark.browser
def test_in_a_browser_a_reader_signs_in_saves_comments_and_signs_out_on_cached_pages(
    edge, browser_page, artifacts
):
    ArticleFactory.create_batch(3)
    lead = ArticleFactory(is_featured=True, headline="Ministers agree a plan at dawn")
    UserFactory(username="alice")
    page = browser_page
    statuses = []
    page.on("response", lambda response: statuses.append(response.status))
    article_url = f"{edge.edge.url}{lead.get_absolute_url()}"
    page.goto(edge.edge.url)
    assert page.goto(edge.edge.url).headers["x-cache"] == "HIT"

    page.get_by_role("link", name=lead.headline).first.click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(article_url)
    assert page.goto(article_url).headers["x-cache"] == "HIT", "signed in, the same shell"
    expect(page.locator(".personal-bar")).to_contain_text("Hi, alice")

    page.get_by_role("button", name="Save for later").click()
    expect(page.locator(".messages")).to_contain_text(f"Saved “{lead.headline}”")
    expect(page.get_by_role("button", name="Saved")).to_be_visible()
    expect(page.locator(".personal-bar")).to_contain_text("Saved (1)")

    page.get_by_label("Your comment").fill("Written through the edge.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment-list")).to_contain_text("Written through the edge.")
    page.screenshot(path=artifacts / "edge-article-signed-in.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".personal-bar")).to_contain_text("Sign in")
    assert 403 not in statuses, "no CSRF failure anywhere"
