"""Page cache: whole shared pages kept inside Django, for when the edge misses.

Another edge node, a restarted Varnish, or no Varnish at all: the page still comes back in a
couple of milliseconds, before sessions, CSRF or the view are touched. A stored page is served
while the tags it was built from keep their generations, exactly like a fragment. Only shared
responses are stored: never one that is private, sets a cookie, or varies by visitor.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import has_vary_header

from newsite.cache import edge, includes, layers, tags, timing
from newsite.cache.queries import cache_key, jittered


@dataclass
class CachedPage:
    content: bytes
    status: int
    headers: list
    built_from: tags.Collected

    def response(self):
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        response.from_page_cache = True
        return response


def is_storable(request, response):
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        # A view that set its own Cache-Control (never_cache, cache_control) decides alone.
        and "Cache-Control" not in response
        and edge.is_shared(request, response)
        # An anonymous variant (the response read the session) must not reach a signed-in
        # reader; the edge, which hashes by cookie, may keep it, but this cache does not.
        and not has_vary_header(response, "Cookie")
    )


class PageCacheMiddleware:
    """Answer GET and HEAD from the page cache; store what can be shared.

    It sits before the session, CSRF and authentication middleware: a hit skips them all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not layers.enabled(layers.PAGE)
            or request.method not in ("GET", "HEAD")
            or includes.is_readers_own(request)  # would always miss: save the round trip
        ):
            return self.get_response(request)
        url = request.build_absolute_uri()
        key = f"{includes.mode(request)}:{url}"
        entry_key = cache_key("page", key)
        entry = cache.get(entry_key)
        if entry is not None and tags.is_current(entry.built_from):
            timing.record_lookup("page", url, "hit")
            tags.register(entry.built_from.generations, entry.built_from.expires_at)
            return entry.response()
        timing.record_lookup("page", url, "miss")
        response = self.get_response(request)
        if is_storable(request, response) and request.cache_tags.is_complete:
            page = CachedPage(
                response.content, response.status_code, list(response.items()), request.cache_tags
            )
            cache.set(entry_key, page, jittered(settings.NEWSITE_PAGE_TTL))
        return response
