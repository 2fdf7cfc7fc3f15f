"""Exercise 1's check: the home page loads its articles' sections and authors with the
articles, in a fixed number of queries, however many articles it shows.

Every cache layer is off (NEWSITE_CACHE=off): the queries are what a cold render runs.
"""

import re

from workshop import checking

# A query that loads one section or one author by its id: one per article shown, if the
# articles came without them.
ONE_ROW_BY_ID = re.compile(r'FROM "articles_(section|author)" WHERE "articles_\1"\."id" = ')


def check():
    checking.start_django(NEWSITE_CACHE="off")
    from django.test import Client

    checking.newsroom(sections=4, articles_per_section=6)
    client = Client()
    client.get("/")  # Django's own first-request work (URLs, templates) is not the point
    (_, queries), seconds = checking.timed(checking.count_queries, client, "/")
    one_by_one = [sql for sql in queries if ONE_ROW_BY_ID.search(sql)]
    checking.say("articles in the database", 24)
    checking.say("SQL queries for one home page", len(queries))
    checking.say("  of which load one section or author each", len(one_by_one))
    checking.say("time for the page (caches off)", checking.milliseconds(seconds))
    if one_by_one:
        print(
            f"\nThe page asked for a section or an author {len(one_by_one)} times, once per "
            "article it shows: with twice as many articles on the page, it would ask twice "
            f"as often. The first of them:\n  {one_by_one[0][:160]}"
        )
        return False
    print("\nEvery section and author came with the articles: the query count stays fixed.")
    return True
