"""Site-wide endpoints that belong to no app: health checks, the CSRF cookie, robots.txt."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from newsite.site import absolute_url

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def alive(request):
    """Liveness: the process answers. No I/O, so a slow database never restarts the workers."""
    return HttpResponse("alive\n", content_type="text/plain")


def _database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _cache_answers():
    cache.set("health-check", "ok", timeout=10)
    return cache.get("health-check") == "ok"


@never_cache
@require_safe
def health(request):
    """Readiness: the database and the cache both answer; 503 names the part that does not."""
    checks = {"database": _database_answers, "cache": _cache_answers}
    results = {}
    for part, check in checks.items():
        try:
            results[part] = "ok" if check() else "failing"
        except Exception:
            logger.exception("Health check: the %s is failing", part)
            results[part] = "failing"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **results}, status=200 if healthy else 503
    )


@never_cache
@ensure_csrf_cookie
@require_safe
def csrf_cookie(request):
    """Set the CSRF cookie. Cached pages carry no token; their script asks here for one."""
    return HttpResponse(status=204)


@require_safe
def robots_txt(request):
    sitemap = absolute_url(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /_fragments/",
        "Disallow: /search/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
