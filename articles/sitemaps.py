"""The sitemap: every live article, section, author and topic, split into pages of 50,000.

Django's sitemap framework runs its own queries, so each sitemap declares the tags of what it
lists before listing it, and the cached sitemap is invalidated with them.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles import cache_tags
from articles.models import Article, Author, Section, Topic
from articles.queries import depends_on_live_articles
from newsite.cache import tags


class ArticleSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

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


class SectionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.9

    def items(self):
        tags.depends_on([cache_tags.SECTIONS])
        return Section.objects.all()


class AuthorSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        tags.depends_on([cache_tags.AUTHORS])
        return Author.objects.order_by("pk")


class TopicSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        tags.depends_on([cache_tags.TOPICS])
        return Topic.objects.order_by("pk")


class HomeSitemap(Sitemap):
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
