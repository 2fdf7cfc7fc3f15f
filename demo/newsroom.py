"""The demo newsroom: sections, topics, authors, then articles a chunk at a time, each chunk with
its topics and its readers' comments. All of it is what every reader shares.

When articles were published, what kind they are and how much attention they draw is decided
here; what they say is the writer's job (writer.py), and the rows go in through bulk.py.
"""

from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from django.utils.text import slugify

from articles.models import Article, Author, Comment, Section, Topic
from demo.bulk import BulkWriter
from demo.content import GENERAL_ROLES, OUTLETS, SECTIONS, WORDS

# Articles composed and inserted together: enough that round trips do not matter, few enough that
# memory stays flat (about 120 MB for the whole process, even at a million articles).
ARTICLES_PER_CHUNK = 2_000

COMMENTS_PER_ARTICLE = 3
MAX_COMMENTS = 3_000_000
HIDDEN_COMMENT_SHARE = 0.03

# When articles were published: a share in the last week and the last month, as a newsroom
# publishes every day, so that the home page's newest stories and its "most discussed" rail (over
# the newest comments, which readers write soon after publication) show this week's news; the
# rest over the archive, thinning out towards its start.
LAST_WEEK_SHARE = 0.05
LAST_MONTH_SHARE = 0.10
ARCHIVE_YEARS = 6
# What an article is: a draft, scheduled (published, but for later), a lead story (featured) or
# an ordinary published one; with their shares.
ARTICLE_KINDS = {"draft": 0.003, "scheduled": 0.001, "lead": 0.035, "published": 0.961}
# The first articles make sure even a tiny seed shows every case: a lead story on each of the
# last three days, two scheduled articles and two drafts. Later ones are drawn at random.
FIRST_ARTICLE_KINDS = ["lead", "lead", "lead", "scheduled", "scheduled", "draft", "draft"]
# Article kinds that readers can see (the others are drafts and scheduled).
LIVE_KINDS = {"lead", "published"}
# Topics per article: the chances of 0, 1, 2, 3 and 4; and the share of them taken from its own
# section's topics (the rest from any section's).
TOPIC_COUNT_WEIGHTS = [10, 30, 30, 20, 10]
OWN_SECTION_TOPIC_SHARE = 0.8
# The share of articles written by the writers who appear in every section (GENERAL_ROLES).
COLUMNIST_SHARE = 0.08
# How much attention (comments, saves) an article draws: most a little, a few a great deal (a
# Pareto distribution), capped so that one article cannot take a whole chunk's share. Readers
# react soon after publication, so the last week's comments are on the last week's articles.
POPULARITY_SHAPE = 1.5
MAX_POPULARITY = 30.0
COMMENT_DELAY_MEAN = timedelta(hours=6)

# The Article fields the seed writes, in the order of PlannedArticle.row.
ARTICLE_COLUMNS = [
    "headline", "slug", "summary", "body", "section_id", "author_id", "status", "published_at",
    "is_featured", "updated_at",
]  # fmt: skip
# The full-text index, built once after the load (bulk.index_dropped).
SEARCH_INDEX_NAME = "article_search_idx"
# What newsroom.py fills, in an order that lets them be emptied together (--flush), and for the
# planner's statistics.
NEWSROOM_MODELS = [Comment, Article.topics.through, Article, Topic, Author, Section]

# An article composed but not yet inserted: its row, its topics and what comments and saves need.
PlannedArticle = namedtuple("PlannedArticle", ["row", "topic_ids", "published_at", "kind"])


@dataclass
class Chunk:
    """Articles just inserted, `start` to `end` of `total`: what readers react to."""

    start: int
    end: int
    total: int
    # (id, published_at) of the articles readers can see, and the cumulative weights of the
    # attention each draws.
    live: list
    attention: list

    def share_of(self, amount):
        """This chunk's part of `amount`; the parts of all the chunks add up to it."""
        return amount * self.end // self.total - amount * self.start // self.total


def reaction_time(rng, now, published_at, mean_delay):
    """When a reader reacted to an article: soon after publication, and never in the future."""
    since_publication = (now - published_at).total_seconds()
    delay = rng.expovariate(1 / mean_delay.total_seconds())
    # Drawn every time, so the same seed makes the same choices whenever it runs.
    fallback_share = rng.random()
    if delay > since_publication:
        delay = fallback_share * since_publication
    return published_at + timedelta(seconds=delay)


def lower_first(text):
    """Lower-case the first letter ("science editor"), unless it starts an acronym ("AI")."""
    return text if text[:2].isupper() else text[0].lower() + text[1:]


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


class Newsroom:
    """Creates the sections, topics and authors, then publishes the articles."""

    def __init__(self, article_count, rng, writer, now, stopwatch, readers):
        self.article_count = article_count
        self.rng = rng
        self.writer = writer
        self.now = now
        self.stopwatch = stopwatch
        # Who comments: readers.Readers, whose accounts exist by now.
        self.readers = readers
        self.comment_count = min(MAX_COMMENTS, article_count * COMMENTS_PER_ARTICLE)
        # Articles are published on the minute, as a newsroom's system would.
        self.article_clock = now.replace(second=0, microsecond=0)
        self.counts = Counter()

    def create_desks(self):
        """The sections, the topics and the authors, each author on a section's desk or on none
        (the columnists)."""
        self.sections = Section.objects.bulk_create(
            Section(
                name=section.name,
                slug=section.slug,
                description=section.description,
                position=position,
            )
            for position, section in enumerate(SECTIONS, start=1)
        )
        self.section_cumulative_weights = list(accumulate(section.share for section in SECTIONS))
        topics = Topic.objects.bulk_create(
            Topic(name=name, slug=slugify(name)) for section in SECTIONS for name in section.topics
        )
        self.topic_names = {topic.id: topic.name for topic in topics}
        topic_ids = {topic.name: topic.id for topic in topics}
        self.topic_ids_by_section = {
            section.slug: [topic_ids[name] for name in section.topics] for section in SECTIONS
        }
        self.all_topic_ids = [topic.id for topic in topics]
        self.topic_names_by_section = {section.slug: section.topics for section in SECTIONS}
        authors = self.create_authors()
        self.counts.update(sections=len(self.sections), topics=len(topics), authors=len(authors))

    def create_authors(self):
        desks = [(section.slug, role) for section in SECTIONS for role in section.roles]
        desks += [(None, role) for role in GENERAL_ROLES]
        authors, slugs = [], set()
        for desk, role in desks:
            name = self.writer.full_name()
            slug = slugify(name)
            while slug in slugs:
                name = self.writer.full_name()
                slug = slugify(name)
            slugs.add(slug)
            authors.append(
                (desk, Author(name=name, slug=slug, role=role, bio=self.bio(name, role)))
            )
        Author.objects.bulk_create(author for _, author in authors)
        self.author_ids_by_section = defaultdict(list)
        for desk, author in authors:
            self.author_ids_by_section[desk].append(author.id)
        return authors

    def bio(self, name, role):
        rng = self.rng
        first_name = name.split()[0]
        return (
            f"{name} is the Daily Cache's {lower_first(role)}. {first_name} joined in "
            f"{rng.randint(1998, 2023)} from {rng.choice(OUTLETS)} and has reported from "
            f"{rng.choice(WORDS['place'])} and {rng.choice(WORDS['foreign_city'])}."
        )

    def publish_articles(self):
        """Insert the articles a chunk at a time, each chunk followed by its topic links and
        comments, and yield each chunk (a Chunk) for the readers' saves."""
        articles = BulkWriter(Article, ARTICLE_COLUMNS)
        topic_links = BulkWriter(Article.topics.through, ["article_id", "topic_id"])
        comments = BulkWriter(Comment, ["article_id", "user_id", "body", "created_at", "is_hidden"])
        total = self.article_count
        stopwatch = self.stopwatch
        for start in range(0, total, ARTICLES_PER_CHUNK):
            end = min(start + ARTICLES_PER_CHUNK, total)
            with stopwatch.phase("composing articles"):
                planned = [self.compose_article(sequence) for sequence in range(start, end)]
            with stopwatch.phase("inserting articles"):
                article_ids = articles.insert([plan.row for plan in planned], returning_ids=True)
            with stopwatch.phase("composing topics, comments and saves"):
                published = list(zip(article_ids, planned, strict=True))
                link_rows = [
                    (article_id, topic_id)
                    for article_id, plan in published
                    for topic_id in plan.topic_ids
                ]
                live = [
                    (article_id, plan.published_at)
                    for article_id, plan in published
                    if plan.kind in LIVE_KINDS
                ]
                chunk = Chunk(start, end, total, live, self.attention_weights(len(live)))
                comment_rows = self.compose_comments(chunk, chunk.share_of(self.comment_count))
            with stopwatch.phase("inserting topic links"):
                topic_links.insert(link_rows)
            with stopwatch.phase("inserting comments"):
                comments.insert(comment_rows)
            self.count(planned, link_rows, comment_rows)
            yield chunk

    def count(self, planned, link_rows, comment_rows):
        self.counts.update(plan.kind for plan in planned)
        self.counts["articles"] += len(planned)
        self.counts["topic links"] += len(link_rows)
        self.counts["comments"] += len(comment_rows)
        self.counts["hidden comments"] += sum(hidden for *_, hidden in comment_rows)

    def compose_article(self, sequence):
        rng = self.rng
        writer = self.writer
        section = rng.choices(self.sections, cum_weights=self.section_cumulative_weights)[0]
        topic_ids = self.choose_topics(section.slug)
        topic_name = (
            self.topic_names[topic_ids[0]]
            if topic_ids
            else rng.choice(self.topic_names_by_section[section.slug])
        )
        headline = writer.headline(section.slug, topic_name)
        desk = None if rng.random() < COLUMNIST_SHARE else section.slug
        author_id = rng.choice(self.author_ids_by_section[desk])
        kind = self.article_kind(sequence)
        published_at = self.publication_time(sequence, kind)
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

    def article_kind(self, sequence):
        if sequence < len(FIRST_ARTICLE_KINDS):
            return FIRST_ARTICLE_KINDS[sequence]
        return self.rng.choices(list(ARTICLE_KINDS), weights=ARTICLE_KINDS.values())[0]

    def publication_time(self, sequence, kind):
        rng = self.rng
        clock = self.article_clock
        if kind == "lead" and sequence < len(FIRST_ARTICLE_KINDS):
            return clock - timedelta(days=sequence, minutes=rng.randint(30, 600))
        if kind == "scheduled":
            return clock + timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        if kind == "draft":
            return clock - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        return clock - self.age_of_published_article()

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

    def compose_comments(self, chunk, count):
        if not chunk.live or not count:
            return []
        rng = self.rng
        targets = rng.choices(chunk.live, cum_weights=chunk.attention, k=count)
        authors = self.readers.choose(count)
        return [
            (
                article_id,
                user_id,
                self.writer.comment(),
                reaction_time(rng, self.now, published_at, COMMENT_DELAY_MEAN),
                rng.random() < HIDDEN_COMMENT_SHARE,
            )
            for (article_id, published_at), user_id in zip(targets, authors, strict=True)
        ]
