"""The site's own address: every absolute URL is built from settings.SITE_URL.

Never from the request's Host header: the client writes it (`Host: news.example.com:6666`
passes ALLOWED_HOSTS, which ignores the port), and a feed, a sitemap or a reset e-mail built
from it would send readers to the attacker; a cache would keep it for everyone.
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path):
    """The URL of `path` (such as "/sitemap.xml") at the site's configured address."""
    return settings.SITE_URL + path


def scheme():
    return urlsplit(settings.SITE_URL).scheme


def domain():
    """The host, with the port if the address has one."""
    return urlsplit(settings.SITE_URL).netloc
