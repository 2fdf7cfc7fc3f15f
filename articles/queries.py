"""Every query behind a reader's page, in one place.

Views never build querysets themselves: they call these functions, so the queries of a page can
be read, counted and cached together. Each function runs a fixed number of SQL queries however
many items it returns (select_related / prefetch_related instead of a query per item).
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from articles.models import Article, Comment, Section

STORIES_PER_SECTION = 4
RECENT_STORIES = 400
RECENT_COMMENTS = 1000
LATEST_HEADLINES = 12
MOST_COMMENTED = 5
MORE_IN_SECTION = 5
COMMENTS_SHOWN = 200


def listed_articles():
    """Published articles with what a list shows beside the headline (section, byline)."""
    return Article.objects.published().select_related("section", "author")


def navigation_sections():
    return list(Section.objects.all())


def lead_story():
    """The newest featured article, or simply the newest one."""
    articles = listed_articles()
    return articles.filter(is_featured=True).first() or articles.first()


def top_stories_by_section(exclude=None):
    """The newest few stories of every section, from one query (a window function).

    Only the newest RECENT_STORIES articles are ranked, through the index on publication time,
    so the query costs the same with ten thousand articles or a million. Returns
    [(section, [article, …]), …] in navigation order, leaving out sections with no recent news.
    """
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
    if exclude is not None:
        ranked = ranked.exclude(pk=exclude.pk)
    by_section = {}
    for article in ranked:
        by_section.setdefault(article.section, []).append(article)
    return list(by_section.items())


def latest_headlines():
    return list(listed_articles()[:LATEST_HEADLINES])


def most_commented():
    """The articles most discussed in the newest RECENT_COMMENTS visible comments.

    Counting over a fixed number of comments rather than a period keeps the cost flat as the
    archive grows, and the rail still follows the conversation.
    """
    recent_comments = (
        Comment.objects.filter(is_hidden=False).order_by("-created_at").values("pk")
    )[:RECENT_COMMENTS]
    return list(
        listed_articles()
        .filter(comments__in=recent_comments)
        .annotate(recent_comments=Count("comments"))
        .order_by("-recent_comments", "-published_at")[:MOST_COMMENTED]
    )


def article_page(slug):
    """The live article with this slug, its section, author and topics; None if there is none."""
    return listed_articles().prefetch_related("topics").filter(slug=slug).first()


def visible_comments_queryset(article):
    return article.comments.filter(is_hidden=False).select_related("user")[:COMMENTS_SHOWN]


def visible_comments(article):
    return list(visible_comments_queryset(article))


def more_in_section(article):
    return list(
        listed_articles().filter(section=article.section).exclude(pk=article.pk)[:MORE_IN_SECTION]
    )


def section_articles(section):
    return listed_articles().filter(section=section)


def author_articles(author):
    return listed_articles().filter(author=author)


def topic_articles(topic):
    return listed_articles().filter(topics=topic)


def search_articles(terms):
    """Full-text search ranked by relevance on PostgreSQL; a plain text match elsewhere."""
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, search_type="websearch", config="english")
        return (
            listed_articles()
            .filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at")
        )
    return listed_articles().filter(Q(headline__icontains=terms) | Q(summary__icontains=terms))
