"""The edge: tell the caches in front of Django what they may keep, and for how long.

One middleware decides for every response, so views never write caching headers by hand:

- shared (the same for every visitor): `Cache-Control: public, max-age=0, s-maxage=N`. The
  edge keeps it for N seconds or until a ban; browsers revalidate, since no ban reaches them.
  `Surrogate-Key` lists the tags the response was built from, for bans by tag.
- private (it read a signed-in reader's session, sets a cookie, answers a POST, is an
  error, or was built from data an edit changed meanwhile): `Cache-Control: private, no-store`.
- a signed-in reader's own fragment: private too, for every cache but the edge, which may keep
  it for the reader's session alone (`Surrogate-Control: max-age=N`, with the reader's tag in
  `Surrogate-Key`); the browser may not, so that whoever uses the browser after the reader has
  signed out cannot bring it back from the browser's cache.

A view that says otherwise itself (never_cache, cache_control) is left alone, except with
DEBUG on: then every response is private, since debug pages (a technical 404 or 500, a page
with the debug toolbar in it) show settings, queries and code to whoever receives them.

After every commit that invalidates tags, purging.py bans them on each edge, a reader's tag
(`reader:7`) included: the edge holds that reader's fragments under it.
"""

from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.cache import has_vary_header

from newsite.cache import includes, tags

CACHEABLE_STATUSES = {200, 301, 404}

# How long the edge keeps a reader's own fragment for their session. Bans keep it right; the TTL
# only bounds what sessions nobody uses any more hold (the edge stores these apart from pages).
READER_EDGE_TTL = 300

# Prefixes of the tags that only private responses are built from (see never_shared).
_private_tag_prefixes = set()


def never_shared(tag_prefix):
    """Declare that tags starting with `tag_prefix` name one reader's own data.

    A response built from such a tag is private, whatever else it does: at most the edge keeps
    it, for the session that asked (see kept_for_the_session).
    """
    _private_tag_prefixes.add(tag_prefix)


def is_private_tag(tag):
    return tag.startswith(tuple(_private_tag_prefixes))


def is_shared(request, response):
    """True if this response is what any other visitor would get for the same URL."""
    if request.method not in ("GET", "HEAD") or response.status_code not in CACHEABLE_STATUSES:
        return False
    if response.cookies or has_vary_header(response, "*"):
        return False
    collected = getattr(request, "cache_tags", None)
    if collected is not None and any(is_private_tag(tag) for tag in collected.tags):
        return False
    # Reading the session adds "Vary: Cookie". Without a session cookie, the response is the
    # anonymous variant, the same for every visitor who has none; with one, it is somebody's.
    reads_session = has_vary_header(response, "Cookie")
    return not (reads_session and settings.SESSION_COOKIE_NAME in request.COOKIES)


def shared_max_age(collected):
    """The edge TTL, cut short by a scheduled publication that would change the page."""
    max_age = settings.NEWSITE_EDGE_TTL
    if collected is not None and collected.expires_at is not None:
        until_expiry = (collected.expires_at - timezone.now()).total_seconds()
        max_age = min(max_age, max(int(until_expiry), 0))
    return max_age


def built_during_an_edit(request, response):
    """True if an edit committed while this response was built from the rows it changed.

    The edit's ban may already have reached the edge, which would then keep this old copy
    (bans only touch objects already stored). Such a response goes to the visitor who asked,
    who asked before the edit, and is kept nowhere. Only behind an edge that we ban, and not
    for a page the page cache has just checked against the same generations.
    """
    collected = getattr(request, "cache_tags", None)
    return (
        bool(settings.VARNISH_NODES)
        and collected is not None
        and not getattr(response, "from_page_cache", False)
        and tags.changed_since_read(collected)
    )


def showed_messages(request):
    """True if the response shows flash messages: they are shown once, so it is kept nowhere."""
    return getattr(get_messages(request), "used", False)


def kept_for_the_session(request, response):
    """True if the edge may keep this reader's own fragment for the session that asked.

    Only a signed-in reader's (built from their own data, a tag declared never_shared, which is
    banned when that data changes); only a plain 200 that sets no cookie; never one that showed
    flash messages (the next one is kept instead), nor one built during an edit of what it shows.
    """
    collected = getattr(request, "cache_tags", None)
    return (
        includes.is_readers_own(request)
        and request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.cookies
        and collected is not None
        and any(is_private_tag(tag) for tag in collected.tags)
        and not showed_messages(request)
        and not built_during_an_edit(request, response)
    )


class EdgeHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG:
            response["Cache-Control"] = "private, no-store"
        elif "Cache-Control" not in response:
            collected = getattr(request, "cache_tags", None)
            if is_shared(request, response) and not built_during_an_edit(request, response):
                response["Cache-Control"] = (
                    f"public, max-age=0, s-maxage={shared_max_age(collected)}"
                )
                if collected is not None and collected.tags:
                    response["Surrogate-Key"] = " ".join(collected.tags)
            else:
                response["Cache-Control"] = "private, no-store"
                if kept_for_the_session(request, response):
                    response["Surrogate-Control"] = f"max-age={READER_EDGE_TTL}"
                    response["Surrogate-Key"] = " ".join(collected.tags)
        if (
            includes.mode(request) == includes.ESI
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(includes.FRAGMENTS)  # none includes another
        ):
            # Ask the edge to process the <esi:include> tags of this page.
            response["Surrogate-Control"] = 'content="ESI/1.0"'
        return response
