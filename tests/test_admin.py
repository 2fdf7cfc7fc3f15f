"""The newsroom (Django admin): lists without N+1 queries, and guard rails for editors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Section
from tests.factories import ArticleFactory, CommentFactory, SavedArticleFactory

pytestmark = pytest.mark.django_db

CHANGE_LISTS = [
    "admin:articles_article_changelist",
    "admin:articles_comment_changelist",
    "admin:articles_section_changelist",
    "admin:articles_author_changelist",
    "admin:articles_topic_changelist",
    "admin:accounts_savedarticle_changelist",
]


def add_content(count):
    for _ in range(count):
        SavedArticleFactory(article=CommentFactory().article)


@pytest.mark.parametrize("change_list", CHANGE_LISTS)
def test_a_change_list_costs_the_same_queries_for_2_rows_as_for_20(
    change_list, admin_client, django_assert_num_queries
):
    url = reverse(change_list)
    add_content(2)
    with CaptureQueriesContext(connection) as with_two_rows:
        assert admin_client.get(url).status_code == 200
    add_content(18)
    with django_assert_num_queries(len(with_two_rows.captured_queries)):
        assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("slug", ["search", "accounts", "admin", "authors", "topics", "static"])
def test_a_section_slug_that_would_shadow_a_page_is_refused(admin_client, slug):
    response = admin_client.post(
        reverse("admin:articles_section_add"), {"name": "Shadow", "slug": slug, "position": 1}
    )
    assert response.status_code == 200
    assert f"“{slug}” is already a page of the site" in response.content.decode()
    assert not Section.objects.filter(slug=slug).exists()


def test_an_ordinary_section_slug_is_accepted(admin_client):
    admin_client.post(
        reverse("admin:articles_section_add"), {"name": "Weather", "slug": "weather", "position": 1}
    )
    assert Section.objects.filter(slug="weather").exists()


def test_editors_filter_articles_by_draft_scheduled_or_live(admin_client):
    live = ArticleFactory(headline="Live one")
    draft = ArticleFactory(headline="Draft one", draft=True)
    scheduled = ArticleFactory(headline="Scheduled one", scheduled=True)
    url = reverse("admin:articles_article_changelist")
    for state, shown in [("live", live), ("draft", draft), ("scheduled", scheduled)]:
        page = admin_client.get(url, {"state": state}).content.decode()
        assert shown.headline in page
        others = {live, draft, scheduled} - {shown}
        assert not any(other.headline in page for other in others)


def test_authors_and_topics_are_picked_by_autocomplete(admin_client):
    article = ArticleFactory()
    page = admin_client.get(
        reverse("admin:articles_article_change", args=[article.pk])
    ).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in page
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": article.author.name[:3],
            "app_label": "articles",
            "model_name": "article",
            "field_name": "author",
        },
    )
    assert article.author.name in response.content.decode()


def test_slugs_are_typed_from_the_name_or_headline(admin_client):
    for add_page, source in [
        ("admin:articles_section_add", "#id_name"),
        ("admin:articles_article_add", "#id_headline"),
    ]:
        page = admin_client.get(reverse(add_page)).content.decode()
        prepopulated = page.split('id="django-admin-prepopulated-fields-constants"')[1]
        assert "&quot;#id_slug&quot;" in prepopulated.split(">")[0]
        assert f"&quot;{source}&quot;" in prepopulated.split(">")[0]
