"""Absolute URLs (feeds, the sitemap, robots.txt, reset links) come from the configured site
address, never from the request's Host header: ALLOWED_HOSTS ignores the port, so
`Host: news.example.com:6666` passes it, and a cached feed would keep the attacker's links."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOSTILE_HOST = "news.example.com:6666"


@pytest.fixture
def site_address(settings):
    settings.ALLOWED_HOSTS = ["news.example.com"]
    settings.SITE_URL = "https://news.example.com"


def absolute_urls(content):
    return re.findall(r"https?://[^\s<\"']+", content)


@pytest.mark.parametrize(
    "url",
    [
        "/robots.txt",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/sitemap-home.xml",
        "/feeds/latest/",
        "/feeds/latest/atom/",
    ],
)
def test_every_absolute_url_is_at_the_site_address(client, make_newsroom, site_address, url):
    make_newsroom()
    response = client.get(url, HTTP_HOST=HOSTILE_HOST)
    assert response.status_code == 200
    content = response.content.decode()
    # Not the XML namespaces (w3.org, sitemaps.org…): the links to this site.
    links = [link for link in absolute_urls(content) if "news.example.com" in link]
    assert links, "the page has absolute links to the site"
    for link in links:
        assert link.startswith("https://news.example.com/"), link
    assert "6666" not in content


def test_a_section_feed_links_at_the_site_address(client, make_newsroom, site_address):
    section = make_newsroom()[0].section
    url = reverse("articles:feed-section", args=[section.slug])
    content = client.get(url, HTTP_HOST=HOSTILE_HOST).content.decode()
    assert f"https://news.example.com{section.get_absolute_url()}" in content
    assert "6666" not in content
