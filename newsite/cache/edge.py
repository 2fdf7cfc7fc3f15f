"""Edge headers: tell the caches in front of Django what they may keep, and for how long.

One middleware decides for every response, so views never write caching headers by hand:

- shared (the same for every visitor): `Cache-Control: public, max-age=0, s-maxage=N`. The
  edge keeps it for N seconds or until a ban; browsers revalidate, since no ban reaches them.
  `Surrogate-Key` lists the tags the response was built from, for bans by tag.
- private (it read a signed-in reader's session, sets a cookie, answers a POST, or is an
  error): `Cache-Control: private, no-store`.

A view that says otherwise itself (never_cache, cache_control) is left alone.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.cache import has_vary_header

from newsite.cache import includes

CACHEABLE_STATUSES = {200, 301, 404}


def is_shared(request, response):
    """True if this response is what any other visitor would get for the same URL."""
    if request.method not in ("GET", "HEAD") or response.status_code not in CACHEABLE_STATUSES:
        return False
    if response.cookies or has_vary_header(response, "*"):
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


class EdgeHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            collected = getattr(request, "cache_tags", None)
            if is_shared(request, response):
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
