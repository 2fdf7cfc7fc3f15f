"""Reader pages: home, section fronts, articles, authors, topics and search.

Every page here is shared: it never reads `request.user` or the session, and renders the same
bytes for every anonymous visitor and for every reader with a session. What is personal (the
reader's name, their saved articles, the save button) is a fragment included by URL
(`{% include_fragment %}`).

Views hand templates the queries themselves, not their results: a template calls a query
where it shows it, inside the fragment that caches it (newsite/cache/fragments.py), so a
fragment served from the cache never runs its queries and a warm page runs none at all.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from articles import queries
from articles.forms import CommentForm, SearchForm
from articles.models import Article
from newsite.cache import tags
from newsite.cache.backend import CacheUnavailable


@require_safe
def home(request):
    return render(
        request,
        "articles/home.html",
        {
            "lead": queries.lead_story,
            "top_stories": queries.top_stories_by_section,
            "latest": queries.latest_headlines,
            "most_commented": queries.most_commented,
        },
    )


def _found(value):
    if value is None:
        raise Http404("No such page.")
    return value


@require_safe
def section(request, section):
    section = _found(queries.section_by_slug(section))
    page = queries.section_page(request, section)
    return render(request, "articles/section.html", {"section": section, "page": page})


@require_safe
def article(request, section, year, month, day, slug):
    article = queries.article_by_slug(slug)
    if article is None or article.section.slug != section:
        raise Http404("No such article.")
    published = timezone.localtime(article.published_at).date()
    if (published.year, published.month, published.day) != (year, month, day):
        raise Http404("No such article.")
    return render(
        request,
        "articles/article.html",
        {
            "article": partial(queries.article_by_slug, slug),
            "comments": partial(queries.visible_comments, article),
            "more_in_section": partial(queries.more_in_section, article),
        },
    )


@require_safe
def author(request, slug):
    author = _found(queries.author_by_slug(slug))
    page = queries.author_page(request, author)
    return render(request, "articles/author.html", {"author": author, "page": page})


@require_safe
def topic(request, slug):
    topic = _found(queries.topic_by_slug(slug))
    page = queries.topic_page(request, topic)
    return render(request, "articles/topic.html", {"topic": topic, "page": page})


@require_safe
def search(request):
    form = SearchForm(request.GET)
    context = {"form": form, "page": None}
    if form.is_valid() and form.cleaned_data["q"]:
        context["page"] = queries.search_page(request, form.cleaned_data["q"])
    return render(request, "articles/search.html", context)


MOST_READ_FRESH_FOR = timedelta(seconds=60)


@require_safe
def most_read(request):
    """The "most read" rail: a shared fragment, fresh for a minute rather than after every read."""
    tags.register({}, expires_at=timezone.now() + MOST_READ_FRESH_FOR)
    return render(request, "fragments/most_read.html", {"articles": queries.most_read()})


# A beacon that pages send after loading (static/js/site.js), so reads are counted even when
# the page came from a cache. No session, no CSRF token: counting a read changes no content.
@csrf_exempt
@require_POST
def count_read(request, article_id):
    queries.reads.increment(article_id)
    return HttpResponse(status=204)


def comment_rate_exceeded(user):
    """Count this comment against the reader's allowance; True once it is used up.

    With the cache down the allowance cannot be counted, and comments are let through.
    """
    key = f"comment-rate:{user.pk}"
    cache.add(key, 0, timeout=settings.COMMENT_RATE_WINDOW)
    try:
        posted = cache.incr(key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(key, 1, timeout=settings.COMMENT_RATE_WINDOW)
        posted = 1
    except CacheUnavailable:
        return False
    return posted > settings.COMMENT_RATE_LIMIT


@require_POST
@login_required
def post_comment(request, article_id):
    article = get_object_or_404(Article.objects.published(), pk=article_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "articles/comment_rejected.html",
            {"article": article, "form": form},
            status=400,
        )
    if comment_rate_exceeded(request.user):
        form.add_error(None, "You are commenting faster than we allow. Please try again later.")
        return render(
            request,
            "articles/comment_rejected.html",
            {"article": article, "form": form},
            status=429,
        )
    comment = form.save(commit=False)
    comment.article = article
    comment.user = request.user
    comment.save()
    messages.success(request, "Thank you: your comment is published.")
    return redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")
