"""Reader pages: home, section fronts, articles, authors, topics and search.

Every page here is shared: it renders the same bytes for every visitor, so it never reads
`request.user` or the session. What is personal (the reader's name, the save button, the
comment form) is a per-reader fragment, included with `{% user_fragment %}`.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles import queries
from articles.forms import CommentForm, SearchForm
from articles.models import Article, Author, Section, Topic
from newsite.pagination import paginate


def home(request):
    lead = queries.lead_story()
    return render(
        request,
        "articles/home.html",
        {
            "lead": lead,
            "top_stories": queries.top_stories_by_section(exclude=lead),
            "latest": queries.latest_headlines(),
            "most_commented": queries.most_commented(),
        },
    )


def section(request, section):
    section = get_object_or_404(Section, slug=section)
    page = paginate(request, queries.section_articles(section))
    return render(request, "articles/section.html", {"section": section, "page": page})


def article(request, section, year, month, day, slug):
    article = queries.article_page(slug)
    if article is None or article.section.slug != section:
        raise Http404("No such article.")
    published = timezone.localtime(article.published_at).date()
    if (published.year, published.month, published.day) != (year, month, day):
        raise Http404("No such article.")
    return render(
        request,
        "articles/article.html",
        {
            "article": article,
            "comments": queries.visible_comments(article),
            "more_in_section": queries.more_in_section(article),
        },
    )


def author(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = paginate(request, queries.author_articles(author))
    return render(request, "articles/author.html", {"author": author, "page": page})


def topic(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    page = paginate(request, queries.topic_articles(topic))
    return render(request, "articles/topic.html", {"topic": topic, "page": page})


def search(request):
    form = SearchForm(request.GET)
    context = {"form": form, "page": None}
    if form.is_valid() and form.cleaned_data["q"]:
        terms = form.cleaned_data["q"]
        context["page"] = paginate(request, queries.search_articles(terms))
        context["query_prefix"] = urlencode({"q": terms})
    return render(request, "articles/search.html", context)


def comment_rate_exceeded(user):
    """Count this comment against the reader's allowance; True once it is used up."""
    key = f"comment-rate:{user.pk}"
    cache.add(key, 0, timeout=settings.COMMENT_RATE_WINDOW)
    try:
        posted = cache.incr(key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(key, 1, timeout=settings.COMMENT_RATE_WINDOW)
        posted = 1
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
