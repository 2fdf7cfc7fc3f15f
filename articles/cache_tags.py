"""The tags of the newsroom's data, named in one place (the idea: newsite/cache/tags.py).

Queries register these tags; the signal handlers in articles/signals.py invalidate them.
"""

# Lists drawn from all articles: the home page, the latest feeds, the sitemap, search results.
HOME = "home"
# Names shown beside articles everywhere: a rename changes every page that shows one.
SECTIONS = "sections"
AUTHORS = "authors"
TOPICS = "topics"
# Visible comments anywhere: the "most discussed" rail counts them.
COMMENTS = "comments"
# The time of the next scheduled publication.
SCHEDULE = "schedule"


def article(slug):
    """The live article, if any, at this slug: its page, its text, its topics."""
    return f"article:{slug}"


def section(pk):
    return f"section:{pk}"


def author(pk):
    return f"author:{pk}"


def topic(pk):
    return f"topic:{pk}"


def comments_of(article_pk):
    return f"comments:{article_pk}"
