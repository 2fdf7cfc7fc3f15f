"""The sitemap: every live article, section, author and topic, split into pages.

Django's sitemap framework runs its own queries, so each sitemap declares the tags of what it
lists before listing it, and the cached sitemap is invalidated with them. Every URL in it is at
the configured site address (newsite/site.py), not at the request's Host header.
"""

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max
from django.urls import reverse

from articles import cache_tags
from articles.models import Article, Author, Section, Topic
from articles.queries import depends_on_live_articles
from newsite import site
from newsite.cache import tags


class SiteSitemap(Sitemap):
    """A sitemap whose URLs are at the configured site address."""

    def get_protocol(self, protocol=None):
        return site.scheme()

    def get_domain(self, site_object=None):
        return site.domain()


def sitemap_index(request, **kwargs):
    """Django's sitemap index, pointing at each sitemap at the configured site address.

    Django builds those addresses from the request's Host header; the response is a
    TemplateResponse, so they are put right before it is rendered.
    """
    response = sitemap_views.index(request, **kwargs)
    for entry in response.context_data["sitemaps"]:
        address = urlsplit(entry.location)
        query = f"?{address.query}" if address.query else ""
        entry.location = site.absolute_url(address.path + query)
    return response


class ArticleSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.8
    # The protocol allows 50,000 URLs a file, but rendering that many takes Django's template
    # about five seconds; 10,000 keep a cold sitemap page near one.
    limit = 10_000

    def items(self):
        depends_on_live_articles([cache_tags.HOME])
        return (
            Article.objects.published()
            .select_related("section")
            .only("slug", "published_at", "updated_at", "section__slug")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        """The index's date for this sitemap, in one query.

        Django's default calls `lastmod` on every item, which loads every live article.
        """
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class SectionSitemap(SiteSitemap):
    changefreq = "hourly"
    priority = 0.9

    def items(self):
        tags.depends_on([cache_tags.SECTIONS])
        return Section.objects.all()


class AuthorSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        tags.depends_on([cache_tags.AUTHORS])
        return Author.objects.order_by("pk")


class TopicSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        tags.depends_on([cache_tags.TOPICS])
        return Topic.objects.order_by("pk")


class HomeSitemap(SiteSitemap):
    changefreq = "always"
    priority = 1.0

    def items(self):
        return ["articles:home"]

    def location(self, name):
        return reverse(name)


sitemaps = {
    "home": HomeSitemap,
    "sections": SectionSitemap,
    "articles": ArticleSitemap,
    "authors": AuthorSitemap,
    "topics": TopicSitemap,
}
