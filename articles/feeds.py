"""RSS and Atom feeds of the latest articles, for the whole site and per section."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles import queries


class LatestArticlesFeed(Feed):
    title = settings.SITE_NAME
    description = "The latest news from The Daily Cache."

    def link(self):
        return reverse("articles:home")

    def items(self):
        return queries.latest_feed()

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.name

    def item_categories(self, item):
        return [item.section.name]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request, section):
        section = queries.section_by_slug(section)
        if section is None:
            raise Http404("No such section.")
        return section

    def title(self, section):
        return f"{section.name} · {settings.SITE_NAME}"

    def description(self, section):
        return section.description or f"The latest {section.name} news."

    def link(self, section):
        return section.get_absolute_url()

    def items(self, section):
        return queries.section_feed(section)
