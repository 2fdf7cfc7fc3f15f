"""Fragment includes: keep shared pages the same for everyone who shares them.

    {% load fragment_includes %}
    {% include_fragment "fragments:personal-bar" %}

puts a fragment (newsite/fragments.py lists them) into a page by URL instead of rendering it from
the page's own data, so that the page never reads the session. A shared fragment (a rail that
changes every minute, the comment form) is rendered into the page. A reader's own fragment (their
name and saved count, a save button) is included one of three ways:

- inline, for anonymous visitors (no session cookie, or the edge says so with
  `X-Reader: anonymous`): their fragments are the same for all of them, so they are rendered
  into the page, which then has nothing left to assemble — assembling ESI costs an edge about
  nine times a plain hit, and most visitors are anonymous;
- ESI, for readers with a session, behind an edge that advertises it
  (`Surrogate-Capability: …ESI/1.0`): the edge keeps each reader's copy for their session;
- AJAX otherwise: a placeholder that static/js/site.js fills, one request for all of a page's
  placeholders (newsite.fragments.batch).

So a page exists in two variants (anonymous, and everyone with a session): the edge hashes the
`X-Reader` header, and the fragment and page caches key on the mode.
"""

import copy

from django import template
from django.conf import settings
from django.http import QueryDict
from django.urls import resolve, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from newsite.cache import canonical

register = template.Library()

INLINE = "inline"
ESI = "esi"
AJAX = "ajax"

# The URL convention the edge relies on too (deploy/varnish/newsite.vcl): fragments live under
# /_fragments/; those under /_fragments/shared/ are the same for everyone in a variant, the
# others are a reader's own (newsite/fragments.py gives each its prefix).
FRAGMENTS = "/_fragments/"
SHARED_FRAGMENTS = "/_fragments/shared/"


def has_session(request):
    """True if the request carries a session cookie (or came through an edge that saw one).

    Only the cookie's presence: nothing here reads the session itself.
    """
    if request is None:
        return False
    reader = request.headers.get("X-Reader")
    if reader is not None:
        return reader == "session"
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def is_readers_own_path(path):
    return path.startswith(FRAGMENTS) and not path.startswith(SHARED_FRAGMENTS)


def is_readers_own(request):
    """A request for a reader's own fragment: no shared cache may answer it."""
    return is_readers_own_path(request.path) and has_session(request)


def mode(request):
    if not has_session(request):
        return INLINE
    capability = request.headers.get("Surrogate-Capability", "")
    return ESI if "ESI/1.0" in capability else AJAX


def render_inline(request, url):
    """The response of the fragment view at `url` (its path and query) to this request, as a
    piece of the page."""
    path, _, query = url.partition("?")
    match = resolve(path)
    fragment_request = copy.copy(request)
    fragment_request.GET = QueryDict(query)
    response = match.func(fragment_request, *match.args, **match.kwargs)
    return mark_safe(response.content.decode(response.charset))


@register.simple_tag(takes_context=True)
def include_fragment(context, url_name, *args):
    """Include the fragment view named `url_name` (with `args`)."""
    request = context["request"]
    path = reverse(url_name, args=args)
    # Where the reader is, for "sign in and come back here" links, for the fragments that
    # have such links: in canonical form, as the fragment's own URL must be.
    next_page = [("next", request.path)] if "next" in canonical.parameters_read(url_name) else []
    query = canonical.query_string(next_page)
    url = canonical.url_with_query(path, query)
    include_mode = mode(request)
    if include_mode == INLINE or not is_readers_own_path(path):
        return render_inline(request, url)
    if include_mode == ESI:
        return format_html('<esi:include src="{}"/>', url)
    css_name = url_name.rpartition(":")[2]
    return format_html(
        '<div class="fragment fragment--{}" data-fragment-url="{}"></div>', css_name, url
    )
