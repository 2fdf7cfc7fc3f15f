"""The caching toolkit at work: warm pages cost nothing, each layer does its part, and the
Server-Timing header tells the truth about it. (Freshness after edits: test_freshness.py.)"""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import cache_tags
from articles.models import Article
from newsite.cache import layers, tags
from newsite.cache.queries import cached_query
from tests.factories import ArticleFactory, CommentFactory
from tests.helpers import reader_urls
from tests.server_timing import cache_outcomes, server_timing, sql_queries

WARM_PAGES = ["home", "section", "article", "author", "topic"]


def lookups(response, layer):
    """The keys and outcomes of one layer's lookups while serving `response`."""
    return [(key, outcome) for kind, key, outcome in response.wsgi_request.timings.lookups
            if kind == layer]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("page", WARM_PAGES)
@pytest.mark.parametrize("enabled", ["query,fragment,page", "query,fragment", "query", "page"])
def test_a_warm_page_runs_no_sql(page, enabled, client, make_newsroom, settings):
    settings.NEWSITE_CACHE_LAYERS = layers.parse(enabled)
    url = reader_urls(make_newsroom()[0])[page]
    cold = client.get(url)
    with CaptureQueriesContext(connection) as warm_queries:
        warm = client.get(url)
    assert sql_queries(cold) > 0
    assert len(warm_queries) == 0, [query["sql"] for query in warm_queries]
    assert warm.content == cold.content


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "article", "search", "feed", "sitemap"])
def test_server_timing_counts_exactly_the_queries_run(page, client, make_newsroom):
    url = reader_urls(make_newsroom()[0])[page]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    metrics = server_timing(response)
    assert sql_queries(response) == len(queries)
    assert {"sql", "cache", "template", "app", "total"} <= metrics.keys()
    parts = sum(metrics[name][0] for name in ("sql", "cache", "template", "app"))
    assert parts == pytest.approx(metrics["total"][0], abs=0.5)


@pytest.mark.django_db
def test_every_response_has_server_timing(client, alice_client):
    for response in [
        client.get("/no-such-page/"),
        client.get("/-/alive/"),
        client.get("/static/css/site.css"),
        alice_client.get("/_fragments/personal-bar/"),
        client.post("/accounts/login/", {}),
    ]:
        assert "total;dur=" in response["Server-Timing"]


@pytest.mark.django_db
def test_the_page_cache_answers_a_second_visit_before_the_view_runs(client, make_newsroom):
    url = reader_urls(make_newsroom()[0])["section"]
    assert cache_outcomes(client.get(url), "page") == {"miss": 1}
    second = client.get(url)
    assert cache_outcomes(second, "page") == {"hit": 1}
    assert cache_outcomes(second, "query") == {}, "the view did not run"


@pytest.mark.django_db
def test_the_page_cache_never_keeps_a_private_response(client, alice_client):
    """The sign-in page sets the CSRF cookie; a reader's fragment reads their session."""
    for visitor, url in [(client, "/accounts/login/"), (alice_client, "/_fragments/personal-bar/")]:
        visitor.get(url)
        assert "hit" not in cache_outcomes(visitor.get(url), "page"), url


@pytest.mark.django_db(transaction=True)
def test_russian_dolls_a_new_comment_reuses_the_rendered_article_body(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    CommentFactory(article=article, body="Late reply")
    response = client.get(article.get_absolute_url())
    assert "Late reply" in response.content.decode()
    outcomes = {key.split(":")[0]: outcome for key, outcome in lookups(response, "fragment")}
    assert outcomes["article-page"] == "miss"
    assert outcomes["article-body"] == "hit"
    assert outcomes["more-in-section"] == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_article_appears_at_its_time_without_any_edit(client, make_newsroom):
    section = make_newsroom()[0].section
    publish_at = timezone.now() + timedelta(seconds=1)
    scheduled = ArticleFactory(section=section, headline="Embargo lifted", published_at=publish_at)
    assert "Embargo lifted" not in client.get("/").content.decode()
    assert "Embargo lifted" not in client.get(section.get_absolute_url()).content.decode()
    # Nothing is saved from here on: only the clock moves. Wait for the publication itself.
    deadline = time.monotonic() + 5
    while "Embargo lifted" not in client.get("/").content.decode():
        assert time.monotonic() < deadline, "the home page never showed the scheduled article"
    assert timezone.now() >= scheduled.published_at
    assert "Embargo lifted" in client.get(section.get_absolute_url()).content.decode()
    assert client.get(scheduled.get_absolute_url()).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_pages_that_list_articles_expire_at_the_next_publication(client, make_newsroom):
    section = make_newsroom()[0].section
    publish_at = timezone.now() + timedelta(seconds=90)
    ArticleFactory(section=section, published_at=publish_at)
    cache_control = client.get(section.get_absolute_url())["Cache-Control"]
    max_age = int(cache_control.split("s-maxage=")[1])
    assert 85 <= max_age <= 90


@pytest.mark.django_db
def test_a_page_built_while_an_edit_to_it_commits_is_kept_by_no_edge(client, settings):
    """The edit's ban may reach the edge before the old page does; bans touch only what is
    stored already, so the old page would stay. It goes out private instead."""
    settings.VARNISH_NODES = ["http://edge.invalid"]  # an edge is banned (never called here)
    article = ArticleFactory()
    edited = []

    def edit_elsewhere_once_the_article_is_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not edited and article.slug in map(str, params or ()):
            # Another process commits an edit: its tag gets a new generation.
            elsewhere = threading.Thread(
                target=tags.bump, args=([cache_tags.article(article.slug)],)
            )
            elsewhere.start()
            elsewhere.join()
            edited.append(True)
        return result

    with connection.execute_wrapper(edit_elsewhere_once_the_article_is_read):
        during_the_edit = client.get(article.get_absolute_url())
    assert edited, "the page read its article"
    assert during_the_edit["Cache-Control"] == "private, no-store"
    assert "Surrogate-Key" not in during_the_edit
    after_the_edit = client.get(article.get_absolute_url())
    assert after_the_edit["Cache-Control"].startswith("public, max-age=0, s-maxage=")
    # A page the page cache has just checked against the generations is not checked twice.
    from_the_page_cache = client.get(article.get_absolute_url())
    assert cache_outcomes(from_the_page_cache, "page") == {"hit": 1}
    assert server_timing(from_the_page_cache)["cache"][1] == "2 calls"


class Recomputation:
    """A slow recomputation that starts when asked and ends when released."""

    def __init__(self):
        self.calls = []
        self.started = threading.Event()
        self.release = threading.Event()

    def compute(self):
        self.calls.append(threading.current_thread())
        self.started.set()
        self.release.wait(timeout=10)
        return "new"


class TestStampedeProtection:
    """One recomputation for many concurrent requests of an expired or invalidated entry."""

    CONCURRENT_REQUESTS = 20

    @pytest.fixture
    def recomputation(self):
        return Recomputation()

    def ask_concurrently(self, compute):
        """Ask for the entry from many threads at once; returns the threads and their answers."""
        start_together = threading.Barrier(self.CONCURRENT_REQUESTS)
        answers = {}

        def ask():
            start_together.wait()
            answer = cached_query("headline", tags=["article:1"], compute=compute)
            answers[threading.current_thread()] = answer

        threads = [threading.Thread(target=ask) for _ in range(self.CONCURRENT_REQUESTS)]
        for thread in threads:
            thread.start()
        return threads, answers

    def store(self, value, timeout):
        cached_query("headline", tags=["article:1"], compute=lambda: value, timeout=timeout)

    def test_an_expired_entry_is_recomputed_once_while_the_others_get_the_old_value(
        self, recomputation
    ):
        self.store("old", timeout=0.001)  # stale at once, still kept for the grace period
        threads, answers = self.ask_concurrently(recomputation.compute)
        assert recomputation.started.wait(timeout=10)
        [recomputing] = recomputation.calls
        for thread in threads:
            if thread is not recomputing:
                thread.join(timeout=10)  # they finish while the recomputation is still running
        assert list(answers.values()) == ["old"] * (self.CONCURRENT_REQUESTS - 1)
        recomputation.release.set()
        recomputing.join(timeout=10)
        assert answers[recomputing] == "new"
        assert len(recomputation.calls) == 1

    def test_an_invalidated_entry_is_recomputed_once_while_the_others_wait_for_it(
        self, recomputation
    ):
        self.store("old", timeout=600)
        tags.bump(["article:1"])
        threads, answers = self.ask_concurrently(recomputation.compute)
        assert recomputation.started.wait(timeout=10)
        recomputation.release.set()
        for thread in threads:
            thread.join(timeout=10)
        assert len(recomputation.calls) == 1
        assert list(answers.values()) == ["new"] * self.CONCURRENT_REQUESTS, "none got the old"


@pytest.mark.django_db(transaction=True)
def test_a_read_is_counted_without_invalidating_anything(client, make_newsroom):
    article = make_newsroom()[0]
    client.get(article.get_absolute_url())
    for _ in range(3):
        assert client.post(article.read_beacon_url).status_code == 204
    assert cache_outcomes(client.get(article.get_absolute_url()), "page") == {"hit": 1}
    rail = client.get("/_fragments/shared/most-read/").content.decode()
    assert article.headline in rail
    assert "3 reads" in rail

    call_command("flush_read_counts", verbosity=0)
    call_command("flush_read_counts", verbosity=0)  # nothing left: nothing counted twice
    assert Article.objects.get(pk=article.pk).read_count == 3


def test_the_most_read_rail_is_shared_and_fresh_for_a_minute(client, db):
    cache_control = client.get("/_fragments/shared/most-read/")["Cache-Control"]
    assert cache_control.startswith("public, max-age=0, s-maxage=")
    assert 59 <= int(cache_control.split("s-maxage=")[1]) <= 60


@pytest.mark.django_db
def test_a_readers_fragment_reads_the_session_from_the_cache(alice_client):
    alice_client.get("/_fragments/personal-bar/")
    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/_fragments/personal-bar/")
    assert not [query for query in queries if "django_session" in query["sql"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {"query", "fragment", "page"}),
        ("off", set()),
        ("page", {"page"}),
        ("query, fragment", {"query", "fragment"}),
    ],
)
def test_newsite_cache_names_the_layers_that_are_on(value, expected):
    assert layers.parse(value) == expected


def test_an_unknown_layer_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match=r"unknown layers: pages\. Use any of"):
        layers.parse("query,pages")


@pytest.mark.django_db
def test_with_every_layer_off_the_site_still_works_and_caches_nothing(client, settings):
    settings.NEWSITE_CACHE_LAYERS = layers.parse("off")
    article = ArticleFactory()
    for _ in range(2):
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert sql_queries(response) > 0
        for layer in ("query", "fragment", "page"):
            assert cache_outcomes(response, layer) == {}
    assert Client().get("/").status_code == 200
