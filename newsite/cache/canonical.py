"""Canonical URLs: a shared page is cached once, under the query parameters it reads.

Every shared page declares below which query parameters it reads, and what each one's
canonical form is. A request with anything else in its query string, or with a parameter spelt
another way (?page=02, ?page=+2, ?q=Brexit%20%20Vote, reordered), is redirected to the one
canonical URL before any cache is consulted; a value that names nothing (?page=abc, ?page=0)
gets the friendly 404. So the edge, the page cache and the query cache each keep one copy of a
page, and nobody can make us render it twice by adding ?x=1. The edge drops the parameters a
page does not read before its own lookup (deploy/varnish/newsite.vcl), so that a flood of made-up
URLs never even reaches Django; tests/test_vcl.py checks that the two lists agree.
"""

import re
from urllib.parse import urlencode

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.utils.encoding import escape_uri_path


class NoSuchPage(Http404):
    pass


def page_number(value):
    """?page=N (and the sitemap's ?p=N): a positive whole number; page 1 is the URL without it.

    Six digits at most: no list, and no sitemap, has a million pages.
    """
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"\+?[0-9]{1,6}", value) or int(value) < 1:
        raise NoSuchPage("No such page.")
    return None if int(value) == 1 else str(int(value))


def words(value):
    """Search terms: trimmed, one space between words, case-folded ("Brexit  VOTE" and
    "brexit vote" are one search); None when nothing is left. The form bounds the length."""
    return " ".join(value.split()).casefold() or None


def as_given(value):
    return value or None


# The query parameters each shared page reads, by URL name, with their canonical form. A page
# not listed here is not canonicalised: it is private (the edge passes it), or answers POST only.
SHARED_PAGES = {
    "articles:home": {},
    "articles:article": {},
    "articles:section": {"page": page_number},
    "articles:author": {"page": page_number},
    "articles:topic": {"page": page_number},
    "articles:search": {"page": page_number, "q": words},
    "articles:feed-latest": {},
    "articles:feed-latest-atom": {},
    "articles:feed-section": {},
    "sitemap": {},
    # The sitemap framework's own pages: ?p=2 and on.
    "sitemap-section": {"p": page_number},
    "robots-txt": {},
    # Fragments (newsite/fragments.py): `next` is the page they sit on, for "sign in and come
    # back" links.
    "fragments:most-read": {},
    "fragments:personal-bar": {"next": as_given},
    "fragments:save-button": {"next": as_given},
    "fragments:comment-form": {"next": as_given},
}


def parameters_read(url_name):
    """The names of the query parameters the page called `url_name` reads."""
    return tuple(SHARED_PAGES.get(url_name, ()))


def query_string(pairs):
    """The canonical query string of (name, value) pairs: encoded as a browser encodes a form
    (urlencode), sorted as the edge sorts (std.querysort: byte order of the encoded
    "name=value"), without empty values."""
    return "&".join(sorted(urlencode({name: value}) for name, value in pairs if value))


def canonical_query_string(request, forms):
    """This request's query string in canonical form; raises NoSuchPage for a bad value."""
    pairs = []
    for name, canonical in forms.items():
        values = request.GET.getlist(name)
        if values:
            # The last one, as request.GET.get() (and so the view) reads it.
            pairs.append((name, canonical(values[-1])))
    return query_string(pairs)


def url_with_query(path, query):
    return f"{escape_uri_path(path)}?{query}" if query else escape_uri_path(path)


class CanonicalQueryMiddleware:
    """Redirect a shared page's non-canonical URL to the canonical one, before any cache.

    It sits before the page cache (which then only ever sees canonical URLs, so it keys pages
    on them), and inside the edge headers (so the redirect itself may be shared).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            try:
                url_name = resolve(request.path_info).view_name
            except Resolver404:
                url_name = None
            forms = SHARED_PAGES.get(url_name)
            if forms is not None:
                query = canonical_query_string(request, forms)
                if query != request.META.get("QUERY_STRING", ""):
                    return HttpResponsePermanentRedirect(url_with_query(request.path, query))
        return self.get_response(request)
