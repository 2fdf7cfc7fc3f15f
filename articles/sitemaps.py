"""The sitemap: every live article, section, author and topic, split into pages.

Django's sitemap framework runs its own queries, so each sitemap declares the tags of what it
lists before listing it, and the cached sitemap is invalidated with them.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from articles import cache_tags
from articles.models import Article, Author, Section, Topic
from articles.queries import depends_on_live_articles
from newsite.cache import tags


class ArticleSitemap(Sitemap):
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
