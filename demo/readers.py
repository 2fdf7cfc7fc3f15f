"""The demo's accounts and what readers do with them: the staff account, the demo readers
(credentials.py), generated readers, and the articles they saved.

Readers come first (the newsroom's comments are theirs), and their saved articles are added with
each chunk of articles newsroom.py publishes. This side of the seed is the only one that writes
`accounts` models, just as the site's `accounts` app depends on `articles` and never the reverse.
"""

import re
from collections import Counter
from datetime import timedelta
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from accounts.models import SavedArticle
from demo.bulk import BulkWriter
from demo.credentials import DEMO_READERS, GENERATED_READER_PASSWORD, STAFF_USERNAME
from demo.newsroom import ARCHIVE_YEARS, reaction_time

READERS_PER_ARTICLE = 1 / 100
MIN_READERS = 50
MAX_READERS = 2_000
SAVES_PER_READER = 10
SAVE_DELAY_MEAN = timedelta(days=1)
# How keen each reader is (how often they comment and save): a few do most of it. The demo
# readers are among the keen ones, so that their pages have something to show.
DEMO_READER_KEENNESS = 5.0
KEENNESS_SHAPE = 1.5
MAX_KEENNESS = 20.0

# What readers.py fills, for emptying (--flush) and for the planner's statistics.
READER_MODELS = [SavedArticle]


class Readers:
    """Creates the accounts, then chooses who comments and saves what."""

    def __init__(self, article_count, rng, writer, now, stopwatch):
        self.rng = rng
        self.writer = writer
        self.now = now
        self.stopwatch = stopwatch
        self.reader_count = min(
            MAX_READERS, max(MIN_READERS, round(article_count * READERS_PER_ARTICLE))
        )
        self.save_count = self.reader_count * SAVES_PER_READER
        # Filled by create_accounts(): every reader's id, and how keen each is (cumulative).
        self.ids = []
        self.cumulative_keenness = []
        self.saves = BulkWriter(SavedArticle, ["user_id", "article_id", "saved_at"])
        self.saved_pairs = set()
        self.counts = Counter()
        self.example_username = None

    def create_accounts(self, staff_password):
        """The staff account, the demo readers with their known passwords, and the generated
        readers. Every account has an e-mail address of its own (they are unique)."""
        set_staff_password(staff_password)
        demo_readers = self.create_demo_readers()
        readers = self.create_generated_readers()
        self.counts["readers"] = len(demo_readers) + len(readers)
        self.example_username = readers[0].username if readers else None
        self.ids = [reader.id for reader in demo_readers + readers]
        rng = self.rng
        keenness = [DEMO_READER_KEENNESS] * len(demo_readers) + [
            min(MAX_KEENNESS, rng.paretovariate(KEENNESS_SHAPE)) for _ in readers
        ]
        self.cumulative_keenness = list(accumulate(keenness))

    def create_demo_readers(self):
        User = get_user_model()
        for username, password in DEMO_READERS.items():
            User.objects.update_or_create(
                username=username,
                defaults={
                    "password": make_password(password),
                    "email": f"{username}@example.com",
                    "first_name": username.title(),
                },
            )
        return list(User.objects.filter(username__in=DEMO_READERS))

    def create_generated_readers(self):
        User = get_user_model()
        # make_password is slow on purpose (it is the defence against stolen hashes), so every
        # generated reader shares one hash.
        shared_password = make_password(GENERATED_READER_PASSWORD)
        rng = self.rng
        readers = []
        for number in range(1, self.reader_count + 1):
            first_name = rng.choice(self.writer.first_names)
            last_name = rng.choice(self.writer.last_names)
            username = re.sub(r"[^a-z.]", "", f"{first_name}.{last_name}".lower()) + str(number)
            joined = self.now - timedelta(minutes=rng.randrange(ARCHIVE_YEARS * 365 * 24 * 60))
            readers.append(
                User(
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{username}@example.com",
                    password=shared_password,
                    date_joined=joined,
                )
            )
        # Accounts that outlived a --flush (staff) or predate the seed keep their usernames.
        taken = set(
            User.objects.filter(username__in=[reader.username for reader in readers]).values_list(
                "username", flat=True
            )
        )
        return User.objects.bulk_create(
            [reader for reader in readers if reader.username not in taken]
        )

    def choose(self, count):
        """The ids of `count` readers (with repeats), the keen ones more often."""
        return self.rng.choices(self.ids, cum_weights=self.cumulative_keenness, k=count)

    def save_articles(self, chunk):
        """Readers save some of the chunk's live articles, the popular ones more often."""
        with self.stopwatch.phase("composing topics, comments and saves"):
            rows = self.compose_saves(chunk, chunk.share_of(self.save_count))
        with self.stopwatch.phase("inserting saves"):
            self.saves.insert(rows)
        self.counts["saves"] += len(rows)

    def compose_saves(self, chunk, count):
        if not chunk.live or not count:
            return []
        targets = self.rng.choices(chunk.live, cum_weights=chunk.attention, k=count)
        savers = self.choose(count)
        rows = []
        for (article_id, published_at), user_id in zip(targets, savers, strict=True):
            # A reader saves an article once (a unique constraint); a repeat draw is dropped.
            if (user_id, article_id) in self.saved_pairs:
                continue
            self.saved_pairs.add((user_id, article_id))
            saved_at = reaction_time(self.rng, self.now, published_at, SAVE_DELAY_MEAN)
            rows.append((user_id, article_id, saved_at))
        return rows


def set_staff_password(password):
    """Create the staff account, or give it this password."""
    get_user_model().objects.update_or_create(
        username=STAFF_USERNAME,
        defaults={
            "password": make_password(password),
            "email": f"{STAFF_USERNAME}@example.com",
            "first_name": STAFF_USERNAME.title(),
            "is_staff": True,
            "is_superuser": True,
        },
    )


def delete_readers():
    """Delete every account that is neither staff nor superuser; return how many went."""
    User = get_user_model()
    _, by_model = User.objects.filter(is_staff=False, is_superuser=False).delete()
    return by_model.get(User._meta.label, 0)
