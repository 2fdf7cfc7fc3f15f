"""Fresh after every commit: each way content changes shows on the very next request of every
page it affects, and leaves the other pages cached.

Each change runs with every cache layer alone and with all of them on, through the whole
Django stack, against real PostgreSQL and Redis, with real commits (transactional tests), since
invalidation happens only once a transaction commits. With all of them on, the pages the change
leaves alone are checked in every layer, from the page cache inwards. (Through Varnish, the
same holds at the edge: tests/test_edge.py.)
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib import admin

from articles.admin import CommentAdmin
from articles.models import Article, Comment
from newsite.cache.layers import parse
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    SectionFactory,
    TopicFactory,
)
from tests.server_timing import cache_outcomes

pytestmark = pytest.mark.django_db(transaction=True)

LAYER_SETTINGS = {
    "query layer alone": "query",
    "fragment layer alone": "fragment",
    "page layer alone": "page",
    "all layers": "query,fragment,page",
}
# Outermost first: a page cache hit hides the fragments and queries inside it.
OUTERMOST_FIRST = ["page", "fragment", "query"]


@pytest.fixture
def newsroom(db):
    world = SectionFactory(name="World", slug="world")
    sport = SectionFactory(name="Sport", slug="sport")
    ada = AuthorFactory(name="Ada Reporter", slug="ada")
    ben = AuthorFactory(name="Ben Writer", slug="ben")
    climate = TopicFactory(name="Climate", slug="climate")
    football = TopicFactory(name="Football", slug="football")
    glacier = ArticleFactory(
        headline="Glacier melts", slug="glacier-melts", section=world, author=ada, topics=[climate]
    )
    ArticleFactory(headline="Storm nears coast", section=world, author=ben, topics=[climate])
    derby = ArticleFactory(
        headline="Derby ends level", section=sport, author=ben, topics=[football]
    )
    rude = CommentFactory(article=glacier, body="A rude remark")
    return SimpleNamespace(
        world=world,
        sport=sport,
        ada=ada,
        ben=ben,
        climate=climate,
        football=football,
        glacier=glacier,
        derby=derby,
        rude=rude,
        glacier_url=glacier.get_absolute_url(),
    )


def current_url(article):
    return Article.objects.get(pk=article.pk).get_absolute_url()


PAGES = {
    "home": lambda n: "/",
    "World": lambda n: "/world/",
    "Sport": lambda n: "/sport/",
    "glacier article": lambda n: n.glacier_url,
    "glacier article, new address": lambda n: current_url(n.glacier),
    "derby article": lambda n: n.derby.get_absolute_url(),
    "Ada's page": lambda n: "/authors/ada/",
    "Ben's page": lambda n: "/authors/ben/",
    "Climate topic": lambda n: "/topics/climate/",
    "Football topic": lambda n: "/topics/football/",
    "latest feed": lambda n: "/feeds/latest/",
    "World feed": lambda n: "/world/feed/",
    "sitemap": lambda n: "/sitemap-articles.xml",
    "search for glacier": lambda n: "/search/?q=glacier",
    "search for transfer": lambda n: "/search/?q=transfer",
    "search for retreat": lambda n: "/search/?q=retreat",
}


# Pages whose address exists only once the change is made: there is nothing to warm before it.
ONLY_AFTER_THE_CHANGE = {"glacier article, new address"}


@dataclass
class Change:
    apply: object
    shows: dict = field(default_factory=dict)  # page: text now on it
    hides: dict = field(default_factory=dict)  # page: text gone from it
    not_found: tuple = ()  # pages that are now 404
    unrelated: tuple = ()  # pages that must still come from the cache


def edit_headline(n):
    n.glacier.headline = "Glacier retreat speeds up"
    n.glacier.save()


def publish_article(n):
    ArticleFactory(
        headline="Transfer window opens",
        slug="transfer-window-opens",
        section=n.sport,
        author=n.ada,
        topics=[n.football],
    )


def withdraw_article(n):
    n.glacier.status = Article.Status.DRAFT
    n.glacier.save()


def move_article(n):
    n.glacier.section = n.sport
    n.glacier.save()


def rename_slug(n):
    n.glacier.slug = "glacier-melting-faster"
    n.glacier.save()


def hide_comment_in_admin(n):
    CommentAdmin(Comment, admin.site).hide_comments(None, Comment.objects.filter(pk=n.rude.pk))


def hide_comment(n):
    n.rude.is_hidden = True
    n.rude.save()


def rename_section(n):
    n.world.name = "Global"
    n.world.save()


def rename_author(n):
    n.ada.name = "Ada Lovelace"
    n.ada.save()


# Feeds and the sitemap are not templates: only the query and page layers cache them.
WITHOUT_TEMPLATE_FRAGMENTS = {"latest feed", "World feed", "sitemap"}
ON_GLACIER_LISTS = ["home", "World", "Ada's page", "Climate topic", "latest feed", "World feed"]
ELSEWHERE = ("Sport", "derby article", "Ben's page", "Football topic")

CHANGES = {
    "a headline is edited": Change(
        edit_headline,
        shows=dict.fromkeys(
            [*ON_GLACIER_LISTS, "glacier article", "search for retreat"],
            "Glacier retreat speeds up",
        ),
        unrelated=ELSEWHERE,
    ),
    "an article is published": Change(
        publish_article,
        shows={
            **dict.fromkeys(
                [
                    "home",
                    "Sport",
                    "Ada's page",
                    "Football topic",
                    "latest feed",
                    "derby article",
                    "search for transfer",
                ],
                "Transfer window opens",
            ),
            "sitemap": "transfer-window-opens",
        },
        unrelated=("World", "glacier article", "Ben's page", "Climate topic", "World feed"),
    ),
    "an article is deleted": Change(
        lambda n: n.glacier.delete(),
        hides={
            **dict.fromkeys([*ON_GLACIER_LISTS, "search for glacier"], "Glacier melts"),
            "sitemap": "glacier",
        },
        not_found=("glacier article",),
        unrelated=ELSEWHERE,
    ),
    "an article goes back to draft": Change(
        withdraw_article,
        hides={
            **dict.fromkeys([*ON_GLACIER_LISTS, "search for glacier"], "Glacier melts"),
            "sitemap": "glacier",
        },
        not_found=("glacier article",),
        unrelated=ELSEWHERE,
    ),
    "an article moves to another section": Change(
        move_article,
        shows={"Sport": "Glacier melts", "glacier article, new address": "Glacier melts"},
        hides={"World": "Glacier melts", "World feed": "Glacier melts"},
        not_found=("glacier article",),
        unrelated=("Ben's page", "Football topic"),
    ),
    "an article's slug changes": Change(
        rename_slug,
        shows={
            "glacier article, new address": "Glacier melts",
            "sitemap": "glacier-melting-faster",
            "World": "glacier-melting-faster",
        },
        not_found=("glacier article",),
        unrelated=ELSEWHERE,
    ),
    "a topic is added to an article": Change(
        lambda n: n.glacier.topics.add(n.football),
        shows={"Football topic": "Glacier melts", "glacier article": 'href="/topics/football/"'},
        unrelated=("World", "Sport", "Ada's page", "Climate topic", "derby article"),
    ),
    "a topic is removed from an article": Change(
        lambda n: n.glacier.topics.remove(n.climate),
        hides={"Climate topic": "Glacier melts", "glacier article": 'href="/topics/climate/"'},
        unrelated=("World", "Ada's page", "Football topic", "derby article"),
    ),
    "an article's topics are cleared": Change(
        lambda n: n.glacier.topics.clear(),
        hides={"Climate topic": "Glacier melts", "glacier article": 'href="/topics/climate/"'},
        unrelated=("World", "Ada's page", "Football topic", "derby article"),
    ),
    "a comment is posted": Change(
        lambda n: CommentFactory(article=n.glacier, body="A thoughtful reply"),
        shows={"glacier article": "A thoughtful reply", "home": "2 comments"},
        unrelated=("World", "Sport", "derby article", "Ada's page", "Climate topic"),
    ),
    "a comment is hidden": Change(
        hide_comment,
        hides={"glacier article": "A rude remark", "home": "1 comment"},
        unrelated=("World", "Sport", "derby article", "Ada's page", "Climate topic"),
    ),
    "comments are hidden from the admin list": Change(
        hide_comment_in_admin,
        hides={"glacier article": "A rude remark", "home": "1 comment"},
        unrelated=("World", "Sport", "derby article", "Ada's page", "Climate topic"),
    ),
    "a section is renamed": Change(
        rename_section,
        shows=dict.fromkeys(
            ["home", "World", "Sport", "glacier article", "derby article", "latest feed"], "Global"
        ),
    ),
    "an author is renamed": Change(
        rename_author,
        shows=dict.fromkeys(
            ["home", "World", "glacier article", "Ada's page", "Climate topic"], "Ada Lovelace"
        ),
    ),
    "a section is created": Change(
        lambda n: SectionFactory(name="Weather", slug="weather"),
        shows=dict.fromkeys(["home", "World", "derby article"], "/weather/"),
    ),
}


@pytest.mark.parametrize("layers", LAYER_SETTINGS.values(), ids=LAYER_SETTINGS.keys())
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_the_next_request_shows_the_change(change, layers, newsroom, client, settings):
    settings.NEWSITE_CACHE_LAYERS = parse(layers)
    checked = {*change.shows, *change.hides, *change.not_found, *change.unrelated}
    urls = {page: PAGES[page](newsroom) for page in checked - ONLY_AFTER_THE_CHANGE}
    for url in urls.values():
        client.get(url)  # warm every cache on the way

    change.apply(newsroom)

    for page, text in change.shows.items():
        response = client.get(PAGES[page](newsroom))
        assert response.status_code == 200, page
        assert text in response.content.decode(), page
    for page, text in change.hides.items():
        assert text not in client.get(urls[page]).content.decode(), page
    for page in change.not_found:
        assert client.get(urls[page]).status_code == 404, page
    for page in change.unrelated:
        assert_still_cached_in_every_layer(client, settings, urls[page], page, parse(layers))


def assert_still_cached_in_every_layer(client, settings, url, page, layers):
    """Each layer that is on answers `page` from what it kept: asked outermost first, each with
    the layers outside it turned off, so that what they kept hides nothing inside."""
    on = [layer for layer in OUTERMOST_FIRST if layer in layers]
    for position, layer in enumerate(on):
        if layer == "fragment" and page in WITHOUT_TEMPLATE_FRAGMENTS:
            continue
        settings.NEWSITE_CACHE_LAYERS = frozenset(on[position:])
        outcomes = cache_outcomes(client.get(url), layer)
        assert outcomes, f"{page}: the {layer} layer was not asked"
        assert "miss" not in outcomes, f"{page} was rebuilt in the {layer} layer: {outcomes}"
