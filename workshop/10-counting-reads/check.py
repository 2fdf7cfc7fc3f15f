"""Exercise 10's check: counting a read writes nothing to the database; the counts reach it
later, in one batch (manage.py flush_read_counts).
"""

import io

from workshop import checking

READS = 50
WRITES = ("INSERT", "UPDATE", "DELETE")


def check():
    checking.start_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article

    story = checking.newsroom(sections=1, articles_per_section=1)[0]
    client = Client()
    with CaptureQueriesContext(connection) as counting:
        for _ in range(READS):
            client.post(story.read_beacon_url)
    writes = [q["sql"] for q in counting.captured_queries if q["sql"].startswith(WRITES)]
    with CaptureQueriesContext(connection) as flushing:
        call_command("flush_read_counts", stdout=io.StringIO())
    saved = Article.objects.get(pk=story.pk).read_count
    checking.say("reads counted (beacons sent)", READS)
    checking.say("SQL writes while counting them", len(writes))
    checking.say("SQL writes per page view", f"{len(writes) / READS:.2f}")
    checking.say("SQL statements of flush_read_counts", len(flushing.captured_queries))
    checking.say("reads saved in the database afterwards", saved)
    if writes:
        print(f"\nEvery read wrote to the database. The first write:\n  {writes[0][:160]}")
    if saved != READS:
        print(f"\n{READS} reads were counted, but the database holds {saved}.")
    return not writes and saved == READS
