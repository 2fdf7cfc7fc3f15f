"""Per-reader fragments: the only places that say who is reading.

Shared pages include these by URL (`{% include_fragment %}`: ESI at the edge, AJAX without one),
so one cached page serves every reader while each reader still sees their own name, saved
articles, comment form and messages. A fragment never sets a cookie: forms take their CSRF
token from the csrftoken cookie in JavaScript (static/js/site.js).
"""

from django.contrib.messages import get_messages
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from accounts.models import SavedArticle
from articles.forms import CommentForm


def _next_url(request):
    """The page the fragment sits on, for "sign in and come back" links."""
    next_url = request.GET.get("next", "")
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "/"


@require_safe
def personal_bar(request):
    context = {"next": _next_url(request)}
    if request.user.is_authenticated:
        context["saved_count"] = SavedArticle.objects.filter(user=request.user).count()
    return render(request, "fragments/personal_bar.html", context)


@require_safe
def flash_messages(request):
    return render(request, "fragments/messages.html", {"messages": get_messages(request)})


@require_safe
def save_button(request, article_id):
    is_saved = (
        request.user.is_authenticated
        and SavedArticle.objects.filter(user=request.user, article_id=article_id).exists()
    )
    return render(
        request,
        "fragments/save_button.html",
        {"article_id": article_id, "is_saved": is_saved, "next": _next_url(request)},
    )


@require_safe
def comment_form(request, article_id):
    return render(
        request,
        "fragments/comment_form.html",
        {"article_id": article_id, "form": CommentForm(), "next": _next_url(request)},
    )
