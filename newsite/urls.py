"""The site's URLs.

Section fronts live at the top level (/world/), so every other top-level path is reserved:
newsite/reserved_paths.py reads them from this URLconf, and a section may not take one.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

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
