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
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from articles import beacon, queries
from articles.forms import CommentForm, SearchForm
from articles.models import Article, Comment
from newsite.throttling import throttle


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
@throttle("search")
def search(request):
    form = SearchForm(request.GET)
    context = {"form": form, "page": None}
    if form.is_valid() and form.cleaned_data["q"]:
        context["page"] = queries.search_page(request, form.cleaned_data["q"])
    return render(request, "articles/search.html", context)


# A beacon that pages send after loading (static/js/site.js), so reads are counted even when
# the page came from a cache. No session, no CSRF token: counting a read changes no content.
# Its URL is signed (articles/beacon.py): only articles the site has shown are counted.
@csrf_exempt
@require_POST
@throttle("read-beacon")
def count_read(request, article_id, signature):
    if not beacon.is_genuine(article_id, signature):
        raise Http404("No such article.")
    queries.reads.increment(article_id)
    return HttpResponse(status=204)


def comment_allowance_used_up(user):
    """True if the reader has posted COMMENT_RATE_LIMIT comments in the last COMMENT_RATE_WINDOW
    seconds: counted in the database, from the comments themselves, so the limit holds whatever
    the cache does, and there is no counter to lose or expire."""
    since = timezone.now() - timedelta(seconds=settings.COMMENT_RATE_WINDOW)
    recent = Comment.objects.filter(user=user, created_at__gte=since)
    return recent.count() >= settings.COMMENT_RATE_LIMIT


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
    with transaction.atomic():
        # One reader's comments are counted and saved one at a time (the reader's row is
        # locked), so that two sent at once cannot both take the last place.
        get_user_model().objects.select_for_update().only("pk").get(pk=request.user.pk)
        used_up = comment_allowance_used_up(request.user)
        if not used_up:
            comment = form.save(commit=False)
            comment.article = article
            comment.user = request.user
            comment.save()
    if used_up:
        form.add_error(None, "You are commenting faster than we allow. Please try again later.")
        context = {"article": article, "form": form}
        response = render(request, "articles/comment_rejected.html", context, status=429)
        # By then at the latest, the oldest comment of the window has left it.
        response["Retry-After"] = str(settings.COMMENT_RATE_WINDOW)
        return response
    messages.success(request, "Thank you: your comment is published.")
    return redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")
