"""manage.py seed: fill an empty database with a demo newspaper, and never twice by accident.

The command checks what the database holds, empties it if asked (--flush), runs the seed in one
transaction (readers first, whose comments the newsroom's articles get; then the newsroom), and
invalidates every cache after the commit: the rows went in with bulk writes that send no model
signal (bulk.py), so this is the one place to tell the caches. The same --random-seed gives the
same newspaper in a new database or after --flush (both number rows from 1); dates are relative
to the time of seeding, so the news is always fresh.
"""

import random
import secrets
import time
from collections import defaultdict
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries, transaction
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from articles.models import Article
from demo import bulk
from demo.credentials import (
    DEMO_STAFF_PASSWORD,
    GENERATED_READER_PASSWORD,
    STAFF_PASSWORD_VARIABLE,
    STAFF_USERNAME,
    demo_readers_in_words,
    given_staff_password,
)
from demo.newsroom import NEWSROOM_MODELS, SEARCH_INDEX_NAME, Newsroom, existing_content
from demo.readers import READER_MODELS, Readers, delete_readers, set_staff_password
from demo.writer import NewsWriter
from newsite.cache import tags

DEFAULT_ARTICLES = 2_000
DEFAULT_RANDOM_SEED = 1821


class Stopwatch:
    """Adds up the seconds spent in each phase, for the breakdown shown with --verbosity 2."""

    def __init__(self):
        self.seconds = defaultdict(float)

    @contextmanager
    def phase(self, name):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def seed(article_count, random_seed, staff_password, stopwatch, say, show_progress):
    """Load the demo newspaper into empty tables, inside the caller's transaction; return the
    counts of what was created and an example generated reader's username."""
    rng = random.Random(random_seed)
    fake = Faker("en_GB")
    fake.seed_instance(random_seed)
    with stopwatch.phase("generating text pools"):
        writer = NewsWriter(rng, fake)
    now = timezone.now()
    readers = Readers(article_count, rng, writer, now, stopwatch)
    newsroom = Newsroom(article_count, rng, writer, now, stopwatch, readers)
    with stopwatch.phase("accounts (password hashing)"):
        readers.create_accounts(staff_password)
    with stopwatch.phase("sections, authors and topics"):
        newsroom.create_desks()

    @contextmanager
    def rebuilding_the_index():
        # Over a minute for a million articles, after the progress bar has finished.
        say("Checking foreign keys and building the search index…")
        with stopwatch.phase("checking foreign keys, building the search index"):
            yield

    with (
        bulk.index_dropped(Article, SEARCH_INDEX_NAME, rebuilding_the_index()),
        tqdm(
            total=article_count, unit=" articles", desc="Seeding", disable=not show_progress
        ) as progress,
    ):
        for chunk in newsroom.publish_articles():
            readers.save_articles(chunk)
            # With DEBUG on, Django keeps the SQL of the last 9,000 queries in memory; on SQLite
            # those are bulk inserts of megabytes each.
            reset_queries()
            progress.update(chunk.end - chunk.start)
    with stopwatch.phase("analyze"):
        bulk.analyze([*NEWSROOM_MODELS, *READER_MODELS, get_user_model()])
    return newsroom.counts + readers.counts, readers.example_username


def flush_demo_content():
    """Delete everything the seed creates and return how many rows of each kind went: the
    newsroom and the saved articles at once, then every account that is neither staff nor
    superuser. Staff accounts stay."""
    deleted = bulk.empty([*READER_MODELS, *NEWSROOM_MODELS])
    deleted["non-staff accounts"] = delete_readers()
    return deleted


class Command(BaseCommand):
    help = (
        "Fill an empty database with a demo newspaper: sections, authors, topics, articles, "
        "comments, readers and their saved articles."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles",
            type=int,
            default=DEFAULT_ARTICLES,
            help="How many articles (default %(default)s); the other counts follow from it.",
        )
        parser.add_argument(
            "--random-seed",
            type=int,
            default=DEFAULT_RANDOM_SEED,
            help="The same seed gives the same newspaper (default %(default)s).",
        )
        when_seeded = parser.add_mutually_exclusive_group()
        when_seeded.add_argument(
            "--flush",
            action="store_true",
            help=(
                "First delete all articles, comments, topic links, saved articles, sections, "
                "authors and topics, and every user account that is not staff; then seed."
            ),
        )
        when_seeded.add_argument(
            "--if-empty",
            action="store_true",
            help=(
                "If the database already has content, say so and exit successfully (after "
                "setting the staff password, if --demo-passwords or NEWSITE_EDITOR_PASSWORD "
                "gives one)."
            ),
        )
        parser.add_argument(
            "--demo-passwords",
            action="store_true",
            help=(
                f"Give the staff account {STAFF_USERNAME!r} the password "
                f"{DEMO_STAFF_PASSWORD!r}, for a local demo only (make run). Otherwise it gets "
                f"{STAFF_PASSWORD_VARIABLE} or a new random password, printed once."
            ),
        )

    def handle(
        self, *args, articles, random_seed, flush, if_empty, demo_passwords, verbosity, **options
    ):
        if articles < 1:
            raise CommandError(f"--articles must be a positive number, not {articles}.")
        given_password = given_staff_password(demo_passwords)
        if not flush and (existing := existing_content()):
            self.refuse_to_seed_again(existing, if_empty, given_password, verbosity)
            return
        staff_password = given_password or secrets.token_urlsafe(12)

        started = time.perf_counter()
        stopwatch = Stopwatch()
        with transaction.atomic():
            if flush:
                with stopwatch.phase("flush"):
                    deleted = flush_demo_content()
                self.say_deleted(deleted, verbosity)
            counts, example_username = seed(
                articles,
                random_seed,
                staff_password,
                stopwatch,
                say=self.stdout.write if verbosity else lambda message: None,
                show_progress=verbosity > 0,
            )
        # Everything is committed from here on, and no model signal told the caches about it.
        tags.invalidate_everything()
        if verbosity:
            self.report(counts, example_username, staff_password, time.perf_counter() - started)
        if verbosity > 1:
            for phase, seconds in stopwatch.seconds.items():
                self.stdout.write(f"  {phase}: {seconds:.1f} s")

    def refuse_to_seed_again(self, existing, if_empty, given_password, verbosity):
        """The database has content: an error, or with --if-empty a message (and the staff
        password set, if one was given)."""
        message = f"The database already has {existing}; nothing to do."
        if not if_empty:
            raise CommandError(f"{message} Use --flush to start over.")
        if given_password:
            # So that the password `make run` or `make stack` prints is the one that works.
            set_staff_password(given_password)
            message = f"The database already has {existing}; the staff password is set."
        if verbosity:
            self.stdout.write(message)

    def say_deleted(self, deleted, verbosity):
        if verbosity:
            self.stdout.write(
                "Deleted "
                + ", ".join(f"{count:,} {name}" for name, count in deleted.items())
                + "; staff accounts were kept."
            )

    def report(self, counts, example_username, staff_password, seconds):
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {counts['articles']:,} articles ({counts['lead']:,} lead stories, "
                f"{counts['draft']:,} drafts, {counts['scheduled']:,} scheduled), "
                f"{counts['topic links']:,} topic links, {counts['comments']:,} comments "
                f"({counts['hidden comments']:,} hidden), {counts['readers']:,} readers who "
                f"saved {counts['saves']:,} articles, {counts['sections']} sections, "
                f"{counts['authors']} authors and {counts['topics']} topics "
                f"in {seconds:.1f} s."
            )
        )
        self.stdout.write(
            f"Demo accounts: {STAFF_USERNAME} / {staff_password} (admin at /admin/), "
            f"{demo_readers_in_words()}"
        )
        if example_username:
            self.stdout.write(
                f"Every generated reader (such as {example_username}) has the password "
                f"{GENERATED_READER_PASSWORD}."
            )
