"""The edge: tell the caches in front of Django what they may keep, and for how long.

One middleware decides for every response, so views never write caching headers by hand:

- shared (the same for every visitor): `Cache-Control: public, max-age=0, s-maxage=N`. The
  edge keeps it for N seconds or until a ban; browsers revalidate, since no ban reaches them.
  `Surrogate-Key` lists the tags the response was built from, for bans by tag.
- private (it read a signed-in reader's session, sets a cookie, answers a POST, is an
  error, or was built from data an edit changed meanwhile): `Cache-Control: private, no-store`.

A view that says otherwise itself (never_cache, cache_control) is left alone, except with
DEBUG on: then every response is private, since debug pages (a technical 404 or 500, a page
with the debug toolbar in it) show settings, queries and code to whoever receives them.

After every commit that invalidates tags, purging.py bans them on each edge, except the tags that
name one reader's own data (`reader:7`): declared with `never_shared()`, they make any response
built from them private, so no edge ever holds one to ban.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.cache import has_vary_header

from newsite.cache import includes, tags

CACHEABLE_STATUSES = {200, 301, 404}

# Prefixes of the tags that only private responses are built from (see never_shared).
_private_tag_prefixes = set()


def never_shared(tag_prefix):
    """Declare that tags starting with `tag_prefix` name one reader's own data.

    A response built from such a tag is private, whatever else it does; so no edge holds an
    object carrying one, and invalidating it sends no ban to the edge (each ban is work for
    every node, and a reader saving an article would otherwise cost one).
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
        if includes.mode(request) == includes.ESI and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            # Ask the edge to process the <esi:include> tags of this page.
            response["Surrogate-Control"] = 'content="ESI/1.0"'
        return response
