"""A reader's own fragments: the only places that say who is reading.

Shared pages include these by URL (`{% include_fragment %}`; newsite/fragments.py lists them), so
one cached page serves every reader while each reader still sees their own name, saved articles
and messages. Anonymous visitors get them rendered into the page; readers with a session get them
by ESI from the edge, which keeps a signed-in reader's copy for their session alone
(newsite/cache/edge.py), or by AJAX without an edge. A fragment never sets a cookie: forms take
their CSRF token from the csrftoken cookie in JavaScript (static/js/site.js). They read the
reader from the cache (accounts/readers.py), which also tags them `reader:<id>`.
"""

from django.contrib.messages import get_messages
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from accounts.readers import current_reader
from newsite.cache.includes import has_session


def _next_url(request):
    """The page the fragment sits on, for "sign in and come back" links."""
    next_url = request.GET.get("next", "")
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "/"


@require_safe
def personal_bar(request):
    """The reader's name, saved count and sign-out button, and their flash messages."""
    context = {
        "reader": current_reader(request),
        "messages": get_messages(request) if has_session(request) else (),
        "next": _next_url(request),
    }
    return render(request, "fragments/personal_bar.html", context)


@require_safe
def save_button(request, article_id):
    reader = current_reader(request)
    context = {
        "reader": reader,
        "article_id": article_id,
        "is_saved": reader is not None and article_id in reader.saved_article_ids,
        "next": _next_url(request),
    }
    return render(request, "fragments/save_button.html", context)
