from django.conf import settings

from articles.queries import navigation_sections


def site(request):
    """The newspaper's name and its sections for the navigation bar.

    The sections come as the query itself, called by the templates that show them (not the
    admin, not the per-reader fragments), inside the fragment that caches them.
    """
    return {"newspaper_name": settings.SITE_NAME, "navigation_sections": navigation_sections}
