"""Made-up addresses cost nothing that lasts: a 404 for any slug leaves Redis as it was, every
generation counter expires, and a slug looked up before its article existed still shows the
article the moment it is published."""

import os
import secrets
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection

from articles import cache_tags
from newsite.cache import tags
from newsite.cache.queries import WAIT_FOR_RECOMPUTATION, cached_query
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# How many made-up URLs the test sends; NEWSITE_MADE_UP_URLS=10000 measures at scale
# (docs/security.md quotes that run).
MADE_UP_URLS = int(os.environ.get("NEWSITE_MADE_UP_URLS", "300"))
# Redis' own bookkeeping (client buffers, allocator pages) moves used_memory by a few kilobytes
# from one moment to the next, whatever the keys.
MEMORY_NOISE_BYTES = 64 * 1024


def redis():
    return cache.client.get_client(write=True)


def used_memory():
    return redis().info("memory")["used_memory"]


def made_up_urls(article, count):
    """Article, section, section feed, author and topic URLs with slugs nobody published."""
    section = article.section.slug
    for number in range(count):
        slug = secrets.token_hex(8)
        yield [
            f"/{section}/2026/01/01/{slug}/",
            f"/{slug}/2026/01/01/{slug}/",
            f"/{slug}/",
            f"/{slug}/feed/",
            f"/authors/{slug}/",
            f"/topics/{slug}/",
        ][number % 6]


def test_made_up_urls_leave_redis_as_it_was(client, make_newsroom):
    article = make_newsroom()[0]
    # What every not-found page shares (the navigation, the footer) is cached by the first.
    for url in made_up_urls(article, 6):
        assert client.get(url).status_code == 404, url
    keys_before, memory_before = redis().dbsize(), used_memory()

    for url in made_up_urls(article, MADE_UP_URLS):
        assert client.get(url).status_code == 404, url

    keys_after, memory_after = redis().dbsize(), used_memory()
    print(
        f"\n{MADE_UP_URLS} made-up URLs: keys {keys_before} -> {keys_after}, "
        f"used_memory {memory_before} -> {memory_after} bytes"
    )
    assert keys_after == keys_before
    assert memory_after - memory_before < MEMORY_NOISE_BYTES


def test_every_generation_counter_expires(client, make_newsroom, settings):
    settings.NEWSITE_GENERATION_TTL = 3600
    article = make_newsroom()[0]
    for url in ["/", article.get_absolute_url(), article.section.get_absolute_url()]:
        client.get(url)
    article.headline = "Edited"
    article.save()  # bumps counters, and starts any that were missing

    counters = {
        key[key.index(b":generation:") :].decode(): key
        for key in redis().scan_iter(match="*generation:*")
    }
    article_counter = counters[f":generation:{cache_tags.article(article.slug)}"]
    assert 0 < redis().ttl(article_counter) <= 3600
    # Every counter expires, including those another process (the edge tests' gunicorn, with
    # the default TTL) may have started meanwhile.
    for key in counters.values():
        assert redis().ttl(key) > 0, key


def test_a_slug_looked_up_before_its_article_existed_shows_it_once_published(client, db):
    first = ArticleFactory()
    url = first.get_absolute_url().replace(first.slug, "breaking-news")
    assert client.get(url).status_code == 404
    article = ArticleFactory(
        slug="breaking-news", section=first.section, published_at=first.published_at
    )
    assert article.get_absolute_url() == url
    assert client.get(url).status_code == 200


def test_the_edge_may_keep_a_not_found_page_with_the_tag_that_bans_it(client, db, settings):
    first = ArticleFactory()
    settings.VARNISH_NODES = ["http://edge.invalid"]  # an edge is banned (never called here)
    url = first.get_absolute_url().replace(first.slug, "not-yet")
    response = client.get(url)
    assert response.status_code == 404
    assert response["Cache-Control"].startswith("public, max-age=0, s-maxage=")
    assert cache_tags.article("not-yet") in response["Surrogate-Key"].split()


def test_a_not_found_page_built_while_its_article_is_published_is_kept_by_no_edge(
    client, db, settings
):
    """The publication's ban may reach the edge before this 404 does: the lookup must not
    remove the counter the publication moved, so the edge check sees the move."""
    first = ArticleFactory()
    settings.VARNISH_NODES = ["http://edge.invalid"]
    url = first.get_absolute_url().replace(first.slug, "just-published")
    published = []

    def publish_elsewhere_once_looked_up(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not published and "just-published" in map(str, params or ()):
            # Another process commits the article: its tag gets a new generation.
            elsewhere = threading.Thread(
                target=tags.bump, args=([cache_tags.article("just-published")],)
            )
            elsewhere.start()
            elsewhere.join()
            published.append(True)
        return result

    with connection.execute_wrapper(publish_elsewhere_once_looked_up):
        response = client.get(url)
    assert published, "the page looked the slug up"
    assert response.status_code == 404
    assert response["Cache-Control"] == "private, no-store"


def redis_calls(command):
    return redis().info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_a_lookup_that_finds_nothing_keeps_no_one_waiting_for_it(db):
    """Nothing is stored for a made-up slug, so a request that asked for it at the same moment
    as another must not wait for an entry that will never come."""
    first_is_looking = threading.Event()
    release_first = threading.Event()
    waited = {}

    def slow_lookup_of_nothing():
        first_is_looking.set()
        release_first.wait(timeout=10)

    def look_up(compute):
        cached_query("section:made-up", tags=["sections"], compute=compute, lookup=True)

    first = threading.Thread(target=look_up, args=(slow_lookup_of_nothing,))
    first.start()
    assert first_is_looking.wait(timeout=10)
    lock_attempts = redis_calls("set")

    def second_lookup():
        look_up(lambda: None)
        waited["seconds"] = time.monotonic() - released_at

    second = threading.Thread(target=second_lookup)
    second.start()
    deadline = time.monotonic() + 10
    while redis_calls("set") == lock_attempts:  # until it has found the first one's lock
        assert time.monotonic() < deadline
    released_at = time.monotonic()
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert waited["seconds"] < WAIT_FOR_RECOMPUTATION / 2
