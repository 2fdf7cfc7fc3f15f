"""Exercise 3's check: a warm home page runs no SQL, and an edit still shows at once.

Only the query cache is on (NEWSITE_CACHE=query): no fragment or page cache hides a query
that is not cached. The edit tells a query cached under its tags from one cached blindly.
"""

from workshop import checking


def check():
    checking.start_django(NEWSITE_CACHE="query")
    from django.test import Client

    articles = checking.newsroom(sections=4, articles_per_section=6)
    # Section 3's newest story: among the top stories by section, not among the latest twelve.
    story = articles[12]
    client = Client()
    _, cold = checking.count_queries(client, "/")
    (_, warm), seconds = checking.timed(checking.count_queries, client, "/")
    edited = checking.edit_headline(story)
    response, after_edit = checking.count_queries(client, "/")
    fresh = edited.headline in response.content.decode()
    checking.say("SQL queries, cold home page", len(cold))
    checking.say("SQL queries, warm home page", len(warm))
    checking.say("time for the warm page", checking.milliseconds(seconds))
    checking.say("SQL queries, first page after a headline edit", len(after_edit))
    checking.say("the edited headline is on the page", "yes" if fresh else "NO (stale)")
    if warm:
        print(
            f"\nA warm page still asked the database {len(warm)} time(s), on every view. "
            f"The first:\n  {warm[0][:200]}"
        )
    if not fresh:
        print(f"\nThe page still shows {story.headline!r}: a cached result outlived its data.")
    return not warm and fresh
