"""Switches for teaching: each cache layer can be turned off without touching code.

NEWSITE_CACHE lists the layers that are on ("query,fragment,page", the default; "off" for none).
The site is correct in every combination: a layer that is off computes what it would have cached,
but still records the tags of what it used, so the layers around it stay fresh.

"site" instead turns on Django's own per-site cache (UpdateCacheMiddleware and
FetchFromCacheMiddleware), the approach many sites use, for comparison: it is fast, but an
edit stays invisible until the cached page times out.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

QUERY = "query"
FRAGMENT = "fragment"
PAGE = "page"
ALL = (QUERY, FRAGMENT, PAGE)
DJANGO_SITE_CACHE = "site"


def parse(value):
    """The set of layers named by a NEWSITE_CACHE value; a clear error for an unknown one."""
    value = value.strip().lower()
    if value in {"", "all", "on"}:
        return frozenset(ALL)
    if value in {"off", "none"}:
        return frozenset()
    if value == DJANGO_SITE_CACHE:
        return frozenset([DJANGO_SITE_CACHE])
    layers = {name.strip() for name in value.split(",") if name.strip()}
    unknown = layers - set(ALL)
    if unknown:
        raise ImproperlyConfigured(
            f"NEWSITE_CACHE names unknown layers: {', '.join(sorted(unknown))}. "
            f"Use any of {', '.join(ALL)}, or off, or site (alone)."
        )
    return frozenset(layers)


def enabled(layer):
    return layer in settings.NEWSITE_CACHE_LAYERS
