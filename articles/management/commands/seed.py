"""Fill an empty database with a demo newspaper: sections, authors, topics, articles, comments,
readers and the articles they saved.

Rows go in a few thousand articles at a time, with COPY on PostgreSQL and bulk_create elsewhere,
and all text is composed by random choice from pools of templates and sentences that Faker fills
once at the start, since calling Faker per article would cost more than the database. So 100,000
articles load in under a minute and a million behind a progress bar. The same --random-seed
gives the same newspaper; dates are relative to the time of seeding, so the news is always fresh.
"""

# The seed writes with bulk_create and COPY, which neither call save() nor send the pre_save and
# post_save signals: code listening for them never hears about the seeded content. Anything cached
# about that content must be invalidated explicitly, in one place: right after the load commits,
# in Command.handle.

import csv
import io
import os
import random
import re
import secrets
import time
from collections import defaultdict, namedtuple
from contextlib import contextmanager
from datetime import timedelta
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from tqdm import tqdm

from accounts.models import SavedArticle
from articles.management.demo_newsroom import (
    COLUMNIST_SHARE,
    GENERAL_ROLES,
    OUTLETS,
    OWN_SECTION_TOPIC_SHARE,
    ROLES_BY_SECTION,
    SECTIONS,
    TOPICS_BY_SECTION,
    WORDS,
    NewsWriter,
)
from articles.models import Article, Author, Comment, Section, Topic
from newsite.cache import tags

DEFAULT_ARTICLES = 2_000
DEFAULT_RANDOM_SEED = 1821
# Articles composed and inserted together: enough that round trips do not matter, few enough that
# memory stays flat (about 120 MB for the whole process, even at a million articles).
ARTICLES_PER_CHUNK = 2_000

READERS_PER_ARTICLE = 1 / 100
MIN_READERS = 50
MAX_READERS = 2_000
SAVES_PER_READER = 10
COMMENTS_PER_ARTICLE = 3
MAX_COMMENTS = 3_000_000
HIDDEN_COMMENT_SHARE = 0.03

# When articles were published: a share in the last week and the last month, so the home page's
# 30-day window and the 7-day "most commented" rail always have content; the rest over the
# archive, thinning out towards its start.
LAST_WEEK_SHARE = 0.05
LAST_MONTH_SHARE = 0.10
ARCHIVE_YEARS = 6
# What an article is: a draft, scheduled (published, but for later), a lead story (featured) or
# an ordinary published one; with their shares.
ARTICLE_KINDS = {"draft": 0.003, "scheduled": 0.001, "lead": 0.035, "published": 0.961}
# The first articles make sure even a tiny seed shows every case: a lead story on each of the
# last three days, two scheduled articles and two drafts. Later ones are drawn at random.
FIRST_ARTICLE_KINDS = ["lead", "lead", "lead", "scheduled", "scheduled", "draft", "draft"]
# Topics per article: the chances of 0, 1, 2, 3 and 4.
TOPIC_COUNT_WEIGHTS = [10, 30, 30, 20, 10]
# How much attention (comments, saves) an article draws: most a little, a few a great deal (a
# Pareto distribution), capped so that one article cannot take a whole chunk's share. Readers
# react soon after publication, so the last week's comments are on the last week's articles.
POPULARITY_SHAPE = 1.5
MAX_POPULARITY = 30.0
COMMENT_DELAY_MEAN = timedelta(hours=6)
SAVE_DELAY_MEAN = timedelta(days=1)

# The staff account: its password is "editor-demo" only with --demo-passwords (`make run`);
# otherwise NEWSITE_EDITOR_PASSWORD (`make stack` keeps one in .stack/), or a new random one,
# printed once. A staff account with a password everyone knows must never reach a server.
STAFF_USERNAME = "editor"
DEMO_STAFF_PASSWORD = "editor-demo"
EDITOR_PASSWORD_VARIABLE = "NEWSITE_EDITOR_PASSWORD"
# The readers' passwords stay known: they can only comment and save articles, and the load
# test (bench/locustfile.py) signs in as them.
DEMO_READERS = [("alice", "alice-demo"), ("bob", "bob-demo")]
READER_PASSWORD = "reader-demo"

SEARCH_INDEX_NAME = "article_search_idx"
# The Article fields the seed writes, in the order of PlannedArticle.row.
ARTICLE_COLUMNS = [
    "headline", "slug", "summary", "body", "section_id", "author_id", "status", "published_at",
    "is_featured", "updated_at",
]  # fmt: skip
# Article kinds that readers can see (the others are drafts and scheduled).
LIVE_KINDS = {"lead", "published"}
# An article composed but not yet inserted: its row, its topics and what comments and saves need.
PlannedArticle = namedtuple("PlannedArticle", ["row", "topic_ids", "published_at", "kind"])


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


def part_of(total, start, end, count):
    """The share of `total` that belongs to items start..end of `count`; the shares add up."""
    return total * end // count - total * start // count


def lower_first(text):
    """Lower-case the first letter ("science editor"), unless it starts an acronym ("AI")."""
    return text if text[:2].isupper() else text[0].lower() + text[1:]


@contextmanager
def search_index_dropped(stopwatch, say):
    """On PostgreSQL, drop the full-text GIN index for the load and build it once afterwards.

    Keeping a GIN index current row by row costs more than building it once from the finished
    table (PostgreSQL's "Populating a Database" advice; measured at 100,000 articles, the seed
    took 42 s this way and 48 to 54 s with the index in place). The drop happens inside the
    seed's transaction, so a failed seed rolls it back with everything else; until the commit,
    the article table is locked against other sessions, which is fine for a seed.
    """
    if connection.vendor != "postgresql":
        yield
        return
    index = next(index for index in Article._meta.indexes if index.name == SEARCH_INDEX_NAME)
    with connection.schema_editor() as editor:
        editor.remove_index(Article, index)
    yield
    # Over a minute for a million articles, after the progress bar has finished.
    say("Checking foreign keys and building the search index…")
    with (
        stopwatch.phase("checking foreign keys, building the search index"),
        connection.schema_editor() as editor,
    ):
        # Django's foreign keys are checked at commit, and PostgreSQL refuses to build an index on
        # a table with such checks pending: run them now.
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        editor.add_index(Article, index)


class BulkWriter:
    """Inserts many rows of one model, each a tuple of values in `columns` order.

    On PostgreSQL the rows are streamed with COPY: with bulk_create, 100,000 articles took 76 s,
    32 s of it in Python building a model instance and a query parameter per value; with COPY
    the same load took 46 s. Elsewhere, such as SQLite in development, bulk_create does the job.
    """

    def __init__(self, model, columns):
        self.model = model
        self.columns = columns
        self.use_copy = connection.vendor == "postgresql"

    def insert(self, rows, returning_ids=False):
        """Insert the rows; with returning_ids, return their new primary keys in order."""
        if not rows:
            return []
        if not self.use_copy:
            created = self.model.objects.bulk_create(
                self.model(**dict(zip(self.columns, row, strict=True))) for row in rows
            )
            return [instance.pk for instance in created]
        columns = self.columns
        ids = []
        if returning_ids:
            # COPY returns nothing, so take the keys from the table's sequence first.
            ids = self.next_ids(len(rows))
            columns = ["id", *columns]
            rows = [(row_id, *row) for row_id, row in zip(ids, rows, strict=True)]
        buffer = io.StringIO()
        # QUOTE_NONNUMERIC quotes every string, so that an empty string stays one: in COPY's CSV
        # format an unquoted empty value is NULL.
        csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        column_list = ", ".join(quote(self.model._meta.get_field(name).column) for name in columns)
        with connection.cursor() as cursor:
            # psycopg2's COPY interface (the project's PostgreSQL driver).
            cursor.copy_expert(f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)", buffer)
        return ids

    def next_ids(self, count):
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row_id for (row_id,) in cursor.fetchall()]


class Seeder:
    """Loads the demo newspaper into empty tables; Command.handle runs it inside a transaction."""

    def __init__(self, article_count, random_seed, stopwatch, say, show_progress, staff_password):
        self.article_count = article_count
        self.staff_password = staff_password
        self.stopwatch = stopwatch
        # Prints a line for the user (or nothing, with --verbosity 0).
        self.say = say
        self.show_progress = show_progress
        self.rng = random.Random(random_seed)
        fake = Faker("en_GB")
        fake.seed_instance(random_seed)
        with stopwatch.phase("generating text pools"):
            self.writer = NewsWriter(self.rng, fake)
        self.now = timezone.now()
        # Articles are published on the minute, as a newsroom's system would.
        self.article_clock = self.now.replace(second=0, microsecond=0)
        self.reader_count = min(
            MAX_READERS, max(MIN_READERS, round(article_count * READERS_PER_ARTICLE))
        )
        self.comment_count = min(MAX_COMMENTS, article_count * COMMENTS_PER_ARTICLE)
        self.save_count = self.reader_count * SAVES_PER_READER
        self.counts = defaultdict(int)
        self.saved_pairs = set()

    def run(self):
        with self.stopwatch.phase("accounts (password hashing)"):
            self.create_accounts()
        with self.stopwatch.phase("sections, authors and topics"):
            self.create_newsroom()
        with search_index_dropped(self.stopwatch, self.say):
            self.create_articles()
        with self.stopwatch.phase("analyze"):
            self.analyze()
        return self.counts

    def create_accounts(self):
        """The staff account, the demo readers with their known passwords, and the generated
        readers. Every account has an e-mail address of its own (they are unique)."""
        User = get_user_model()
        set_staff_password(self.staff_password)
        for username, password in DEMO_READERS:
            User.objects.update_or_create(
                username=username,
                defaults={
                    "password": make_password(password),
                    "email": f"{username}@example.com",
                    "first_name": username.title(),
                },
            )
        demo_readers = list(
            User.objects.filter(username__in=[username for username, _ in DEMO_READERS])
        )
        # make_password is slow on purpose (it is the defence against stolen hashes), so every
        # generated reader shares one hash.
        shared_password = make_password(READER_PASSWORD)
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
        readers = User.objects.bulk_create(
            [reader for reader in readers if reader.username not in taken]
        )
        self.counts["readers"] = len(demo_readers) + len(readers)
        self.example_reader = readers[0].username if readers else None
        # A few readers do most of the commenting; alice and bob are among the keen ones so their
        # pages have something to show.
        self.reader_ids = [reader.id for reader in demo_readers + readers]
        weights = [5.0] * len(demo_readers) + [min(20.0, rng.paretovariate(1.5)) for _ in readers]
        self.reader_cumulative_weights = list(accumulate(weights))

    def create_newsroom(self):
        rng = self.rng
        self.sections = Section.objects.bulk_create(
            Section(name=name, slug=slugify(name), description=description, position=position)
            for position, (name, description, _) in enumerate(SECTIONS, start=1)
        )
        self.section_cumulative_weights = list(accumulate(share for *_, share in SECTIONS))

        topics = Topic.objects.bulk_create(
            Topic(name=name, slug=slugify(name))
            for names in TOPICS_BY_SECTION.values()
            for name in names
        )
        self.topic_names = {topic.id: topic.name for topic in topics}
        topic_ids = {topic.name: topic.id for topic in topics}
        self.topic_ids_by_section = {
            slug: [topic_ids[name] for name in names] for slug, names in TOPICS_BY_SECTION.items()
        }
        self.all_topic_ids = [topic.id for topic in topics]

        desks = [(slug, role) for slug, roles in ROLES_BY_SECTION.items() for role in roles]
        desks += [(None, role) for role in GENERAL_ROLES]
        authors, slugs = [], set()
        for desk, role in desks:
            name = self.writer.full_name()
            slug = slugify(name)
            while slug in slugs:
                name = self.writer.full_name()
                slug = slugify(name)
            slugs.add(slug)
            first_name = name.split()[0]
            bio = (
                f"{name} is the Daily Cache's {lower_first(role)}. {first_name} joined in "
                f"{rng.randint(1998, 2023)} from {rng.choice(OUTLETS)} and has reported from "
                f"{rng.choice(WORDS['place'])} and {rng.choice(WORDS['foreign_city'])}."
            )
            authors.append((desk, Author(name=name, slug=slug, role=role, bio=bio)))
        Author.objects.bulk_create(author for _, author in authors)
        self.author_ids_by_section = defaultdict(list)
        for desk, author in authors:
            self.author_ids_by_section[desk].append(author.id)
        self.counts.update(sections=len(self.sections), topics=len(topics), authors=len(authors))

    def create_articles(self):
        """Articles a chunk at a time, each chunk followed by its topics, comments and saves."""
        stopwatch = self.stopwatch
        total = self.article_count
        articles = BulkWriter(Article, ARTICLE_COLUMNS)
        topic_links = BulkWriter(Article.topics.through, ["article_id", "topic_id"])
        comments = BulkWriter(Comment, ["article_id", "user_id", "body", "created_at", "is_hidden"])
        saves = BulkWriter(SavedArticle, ["user_id", "article_id", "saved_at"])
        with tqdm(
            total=total, unit=" articles", desc="Seeding", disable=not self.show_progress
        ) as progress:
            for start in range(0, total, ARTICLES_PER_CHUNK):
                end = min(start + ARTICLES_PER_CHUNK, total)
                with stopwatch.phase("composing articles"):
                    planned = [self.compose_article(sequence) for sequence in range(start, end)]
                with stopwatch.phase("inserting articles"):
                    article_ids = articles.insert(
                        [plan.row for plan in planned], returning_ids=True
                    )

                with stopwatch.phase("composing topics, comments and saves"):
                    link_rows = [
                        (article_id, topic_id)
                        for article_id, plan in zip(article_ids, planned, strict=True)
                        for topic_id in plan.topic_ids
                    ]
                    live = [
                        (article_id, plan.published_at)
                        for article_id, plan in zip(article_ids, planned, strict=True)
                        if plan.kind in LIVE_KINDS
                    ]
                    attention = self.attention_weights(len(live))
                    comment_rows = self.compose_comments(
                        live, attention, part_of(self.comment_count, start, end, total)
                    )
                    save_rows = self.compose_saves(
                        live, attention, part_of(self.save_count, start, end, total)
                    )
                with stopwatch.phase("inserting topic links"):
                    topic_links.insert(link_rows)
                with stopwatch.phase("inserting comments"):
                    comments.insert(comment_rows)
                with stopwatch.phase("inserting saves"):
                    saves.insert(save_rows)

                for plan in planned:
                    self.counts[plan.kind] += 1
                self.counts["articles"] += len(planned)
                self.counts["topic links"] += len(link_rows)
                self.counts["comments"] += len(comment_rows)
                self.counts["hidden comments"] += sum(hidden for *_, hidden in comment_rows)
                self.counts["saves"] += len(save_rows)
                # With DEBUG on, Django keeps the SQL of the last 9,000 queries in memory; on
                # SQLite those are bulk inserts of megabytes each.
                reset_queries()
                progress.update(end - start)

    def compose_article(self, sequence):
        rng = self.rng
        writer = self.writer
        section = rng.choices(self.sections, cum_weights=self.section_cumulative_weights)[0]
        topic_ids = self.choose_topics(section.slug)
        topic_name = (
            self.topic_names[topic_ids[0]]
            if topic_ids
            else rng.choice(TOPICS_BY_SECTION[section.slug])
        )
        headline = writer.headline(section.slug, topic_name)
        if rng.random() < COLUMNIST_SHARE:
            author_id = rng.choice(self.author_ids_by_section[None])
        else:
            author_id = rng.choice(self.author_ids_by_section[section.slug])

        if sequence < len(FIRST_ARTICLE_KINDS):
            kind = FIRST_ARTICLE_KINDS[sequence]
        else:
            kind = rng.choices(list(ARTICLE_KINDS), weights=ARTICLE_KINDS.values())[0]
        clock = self.article_clock
        if kind == "lead" and sequence < len(FIRST_ARTICLE_KINDS):
            published_at = clock - timedelta(days=sequence, minutes=rng.randint(30, 600))
        elif kind == "scheduled":
            published_at = clock + timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        elif kind == "draft":
            published_at = clock - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        else:
            published_at = clock - self.age_of_published_article()

        row = (
            headline,
            # Unique by the sequence number, so no lookups to find a free slug.
            f"{slugify(headline)[:150].rstrip('-')}-{sequence + 1}",
            writer.summary(),
            writer.body(section.slug),
            section.id,
            author_id,
            Article.Status.DRAFT if kind == "draft" else Article.Status.PUBLISHED,
            published_at,
            kind == "lead",
            # What bulk_create would write into this auto_now field: the time of the seed.
            self.now,
        )
        return PlannedArticle(row, topic_ids, published_at, kind)

    def age_of_published_article(self):
        rng = self.rng
        roll = rng.random()
        if roll < LAST_WEEK_SHARE:
            return timedelta(minutes=rng.randint(0, 7 * 24 * 60))
        if roll < LAST_WEEK_SHARE + LAST_MONTH_SHARE:
            return timedelta(minutes=rng.randint(7 * 24 * 60, 30 * 24 * 60))
        # Denser towards the present: the newsroom has grown.
        archive_minutes = (ARCHIVE_YEARS * 365 - 30) * 24 * 60
        return timedelta(days=30, minutes=int(archive_minutes * rng.random() ** 1.5))

    def choose_topics(self, section_slug):
        rng = self.rng
        count = rng.choices(range(len(TOPIC_COUNT_WEIGHTS)), weights=TOPIC_COUNT_WEIGHTS)[0]
        own = self.topic_ids_by_section[section_slug]
        chosen = {
            rng.choice(own if rng.random() < OWN_SECTION_TOPIC_SHARE else self.all_topic_ids)
            for _ in range(count)
        }
        return list(chosen)

    def attention_weights(self, count):
        """Cumulative weights for choosing which of `count` articles get comments and saves."""
        rng = self.rng
        return list(
            accumulate(
                min(MAX_POPULARITY, rng.paretovariate(POPULARITY_SHAPE)) for _ in range(count)
            )
        )

    def reaction_time(self, published_at, mean_delay):
        """When a reader reacted to an article: soon after publication, and never in the future."""
        since_publication = (self.now - published_at).total_seconds()
        delay = self.rng.expovariate(1 / mean_delay.total_seconds())
        # Drawn every time, so the same seed makes the same choices whenever it runs.
        fallback_share = self.rng.random()
        if delay > since_publication:
            delay = fallback_share * since_publication
        return published_at + timedelta(seconds=delay)

    def compose_comments(self, articles, cumulative_weights, count):
        if not articles or not count:
            return []
        rng = self.rng
        targets = rng.choices(articles, cum_weights=cumulative_weights, k=count)
        authors = rng.choices(self.reader_ids, cum_weights=self.reader_cumulative_weights, k=count)
        return [
            (
                article_id,
                user_id,
                self.writer.comment(),
                self.reaction_time(published_at, COMMENT_DELAY_MEAN),
                rng.random() < HIDDEN_COMMENT_SHARE,
            )
            for (article_id, published_at), user_id in zip(targets, authors, strict=True)
        ]

    def compose_saves(self, articles, cumulative_weights, count):
        if not articles or not count:
            return []
        rng = self.rng
        targets = rng.choices(articles, cum_weights=cumulative_weights, k=count)
        savers = rng.choices(self.reader_ids, cum_weights=self.reader_cumulative_weights, k=count)
        rows = []
        for (article_id, published_at), user_id in zip(targets, savers, strict=True):
            # A reader saves an article once (a unique constraint); a repeat draw is dropped.
            if (user_id, article_id) in self.saved_pairs:
                continue
            self.saved_pairs.add((user_id, article_id))
            rows.append((user_id, article_id, self.reaction_time(published_at, SAVE_DELAY_MEAN)))
        return rows

    def analyze(self):
        """Refresh the query planner's statistics, so the first pages after a seed get good
        plans instead of ones made for empty tables."""
        models = [Section, Author, Topic, Article, Article.topics.through, Comment, SavedArticle]
        with connection.cursor() as cursor:
            for model in [*models, get_user_model()]:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


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


def existing_content():
    """What the newsroom tables already hold, in words ("2,000 articles"), or "" if nothing."""
    articles = Article.objects.count()
    if articles:
        return f"{articles:,} articles"
    found = [
        f"{count:,} {model._meta.verbose_name_plural}"
        for model in [Section, Author, Topic]
        if (count := model.objects.count())
    ]
    return " and ".join(found) + " (but no articles)" if found else ""


def flush_demo_content():
    """Delete everything the seed creates and return how many rows of each kind went.

    Articles, comments, topic links, saved articles, sections, authors and topics are emptied
    outright (TRUNCATE on PostgreSQL: deleting a million articles row by row would take minutes),
    then every account that is neither staff nor superuser is deleted. Staff accounts stay.
    """
    User = get_user_model()
    models = [SavedArticle, Comment, Article.topics.through, Article, Topic, Author, Section]
    deleted = {model._meta.verbose_name_plural: model.objects.count() for model in models}
    tables = [model._meta.db_table for model in models]
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )
    _, by_model = User.objects.filter(is_staff=False, is_superuser=False).delete()
    deleted["non-staff accounts"] = by_model.get(User._meta.label, 0)
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
                f"{EDITOR_PASSWORD_VARIABLE} or a new random password, printed once."
            ),
        )

    def handle(  # noqa: C901
        self, *args, articles, random_seed, flush, if_empty, demo_passwords, verbosity, **options
    ):
        if articles < 1:
            raise CommandError(f"--articles must be a positive number, not {articles}.")
        given_password = (
            DEMO_STAFF_PASSWORD if demo_passwords else os.environ.get(EDITOR_PASSWORD_VARIABLE)
        )
        if not flush and (existing := existing_content()):
            message = f"The database already has {existing}; nothing to do."
            if if_empty:
                if given_password:
                    # So that the password `make run` or `make stack` prints is the one that works.
                    set_staff_password(given_password)
                    message = f"The database already has {existing}; the staff password is set."
                if verbosity:
                    self.stdout.write(message)
                return
            raise CommandError(f"{message} Use --flush to start over.")
        staff_password = given_password or secrets.token_urlsafe(12)

        started = time.perf_counter()
        stopwatch = Stopwatch()
        with transaction.atomic():
            if flush:
                with stopwatch.phase("flush"):
                    deleted = flush_demo_content()
                if verbosity:
                    self.stdout.write(
                        "Deleted "
                        + ", ".join(f"{count:,} {name}" for name, count in deleted.items())
                        + "; staff accounts were kept."
                    )
            seeder = Seeder(
                articles,
                random_seed,
                stopwatch,
                say=self.stdout.write if verbosity else lambda message: None,
                show_progress=verbosity > 0,
                staff_password=staff_password,
            )
            counts = seeder.run()
        # Everything is committed from here on. The seed sent no model signals (see the top of the
        # module), so this is the one place to tell whatever caches the site's content.
        tags.invalidate_everything()
        if verbosity:
            self.report(
                counts, seeder.example_reader, staff_password, time.perf_counter() - started
            )
        if verbosity > 1:
            for phase, seconds in stopwatch.seconds.items():
                self.stdout.write(f"  {phase}: {seconds:.1f} s")

    def report(self, counts, example_reader, staff_password, seconds):
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
        readers = ", ".join(f"{username} / {password}" for username, password in DEMO_READERS)
        self.stdout.write(
            f"Demo accounts: {STAFF_USERNAME} / {staff_password} (admin at /admin/), {readers}"
        )
        if example_reader:
            self.stdout.write(
                f"Every generated reader (such as {example_reader}) has the password "
                f"{READER_PASSWORD}."
            )
