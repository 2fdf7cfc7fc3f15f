"""RSS and Atom feeds of the latest articles, for the whole site and per section.

Every link in a feed is absolute at the configured site address (newsite/site.py): Django
would otherwise prefix the request's Host header, and the cached feed would keep it.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles import queries
from newsite.site import absolute_url


class LatestArticlesFeed(Feed):
    title = settings.SITE_NAME
    description = "The latest news from The Daily Cache."
    url_name = "articles:feed-latest"

    def link(self):
        return absolute_url(reverse("articles:home"))

    def feed_url(self):
        return absolute_url(reverse(self.url_name))

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

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
    url_name = "articles:feed-latest-atom"


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
        return absolute_url(section.get_absolute_url())

    def feed_url(self, section):
        return absolute_url(reverse("articles:feed-section", args=[section.slug]))

    def items(self, section):
        return queries.section_feed(section)
