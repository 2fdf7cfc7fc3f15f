"""Site-wide endpoints that belong to no app: health checks, the CSRF cookie, robots.txt, and
the error page for a database that does not answer."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from newsite.cache.backend import outage
from newsite.replicas import REPLICA
from newsite.site import absolute_url

logger = logging.getLogger(__name__)

# Seconds after which a reader may try again when the database is down: the same as the edge's
# own "back in a moment" page (deploy/varnish/newsite.vcl).
RETRY_AFTER_SECONDS = 30


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
    """One round trip that writes nothing (the edge probes every few seconds). The cache
    backend answers as an empty cache while Redis fails (newsite/cache/backend.py), so whether
    Redis answered is whether the backend now counts it as down."""
    cache.get("health-check")
    return not outage.is_down()


def _replica_answers():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


@never_cache
@require_safe
def health(request):
    """Readiness, which the edge probes: can this server serve pages?

    It can as long as a database that reader pages read answers: 200, "ok", or "degraded" when
    the cache is failing (pages are then built from the database, slower), or when one of the
    primary and its replica is (reader pages are read from the one that answers; with the
    primary down, writes get the 503). Without any, it cannot: 503 "failing", and the edge
    serves what it holds (grace) instead of asking. Either way the answer names what fails.
    """
    checks = {"database": _database_answers, "cache": _cache_answers}
    if REPLICA in settings.DATABASES:
        checks["replica"] = _replica_answers
    results = {}
    for part, check in checks.items():
        try:
            results[part] = "ok" if check() else "failing"
        except Exception:
            logger.exception("Health check: the %s is failing", part)
            results[part] = "failing"
    if results["database"] != "ok" and results.get("replica") != "ok":
        status = "failing"
    elif set(results.values()) != {"ok"}:
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, **results}, status=503 if status == "failing" else 200)


def server_error(request):
    """The 500 page; or, when the database does not answer, a 503 that says when to come back.

    An unreachable database is an outage, not a bug: the reader gets "back in a moment" with
    Retry-After, and the edge serves its older copy of the page instead, if it has one (its
    stale-if-error in deploy/varnish/newsite.vcl). Like the 500 page, it is rendered without
    the database and never cached.
    """
    if not isinstance(sys.exception(), OperationalError | InterfaceError):
        return defaults.server_error(request)
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "private, no-store"
    return response


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
