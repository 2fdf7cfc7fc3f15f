"""The top-level paths a section may not take: section fronts live at the top level (/world/),
so every other first segment of the URLconf (/search/, /admin/, /accounts/…) is reserved.

The URLconf is read when a slug is checked, through Django's resolver, never imported here:
models validate slugs, the URLconf imports the sitemaps and the sitemaps the models, so an
import from this side would run in a circle.
"""

from functools import cache

from django.conf import settings
from django.urls import URLResolver, get_resolver


def _first_segments(patterns):
    for pattern in patterns:
        route = str(pattern.pattern)
        if not route and isinstance(pattern, URLResolver):
            yield from _first_segments(pattern.url_patterns)
        elif route and not route.startswith("<"):
            yield route.split("/")[0]


@cache
def reserved_top_level_slugs():
    """The first path segment of every fixed top-level URL, such as "search" or "admin"."""
    static_prefix = settings.STATIC_URL.strip("/").split("/")[0]
    return frozenset([static_prefix, *_first_segments(get_resolver().url_patterns)])
