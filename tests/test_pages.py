"""Reader pages: what each shows, how many queries it costs, and how it handles bad input."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from articles.models import Article
from tests.factories import ArticleFactory, SectionFactory
from tests.helpers import reader_urls

pytestmark = pytest.mark.django_db


def test_every_reader_page_answers(client, make_newsroom):
    article = make_newsroom()[0]
    for name, url in reader_urls(article).items():
        response = client.get(url)
        assert response.status_code == 200, name


def test_the_home_page_shows_the_lead_story_sections_and_rails(client, make_newsroom):
    articles = make_newsroom()
    page = client.get("/").content.decode()
    newest_featured = max(
        (article for article in articles if article.is_featured),
        key=lambda article: (article.published_at, article.pk),
    )
    lead_story = page.split('class="lead-story"')[1].split("</article>")[0]
    assert newest_featured.headline in lead_story
    for section in {article.section for article in articles}:
        assert f'id="section-{section.slug}"' in page
    assert "Latest" in page
    assert "Most discussed" in page


# Queries per page with every cache empty: exact, and the same whether the page lists 4 items
# or 40. With warm caches the pages run none at all (tests/test_caching.py).
QUERY_BUDGETS = {
    "home": 7,
    "section": 5,
    "article": 6,
    "author": 5,
    "topic": 5,
    "search": 4,
    "feed": 2,
    "section feed": 3,
    "sitemap": 6,
    "sitemap of articles": 3,
}


@pytest.mark.parametrize("page", QUERY_BUDGETS)
def test_each_page_runs_a_fixed_number_of_queries(
    page, client, make_newsroom, django_assert_num_queries
):
    article = make_newsroom(sections=2, articles_per_section=3)[0]
    url = reader_urls(article)[page]
    with django_assert_num_queries(QUERY_BUDGETS[page]):
        client.get(url)
    make_newsroom(sections=3, articles_per_section=12, comments_per_article=4)
    cache.clear()
    with django_assert_num_queries(QUERY_BUDGETS[page]):
        assert client.get(url).status_code == 200


def test_an_article_page_shows_the_story_its_topics_and_comments(client, make_newsroom):
    article = make_newsroom()[0]
    article.body = "First paragraph.\n\n## A subheading\n\n> A quote."
    article.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'<h1 class="article__headline">{article.headline}</h1>' in page
    assert "<h2>A subheading</h2>" in page
    assert "<blockquote>" in page
    for topic in article.topics.all():
        assert topic.name in page
    for comment in article.comments.all():
        assert comment.body in page


def test_markdown_cannot_smuggle_script_into_a_page(client, db):
    article = ArticleFactory(
        body='Hello <script>alert("x")</script> [link](javascript:alert(1)) '
        '<img src=x onerror="alert(1)">'
    )
    page = client.get(article.get_absolute_url()).content.decode()
    body = page.split('class="article__body"')[1].split("</div>")[0]
    assert "<script" not in body
    assert "javascript:" not in body
    assert "onerror" not in body
    assert "Hello" in body


@pytest.mark.parametrize(
    "wrong_part",
    ["section", "year", "month", "day", "slug"],
)
def test_an_article_url_with_any_wrong_part_is_not_found(client, db, wrong_part):
    article = ArticleFactory()
    other_section = SectionFactory()
    published = article.published_at
    parts = {
        "section": article.section.slug,
        "year": published.year,
        "month": published.month,
        "day": published.day,
        "slug": article.slug,
    }
    parts[wrong_part] = {
        "section": other_section.slug,
        "year": published.year - 1,
        "month": published.month % 12 + 1,
        "day": published.day % 28 + 1,
        "slug": "no-such-story",
    }[wrong_part]
    url = reverse("articles:article", kwargs=parts)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-section/",
        "/authors/nobody/",
        "/topics/nothing/",
        "/no-such-section/feed/",
        "/world/2026/13/45/x/",
        "/world/26/1/1/x/",
        "/sitemap-nothing.xml",
    ],
)
def test_unknown_addresses_get_the_friendly_not_found_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999999", "1.5", ""])
def test_odd_page_numbers_get_a_page_or_not_found_never_an_error(client, make_newsroom, page):
    section = make_newsroom()[0].section
    response = client.get(f"{section.get_absolute_url()}?page={page}", follow=True)
    assert response.status_code in (200, 404)
    if page == "":
        assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "naïve café ☕ 東京 \u202e reversed",
        "null\x00byte",
        "'; DROP TABLE articles_article; --",
        '"unbalanced quote OR -',
        "!!! & | :* ()",
    ],
)
def test_any_search_query_gets_a_normal_page(client, make_newsroom, query):
    make_newsroom()
    response = client.get("/search/", {"q": query}, follow=True)
    assert response.status_code == 200
    assert "<h1>Search</h1>" in response.content.decode()


def test_a_too_long_search_query_explains_the_limit(client, db):
    response = client.get("/search/", {"q": "x" * 10_000})
    assert "at most 200 characters" in response.content.decode()


def test_search_finds_articles_by_their_words(client, db):
    wanted = ArticleFactory(headline="Volcano erupts near the capital")
    ArticleFactory(headline="Parliament debates the budget")
    page = client.get("/search/", {"q": "volcano"}).content.decode()
    assert wanted.headline in page
    assert "Parliament debates" not in page
    assert "1 result for" in page


def test_robots_txt_points_to_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain"
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /accounts/" in response.content.decode()


def test_the_sitemap_index_dates_articles_by_their_latest_live_edit(client):
    """The index's lastmod for articles is the newest edit of a live article; drafts don't count."""
    older, newer = ArticleFactory.create_batch(2)
    draft = ArticleFactory(draft=True)
    for article, edited in ((older, "2026-03-01"), (newer, "2026-05-02"), (draft, "2026-09-09")):
        Article.objects.filter(pk=article.pk).update(updated_at=f"{edited}T12:00:00Z")
    index = client.get(reverse("sitemap")).content.decode()
    assert "<lastmod>2026-05-02T" in index
    assert "2026-09-09" not in index


def test_lists_page_through_the_newest_fifty_pages_only(client, db, settings):
    settings.ARTICLES_PER_PAGE = 2
    section = SectionFactory()
    ArticleFactory.create_batch(101, section=section, headline="Deep archive story")
    front = section.get_absolute_url()
    assert client.get(front, {"page": 50}).status_code == 200
    assert client.get(front, {"page": 51}).status_code == 404
    results = client.get("/search/", {"q": "archive"}).content.decode()
    assert "More than 100 results" in results
