"""Every fragment of the site in one list: its name, its URL, and whether it is shared or a
reader's own; each app serves its own.

The routes under /_fragments/ are made from it, and the prefix each gets (/_fragments/shared/ or
not) is what the include tag (newsite/cache/includes.py) and the edge (deploy/varnish/newsite.vcl,
checked by tests/test_reader_edge.py) go by: a shared fragment is rendered into its page; a
reader's own is included by ESI and kept at the edge for the reader's session (`reader:<id>`).
Without an edge, `batch` brings all of a page's reader fragments in one request.
"""

from dataclasses import dataclass

from django.http import JsonResponse
from django.urls import Resolver404, path, resolve
from django.views.decorators.http import require_safe

from accounts import fragments as reader_fragments
from articles import fragments as article_fragments
from newsite.cache import includes


@dataclass(frozen=True)
class Fragment:
    name: str
    route: str  # under the prefix
    view: object
    per_reader: bool

    @property
    def prefix(self):
        """A reader's own fragments sit directly under /_fragments/, shared ones under
        /_fragments/shared/."""
        return includes.FRAGMENTS if self.per_reader else includes.SHARED_FRAGMENTS


FRAGMENTS = [
    Fragment("personal-bar", "personal-bar/", reader_fragments.personal_bar, per_reader=True),
    Fragment(
        "save-button",
        "save-button/<int:article_id>/",
        reader_fragments.save_button,
        per_reader=True,
    ),
    Fragment("most-read", "most-read/", article_fragments.most_read, per_reader=False),
    Fragment(
        "comment-form",
        "comment-form/<int:article_id>/",
        article_fragments.comment_form,
        per_reader=False,
    ),
]

# The most fragments one page asks for at once: a page has two.
BATCH_LIMIT = 10


def routes():
    """The URL patterns of every fragment, for `include()` under the fragment prefix."""
    return [
        path(
            fragment.prefix.removeprefix(includes.FRAGMENTS) + fragment.route,
            fragment.view,
            name=fragment.name,
        )
        for fragment in FRAGMENTS
    ]


def _readers_own(url):
    """True if `url` (a path with its query) is one of a reader's own fragments."""
    route = url.split("?", 1)[0]
    if not includes.is_readers_own_path(route):
        return False
    try:
        match = resolve(route)
    except Resolver404:
        return False
    return any(f.per_reader and match.func is f.view for f in FRAGMENTS)


@require_safe
def batch(request):
    """The reader's own fragments named by `?f=` (each a URL under /_fragments/), as JSON from
    URL to HTML: what a page needs without an edge, in one request (static/js/site.js)."""
    urls = [url for url in request.GET.getlist("f")[:BATCH_LIMIT] if _readers_own(url)]
    return JsonResponse({url: includes.render_inline(request, url) for url in urls})
