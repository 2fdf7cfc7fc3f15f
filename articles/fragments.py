"""The articles' fragments: pieces of a page that are the same for everybody who shares the page.

Each is rendered into the page that includes it (`{% include_fragment %}`), and can also be
fetched at its own URL under /_fragments/shared/ (newsite/fragments.py lists them). The most-read
rail is one because it changes every minute, not after every edit; the comment form because it
differs only by whether the visitor has a session, never by who the visitor is.
"""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from articles import queries
from articles.forms import CommentForm
from newsite.cache import tags
from newsite.cache.includes import has_session

MOST_READ_FRESH_FOR = timedelta(seconds=60)


@require_safe
def most_read(request):
    """The "most read" rail: fresh for a minute rather than after every read."""
    tags.register({}, expires_at=timezone.now() + MOST_READ_FRESH_FOR)
    return render(request, "fragments/most_read.html", {"articles": queries.most_read()})


@require_safe
def comment_form(request, article_id):
    """The same for every reader with a session: it names nobody, and commenting itself checks
    that the reader is signed in."""
    next_url = request.GET.get("next", "")
    context = {
        "signed_in": has_session(request),
        "article_id": article_id,
        "form": CommentForm(),
        "next": next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "/",
    }
    return render(request, "fragments/comment_form.html", context)
