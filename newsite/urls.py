"""The site's URLs.

Section fronts live at the top level (/world/), so every other top-level path is reserved:
`reserved_top_level_slugs()` reads them from this URLconf, and a section may not take one.
"""

from functools import cache

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import URLResolver, get_resolver, include, path

from articles.sitemaps import sitemap_index, sitemaps
from newsite import fragments, views
from newsite.cache.includes import FRAGMENTS

# A database that does not answer gets a 503 with Retry-After, not the 500 page of a bug.
handler500 = views.server_error

urlpatterns = [
    path("-/alive/", views.alive, name="alive"),
    path("-/health/", views.health, name="health"),
    path("-/csrf/", views.csrf_cookie, name="csrf-cookie"),
    path("-/fragments/", fragments.batch, name="fragments-batch"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path(FRAGMENTS.lstrip("/"), include((fragments.routes(), "fragments"))),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
]

if settings.DEBUG_TOOLBAR:
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))

# Last: /<section>/ matches any slug, so it must come after every fixed path.
urlpatterns.append(path("", include("articles.urls")))


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
