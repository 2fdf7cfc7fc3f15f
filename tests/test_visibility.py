"""Drafts and scheduled articles are invisible to readers everywhere, until their time comes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ArticleFactory, SavedArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_articles(db):
    topic = TopicFactory(slug="secrets")
    live = ArticleFactory(headline="Live story about secrets", topics=[topic], is_featured=True)
    draft = ArticleFactory(
        headline="Draft story about secrets",
        draft=True,
        section=live.section,
        author=live.author,
        topics=[topic],
        is_featured=True,
    )
    scheduled = ArticleFactory(
        headline="Scheduled story about secrets",
        scheduled=True,
        section=live.section,
        author=live.author,
        topics=[topic],
        is_featured=True,
    )
    return live, draft, scheduled


def every_listing(live):
    return [
        reverse("articles:home"),
        live.section.get_absolute_url(),
        live.author.get_absolute_url(),
        reverse("articles:topic", args=["secrets"]),
        reverse("articles:search") + "?q=secrets",
        reverse("articles:feed-latest"),
        reverse("articles:feed-latest-atom"),
        reverse("articles:feed-section", args=[live.section.slug]),
        reverse("sitemap-section", args=["articles"]),
        live.get_absolute_url(),  # "More in this section"
    ]


def test_drafts_and_scheduled_articles_are_in_no_listing(client, hidden_articles):
    live, draft, scheduled = hidden_articles
    for url in every_listing(live):
        page = client.get(url).content.decode()
        assert draft.headline not in page, url
        assert scheduled.headline not in page, url
        assert draft.slug not in page, url
        assert scheduled.slug not in page, url
    assert live.headline in client.get(reverse("articles:home")).content.decode()


def test_drafts_and_scheduled_articles_are_not_found_at_their_address(client, hidden_articles):
    _, draft, scheduled = hidden_articles
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_article_appears_once_its_time_has_come(client, hidden_articles):
    live, _, scheduled = hidden_articles
    scheduled.published_at = timezone.now() - timedelta(seconds=1)
    scheduled.save()
    assert client.get(scheduled.get_absolute_url()).status_code == 200
    assert scheduled.headline in client.get(live.section.get_absolute_url()).content.decode()


def test_an_unpublished_article_leaves_the_readers_saved_list(alice_client, alice):
    saved = SavedArticleFactory(user=alice)
    assert saved.article.headline in alice_client.get("/accounts/profile/").content.decode()
    saved.article.status = saved.article.Status.DRAFT
    saved.article.save()
    assert saved.article.headline not in alice_client.get("/accounts/profile/").content.decode()
