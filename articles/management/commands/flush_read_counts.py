"""Move the article reads counted in Redis into Article.read_count in the database.

Run it every few minutes (cron, a systemd timer). It works in steps, each of which completes
whole or not at all, so whenever a run dies, the next one finishes its work, and no read is lost
or counted twice:

1. claim: the counts not yet saved become a pending batch with an id of its own (one atomic
   step in Redis); reads from then on are counted afresh;
2. read: every pending batch, including any that a run which died left behind;
3. save: each batch in one database transaction that adds its counts and records its id
   (SavedReadBatch); a batch recorded before is not added again;
4. forget: only once the database has committed a batch is it removed from Redis.

Then the records of batches saved more than a week ago are deleted. The UPDATE bypasses the
signals on purpose: a read count changing invalidates no page.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.models import Article, SavedReadBatch
from articles.queries import article_id, reads

logger = logging.getLogger(__name__)

# How long a saved batch is remembered: a batch that comes back within this time (a Redis
# restored from a snapshot) is recognised and not added twice.
REMEMBER_SAVED_BATCHES = timedelta(days=7)


def claim():
    reads.claim()


def pending_batches():
    return reads.batches()


def save(batch_id, counts):
    """Add a batch's counts to the articles, once; False if it was saved before."""
    by_article = Counter()
    for member, count in counts.items():
        found = article_id(member)
        if found is None:
            logger.warning("Reads batch %s: %r is not an article id; dropped.", batch_id, member)
        else:
            by_article[found] += count
    with transaction.atomic():
        # First: a concurrent run saving the same batch waits here, then finds it saved.
        _, is_new = SavedReadBatch.objects.get_or_create(batch_id=batch_id)
        if not is_new:
            return False
        for pk in sorted(by_article):  # the same order in every run: no deadlocks
            Article.objects.filter(pk=pk).update(read_count=F("read_count") + by_article[pk])
    return True


def forget(batch_id):
    reads.forget(batch_id)


def forget_old_records():
    SavedReadBatch.objects.filter(saved_at__lt=timezone.now() - REMEMBER_SAVED_BATCHES).delete()


class Command(BaseCommand):
    help = "Save the article reads counted in Redis into the database."

    def handle(self, *args, **options):
        claim()
        saved = Counter()
        for batch_id, counts in pending_batches().items():
            if save(batch_id, counts):
                saved["reads"] += sum(counts.values())
                saved["batches"] += 1
            forget(batch_id)
        forget_old_records()
        self.stdout.write(f"Saved {saved['reads']:,} reads in {saved['batches']:,} batches.")
