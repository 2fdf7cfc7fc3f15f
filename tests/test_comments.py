"""Comments: signed-in readers post them, staff hide them, nobody floods or injects them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Comment
from tests import services
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def post_comment(client, article, body):
    return client.post(reverse("articles:post-comment", args=[article.pk]), {"body": body})


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_reader_posts_a_comment_and_sees_it_on_the_article(alice_client):
    article = ArticleFactory()
    response = post_comment(alice_client, article, "Well reported.")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    page = alice_client.get(article.get_absolute_url()).content.decode()
    assert "Well reported." in page
    assert "<strong>alice</strong>" in page
    messages = alice_client.get("/_fragments/personal-bar/").content.decode()
    assert "your comment is published" in messages


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_posted(client):
    article = ArticleFactory()
    response = post_comment(client, article, "Hello")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_comments_are_html_escaped(alice_client):
    article = ArticleFactory()
    post_comment(alice_client, article, '<script>alert("x")</script><b>bold</b>')
    page = alice_client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_comment_is_refused_with_the_reason(alice_client, body):
    article = ArticleFactory()
    response = post_comment(alice_client, article, body)
    assert response.status_code == 400
    assert "Your comment was not posted" in response.content.decode()
    assert "errorlist" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_reader_who_comments_too_fast_is_slowed_down(alice_client, settings):
    settings.COMMENT_RATE_LIMIT = 3
    article = ArticleFactory()
    statuses = [post_comment(alice_client, article, f"Comment {n}").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert Comment.objects.count() == 3
    assert "faster than we allow" in post_comment(alice_client, article, "again").content.decode()


def test_the_rate_limit_is_per_reader(alice_client, bob, settings):
    settings.COMMENT_RATE_LIMIT = 1
    article = ArticleFactory()
    assert post_comment(alice_client, article, "alice").status_code == 302
    bob_client = Client()
    bob_client.force_login(bob)
    assert post_comment(bob_client, article, "bob").status_code == 302


def test_comments_on_unpublished_articles_are_refused(alice_client):
    draft = ArticleFactory(draft=True)
    assert post_comment(alice_client, draft, "Early!").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_hidden_comment_disappears_from_the_article(client):
    comment = CommentFactory(body="Something rude")
    url = comment.article.get_absolute_url()
    assert "Something rude" in client.get(url).content.decode()
    comment.is_hidden = True
    comment.save()
    assert "Something rude" not in client.get(url).content.decode()


def test_staff_hide_comments_from_the_admin_list(admin_client):
    shown, hidden = CommentFactory.create_batch(2)
    response = admin_client.post(
        reverse("admin:articles_comment_changelist"),
        {"action": "hide_comments", "_selected_action": [hidden.pk]},
    )
    assert response.status_code == 302
    hidden.refresh_from_db()
    shown.refresh_from_db()
    assert hidden.is_hidden
    assert not shown.is_hidden


def test_a_forged_comment_without_a_csrf_token_gets_the_friendly_403_page(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = post_comment(browser, ArticleFactory(), "Forged")
    assert response.status_code == 403
    assert "Please try that again" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_holds_while_redis_is_down(alice_client, settings):
    """Counted from the comments in PostgreSQL, not in the cache that is gone."""
    settings.COMMENT_RATE_LIMIT = 2
    article = ArticleFactory()
    services.stop_redis()
    try:
        statuses = [
            post_comment(alice_client, article, f"Comment {n}").status_code for n in range(4)
        ]
    finally:
        services.start_redis()
    assert statuses == [302, 302, 429, 429]
    assert Comment.objects.count() == 2


def test_the_allowance_comes_back_as_comments_age(alice_client, settings):
    settings.COMMENT_RATE_LIMIT = 1
    article = ArticleFactory()
    assert post_comment(alice_client, article, "First").status_code == 302
    refused = post_comment(alice_client, article, "Second")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == settings.COMMENT_RATE_WINDOW
    Comment.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.COMMENT_RATE_WINDOW)
    )
    assert post_comment(alice_client, article, "Second").status_code == 302
