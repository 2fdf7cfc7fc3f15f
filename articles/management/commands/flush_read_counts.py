"""Move the article reads counted in Redis into Article.read_count in PostgreSQL.

Run it every few minutes (cron, a systemd timer). The counts are taken out of Redis in one
atomic step and given back if saving them fails, so no read is counted twice or lost. The
UPDATE bypasses the signals on purpose: a read count changing invalidates no page.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F

from articles.models import Article
from articles.queries import reads


class Command(BaseCommand):
    help = "Save the article reads counted in Redis into the database."

    def handle(self, *args, **options):
        counts = reads.drain()
        try:
            with transaction.atomic():
                for article_id, count in counts.items():
                    Article.objects.filter(pk=int(article_id)).update(
                        read_count=F("read_count") + count
                    )
        except Exception:
            reads.restore(counts)
            raise
        self.stdout.write(f"Saved {sum(counts.values()):,} reads of {len(counts):,} articles.")
