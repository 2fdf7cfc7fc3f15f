"""Exercise 2's check: PostgreSQL finds an author's newest articles through an index, instead
of reading the whole table and sorting it.

It reads the plan (EXPLAIN ANALYZE) of the query behind an author's page, not its time: on the
small data a check can afford, both plans are quick; the plan is what grows with the table.
WORKSHOP_ARTICLES sets how many articles to load (20,000 by default; 100,000 in class).
"""

import os
import re

from workshop import checking

AUTHORS = 500


def check():
    articles = int(os.environ.get("WORKSHOP_ARTICLES", "20000"))
    # With its migrations: the index is made, or dropped, by one.
    checking.start_django(migrations=True, DATABASE_URL=checking.throwaway_postgres_database())
    from articles import queries
    from articles.models import Author

    checking.say("articles loaded", f"{checking.bulk_newsroom(articles, AUTHORS):,}")
    author = Author.objects.order_by("pk").first()
    page = queries.author_articles(author)[:20]
    plan = page.explain(analyze=True)
    checking.say(f"EXPLAIN ANALYZE of {author.name}'s page (20 newest of {AUTHORS} authors):")
    for line in plan.splitlines():
        print(f"    {line}")
    sequential = "Seq Scan on articles_article" in plan
    by_author = any("Index Cond" in line and "author_id" in line for line in plan.splitlines())
    passed_over = max(map(int, re.findall(r"Rows Removed by Filter: (\d+)", plan)), default=0)
    checking.say("articles passed over (Rows Removed by Filter)", f"{passed_over:,}")
    if sequential or not by_author:
        how = "read the whole table" if sequential else "walked the newest articles of everyone"
        print(
            f"\nWith no index that starts with the author, PostgreSQL {how} to find this "
            f"author's newest twenty, passing over {passed_over:,} others: the cost grows with "
            "the whole table, not with the page."
        )
        return False
    print("\nPostgreSQL went straight to this author's newest articles through an index.")
    return True
