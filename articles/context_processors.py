from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.queries import navigation_sections


def site(request):
    """The newspaper's name and its sections for the navigation bar.

    The sections are queried lazily: only templates that show them (not the admin, not the
    per-reader fragments) pay for the query, and only once per response.
    """
    return {
        "newspaper_name": settings.SITE_NAME,
        "navigation_sections": SimpleLazyObject(navigation_sections),
    }
