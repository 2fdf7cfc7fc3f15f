"""Exercise 5's check: an outer fragment is rebuilt when the data of a fragment inside it
changes, even if it was last built around a copy of that fragment from the cache.

Only the fragment cache is on (NEWSITE_CACHE=fragment). On an article page "article-page"
holds "more-in-section"; a new comment rebuilds the outer one around the cached inner one;
then a headline in "More in …" is edited.
"""

import re

from workshop import checking


def fragment_lookups(response):
    """The fragment cache's hits and misses for this response, from Server-Timing."""
    found = re.search(r'fragment-cache;desc="([^"]*)"', response.headers.get("Server-Timing", ""))
    return found[1] if found else "no fragment cache lookups"


def check():
    checking.start_django(NEWSITE_CACHE="fragment", NEWSITE_SERVER_TIMING="detail")
    from django.contrib.auth import get_user_model
    from django.test import Client

    from articles.models import Comment

    page_article, rail_article = checking.newsroom(sections=1, articles_per_section=3)[1:3]
    url = page_article.get_absolute_url()
    client = Client()
    client.get(url)
    reader = get_user_model().objects.create(username="reader")
    Comment.objects.create(article=page_article, user=reader, body="A first comment.")
    response = client.get(url)
    checking.say("after a new comment", fragment_lookups(response))
    edited = checking.edit_headline(rail_article)
    response = client.get(url)
    checking.say("after a headline edit in the rail", fragment_lookups(response))
    fresh = edited.headline in response.content.decode()
    checking.say(
        f"'More in {page_article.section.name}' shows the edit", "yes" if fresh else "NO (stale)"
    )
    if not fresh:
        print(
            f"\n{url} still lists {rail_article.headline!r}: the outer fragment did not know "
            "it was built from the rail's data."
        )
    return fresh
