"""Every query behind a reader's page, in one place, each cached under the tags of its data.

Views call these functions instead of building querysets, so the queries of a page can be read,
counted and cached together. Each runs a fixed number of SQL queries however many items it
returns (select_related / prefetch_related rather than a query per item), and goes through the
query cache (newsite/cache/queries.py) under the tags that an edit of its data invalidates
(articles/cache_tags.py, articles/signals.py).
"""

from collections import Counter
from functools import partial

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from articles import cache_tags
from articles.models import Article, Author, Comment, Section, Topic
from newsite.cache import tags
from newsite.cache.counters import HotCounter
from newsite.cache.queries import cached_query
from newsite.pagination import BoundedPaginator, paginate

STORIES_PER_SECTION = 4
RECENT_STORIES = 400
RECENT_COMMENTS = 1000
LATEST_HEADLINES = 12
MOST_COMMENTED = 5
MORE_IN_SECTION = 5
COMMENTS_SHOWN = 200
FEED_LENGTH = 30
MOST_READ = 5
SEARCH_CANDIDATES = 1000

# Article reads, counted in Redis (newsite/cache/counters.py).
reads = HotCounter("reads")


def live_articles():
    """Live articles with their section and byline, without the full-text search vector
    (as long as the body, it is only ever read by PostgreSQL itself)."""
    return Article.objects.published().select_related("section", "author").defer("search_vector")


def listed_articles():
    """Live articles as lists show them: without the body, which only the article page needs."""
    return live_articles().defer("body")


def next_scheduled_publication():
    """When the next scheduled article goes live, or None."""

    def compute():
        when = (
            Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        tags.register({}, expires_at=when)  # then look again, for the one after
        return when

    return cached_query("next-publication", tags=[cache_tags.SCHEDULE], compute=compute)


def cached_articles(key, article_tags, compute, lookup=False):
    """cached_query for anything that shows live articles.

    Such a result also shows the names of sections and authors, and it stops being true when
    the next scheduled article goes live: so it expires then, and lists gain scheduled
    articles on time, everywhere, without a cron job.
    """

    def compute_until_next_publication():
        tags.register({}, expires_at=next_scheduled_publication())
        return compute()

    return cached_query(
        key,
        tags=[*article_tags, cache_tags.SECTIONS, cache_tags.AUTHORS],
        compute=compute_until_next_publication,
        lookup=lookup,
    )


def depends_on_live_articles(article_tags):
    """For code that lists live articles without cached_articles (the sitemap framework)."""
    tags.depends_on(
        [*article_tags, cache_tags.SECTIONS, cache_tags.AUTHORS],
        expires_at=next_scheduled_publication(),
    )


def page_of(request, key, article_tags, articles):
    """The ?page= page of `articles` (404 if there is none), counted and listed from the cache.

    Its object_list is a query for the template to call (see newsite/cache/fragments.py).
    """
    per_page = settings.ARTICLES_PER_PAGE
    count = cached_articles(
        f"{key}:count", article_tags, lambda: BoundedPaginator(articles, per_page).count
    )
    page = paginate(request, articles, count=count)
    items = page.object_list
    page.object_list = partial(
        cached_articles, f"{key}:page:{page.number}", article_tags, lambda: list(items)
    )
    return page


# ------------------------------------------------------------------------------
# Sections, authors and topics
# ------------------------------------------------------------------------------
# The lookups by a slug from the URL are `lookup=True`: anyone can make up slugs, and one
# that matches nothing must leave nothing in the cache (newsite/cache/queries.py).
def navigation_sections():
    return cached_query(
        "sections", tags=[cache_tags.SECTIONS], compute=lambda: list(Section.objects.all())
    )


def section_by_slug(slug):
    return cached_query(
        f"section:{slug}",
        tags=[cache_tags.SECTIONS],
        compute=lambda: Section.objects.filter(slug=slug).first(),
        lookup=True,
    )


def author_by_slug(slug):
    return cached_query(
        f"author:{slug}",
        tags=[cache_tags.AUTHORS],
        compute=lambda: Author.objects.filter(slug=slug).first(),
        lookup=True,
    )


def topic_by_slug(slug):
    return cached_query(
        f"topic:{slug}",
        tags=[cache_tags.TOPICS],
        compute=lambda: Topic.objects.filter(slug=slug).first(),
        lookup=True,
    )


# ------------------------------------------------------------------------------
# The home page
# ------------------------------------------------------------------------------
def lead_story():
    """The newest featured article, or simply the newest one."""

    def compute():
        articles = listed_articles()
        return articles.filter(is_featured=True).first() or articles.first()

    return cached_articles("lead-story", [cache_tags.HOME], compute)


def top_stories_by_section():
    """The newest few stories of every section but the lead, from one query (a window function).

    Only the newest RECENT_STORIES articles are ranked, through the index on publication time,
    so the query costs the same with ten thousand articles or a million. Returns
    [(section, [article, …]), …] in navigation order, leaving out sections with no recent news.
    """

    def compute():
        recent = listed_articles().values("pk")[:RECENT_STORIES]
        ranked = (
            listed_articles()
            .filter(pk__in=recent)
            .annotate(
                rank_in_section=Window(
                    RowNumber(), partition_by=F("section_id"), order_by=F("published_at").desc()
                )
            )
            .filter(rank_in_section__lte=STORIES_PER_SECTION)
            .order_by("section__position", "section__name", "rank_in_section")
        )
        lead = lead_story()
        if lead is not None:
            ranked = ranked.exclude(pk=lead.pk)
        by_section = {}
        for article in ranked:
            by_section.setdefault(article.section, []).append(article)
        return list(by_section.items())

    return cached_articles("top-stories", [cache_tags.HOME], compute)


def latest_headlines():
    return cached_articles(
        "latest", [cache_tags.HOME], lambda: list(listed_articles()[:LATEST_HEADLINES])
    )


# The largest id a database can hold (a signed 64-bit integer, Django's BigAutoField).
LARGEST_ID = 2**63 - 1


def article_id(member):
    """The article id a read counter holds, or None if it holds something else."""
    if not (member.isascii() and member.isdigit()):
        return None
    number = int(member)
    return number if 0 < number <= LARGEST_ID else None


def most_read():
    """[(article, reads), …]: the articles read most today and yesterday.

    Whatever the counters hold, only ids a database can look up are asked for (SQLite fails on
    an id beyond 64 bits), and only live articles are shown.
    """
    counts = {}
    for member, count in reads.top(MOST_READ * 2):  # room for some that are no longer live
        if (found := article_id(member)) is not None:
            counts[found] = count
    ids = sorted(counts)
    live = cached_articles(
        f"articles:{ids}", [cache_tags.HOME], lambda: listed_articles().in_bulk(ids)
    )
    ranked = [(live.get(found), count) for found, count in counts.items()]
    return [(article, count) for article, count in ranked if article is not None][:MOST_READ]


def most_commented():
    """The articles most discussed in the newest RECENT_COMMENTS visible comments.

    Counting over a fixed number of comments rather than a period keeps the cost flat as the
    archive grows, and the rail still follows the conversation. Two small queries: the
    article of each recent comment (counted here), then the few articles on top.
    """

    def compute():
        recent = Comment.objects.filter(is_hidden=False).order_by("-created_at")
        counts = Counter(recent.values_list("article_id", flat=True)[:RECENT_COMMENTS])
        candidates = [article_id for article_id, _ in counts.most_common(MOST_COMMENTED * 2)]
        live = listed_articles().in_bulk(candidates)
        ranked = [live[article_id] for article_id in candidates if article_id in live]
        for article in ranked:
            article.recent_comments = counts[article.pk]
        return ranked[:MOST_COMMENTED]

    return cached_articles("most-commented", [cache_tags.HOME, cache_tags.COMMENTS], compute)


# ------------------------------------------------------------------------------
# Article pages
# ------------------------------------------------------------------------------
def article_by_slug(slug):
    """The live article with this slug, with its section, author and topics; None if none."""
    return cached_articles(
        f"article:{slug}",
        [cache_tags.article(slug), cache_tags.TOPICS],
        lambda: live_articles().prefetch_related("topics").filter(slug=slug).first(),
        lookup=True,
    )


def visible_comments_queryset(article):
    return article.comments.filter(is_hidden=False).select_related("user")[:COMMENTS_SHOWN]


def visible_comments(article):
    return cached_query(
        f"comments:{article.pk}",
        tags=[cache_tags.comments_of(article.pk)],
        compute=lambda: list(visible_comments_queryset(article)),
    )


def more_in_section(article):
    return cached_articles(
        f"more-in-section:{article.pk}",
        [cache_tags.section(article.section_id)],
        lambda: list(
            listed_articles()
            .filter(section_id=article.section_id)
            .exclude(pk=article.pk)[:MORE_IN_SECTION]
        ),
    )


# ------------------------------------------------------------------------------
# Lists: sections, authors, topics, search, feeds
# ------------------------------------------------------------------------------
def section_articles(section):
    return listed_articles().filter(section=section)


def author_articles(author):
    return listed_articles().filter(author=author)


def topic_articles(topic):
    return listed_articles().filter(topics=topic)


def search_articles(terms):
    """Full-text search ranked by relevance on PostgreSQL; a plain text match elsewhere.

    Only the newest SEARCH_CANDIDATES matches are ranked: ranking every match of a common word
    would cost more with every article the archive gains. PostgreSQL finds them through the
    GIN index for a rare word, or walks the newest articles for a common one.
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, search_type="websearch", config="english")
        newest_matches = (
            Article.objects.published()
            .filter(search_vector=query)
            .order_by("-published_at")
            .values("pk")[:SEARCH_CANDIDATES]
        )
        return (
            listed_articles()
            .filter(pk__in=newest_matches)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at")
        )
    return listed_articles().filter(Q(headline__icontains=terms) | Q(summary__icontains=terms))


def section_page(request, section):
    key = f"section-front:{section.pk}"
    return page_of(request, key, [cache_tags.section(section.pk)], section_articles(section))


def author_page(request, author):
    key = f"author-page:{author.pk}"
    return page_of(request, key, [cache_tags.author(author.pk)], author_articles(author))


def topic_page(request, topic):
    key = f"topic-page:{topic.pk}"
    return page_of(request, key, [cache_tags.topic(topic.pk)], topic_articles(topic))


def search_page(request, terms):
    return page_of(request, f"search:{terms}", [cache_tags.HOME], search_articles(terms))


def latest_feed():
    return cached_articles(
        "feed:latest", [cache_tags.HOME], lambda: list(listed_articles()[:FEED_LENGTH])
    )


def section_feed(section):
    return cached_articles(
        f"feed:section:{section.pk}",
        [cache_tags.section(section.pk)],
        lambda: list(section_articles(section)[:FEED_LENGTH]),
    )
