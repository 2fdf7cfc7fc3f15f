"""PostgreSQL specifics: ranked full-text search, and indexes under every listing query."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles import queries
from articles.models import Article, Comment
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_search_ranks_a_headline_match_above_a_passing_mention(client):
    mention = ArticleFactory(headline="Markets close higher", body="Also: a glacier melted.")
    lead = ArticleFactory(headline="Glacier retreats faster than ever", body="Ice.")
    page = client.get("/search/", {"q": "glaciers"}).content.decode()
    assert page.index(lead.headline) < page.index(mention.headline), "stemming and weights"


def test_search_understands_quotes_and_exclusions(client):
    wanted = ArticleFactory(headline="Central bank raises interest rates")
    unwanted = ArticleFactory(headline="Central heating prices rise", body="bank holiday")
    page = client.get("/search/", {"q": '"central bank" -heating'}).content.decode()
    assert wanted.headline in page
    assert unwanted.headline not in page


def test_an_edited_headline_is_searchable_at_once(client):
    article = ArticleFactory(headline="Old words")
    article.headline = "Completely different vocabulary"
    article.save()
    assert article.headline in client.get("/search/", {"q": "vocabulary"}).content.decode()


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def archive(db):
    """Enough rows for the planner to choose as it would at scale.

    6,000 articles, 12,000 comments; one section, one author and one word are rare (1 %), as
    a small section, a new author or an unusual search term are on the real site.
    """
    rare_section, *sections = SectionFactory.create_batch(10)
    rare_author, *authors = AuthorFactory.create_batch(30)
    readers = UserFactory.create_batch(5)
    now = timezone.now()
    articles = Article.objects.bulk_create(
        Article(
            headline=f"Story {number} from the archive",
            slug=f"story-{number}",
            summary="A summary.",
            body="Ordinary words." + (" A rare aardvark appears." if number % 100 == 0 else ""),
            section=rare_section if number % 100 == 0 else sections[number % 9],
            author=rare_author if number % 100 == 0 else authors[number % 29],
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=number),
        )
        for number in range(6000)
    )
    Comment.objects.bulk_create(
        Comment(article=articles[number % 6000], user=readers[number % 5], body="Hm.")
        for number in range(12000)
    )
    with connection.cursor() as cursor:
        # New GIN entries wait in a pending list until a vacuum; flush it as autovacuum would.
        cursor.execute("SELECT gin_clean_pending_list('article_search_idx')")
        cursor.execute("ANALYZE")
    return articles


@pytest.mark.parametrize(
    ("listing", "index"),
    [
        (lambda article: queries.listed_articles()[:12], "article_latest_idx"),
        (lambda article: queries.section_articles(article.section)[:20], "article_section_idx"),
        (lambda article: queries.author_articles(article.author)[:20], "article_author_idx"),
        (lambda article: queries.search_articles("aardvark")[:20], "article_search_idx"),
        (lambda article: queries.visible_comments_queryset(article), "comment_article_idx"),
    ],
    ids=["latest", "section", "author", "search", "comments"],
)
def test_every_listing_query_uses_its_index(archive, listing, index):
    query_plan = plan(listing(archive[0]))
    assert index in query_plan, query_plan
