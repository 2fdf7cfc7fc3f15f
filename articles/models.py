"""The newsroom's content: sections, authors, topics, articles and readers' comments.

An article is visible to readers when it is published and its publication time has come;
`Article.objects.published()` is the one place that rule lives, and every reader-facing query
starts from it. Indexes match the queries in `articles/queries.py` (checked with EXPLAIN by
tests/test_postgres.py, on an archive large enough for the planner to choose as at scale).
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from articles import beacon
from newsite.reserved_paths import reserved_top_level_slugs


@lru_cache(maxsize=100_000)
def url_of(name, *args):
    """reverse(), remembered: a list of forty articles asks for some 120 URLs, and reversing
    one costs tens of microseconds. The result depends only on the arguments."""
    return reverse(name, args=args)


def validate_section_slug(slug):
    """Refuse a section slug that would shadow another top-level path, such as /search/."""
    if slug in reserved_top_level_slugs():
        raise ValidationError(
            "“%(slug)s” is already a page of the site (/%(slug)s/); choose another slug.",
            code="reserved",
            params={"slug": slug},
        )


class Section(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True, validators=[validate_section_slug])
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the navigation bar, smallest first."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_of("articles:section", self.slug)


class Author(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    role = models.CharField(max_length=100, blank=True, help_text="For example “Science editor”.")
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_of("articles:author", self.slug)


class Topic(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_of("articles:topic", self.slug)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Articles a reader may see: published, and not scheduled for later."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=200)
    # Unique by the constraint below: a unique field would get a second, unused index on
    # PostgreSQL (for LIKE 'prefix%' lookups), which costs space and time on every insert.
    slug = models.SlugField(max_length=200, db_index=False)
    summary = models.CharField(max_length=300, help_text="One or two sentences under the headline.")
    body = models.TextField(help_text="Markdown. Raw HTML is sanitised when shown.")
    # No single-column indexes on these two: the listing indexes below start with them.
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", db_index=False
    )
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="articles", db_index=False
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        default=timezone.now,
        help_text="A time in the future schedules the article: readers see it from then on.",
    )
    is_featured = models.BooleanField(
        "lead story", default=False, help_text="The newest featured article leads the home page."
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Reads counted in Redis (newsite/cache/counters.py), saved here by `manage.py
    # flush_read_counts`. Saving them never invalidates a page.
    read_count = models.PositiveIntegerField(db_default=0, editable=False)
    # Kept up to date by a database trigger on PostgreSQL (see the migration); empty on SQLite,
    # where search falls back to a plain text match.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="article_slug_unique")]
        indexes = [
            # Home page and feeds: the latest published articles.
            models.Index(fields=["status", "-published_at"], name="article_latest_idx"),
            # Section fronts and "more in this section".
            models.Index(fields=["section", "status", "-published_at"], name="article_section_idx"),
            # Author pages.
            models.Index(fields=["author", "status", "-published_at"], name="article_author_idx"),
            GinIndex(fields=["search_vector"], name="article_search_idx"),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        published = timezone.localtime(self.published_at)
        return url_of(
            "articles:article",
            self.section.slug,
            published.year,
            published.month,
            published.day,
            self.slug,
        )

    @property
    def read_beacon_url(self):
        """Where the article's page reports a read: signed, so that only articles the site has
        shown can be counted (articles/beacon.py)."""
        return url_of("articles:count-read", self.pk, beacon.signature(self.pk))

    @classmethod
    def from_db(cls, db, field_names, values):
        article = super().from_db(db, field_names, values)
        # What the article was when loaded: when it moves (another section, author, slug, time),
        # the signal handlers invalidate the places it left as well as those it joins.
        article.loaded_values = dict(zip(field_names, values, strict=True))
        return article

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.published_at > timezone.now()


class Comment(models.Model):
    # Indexed by comment_article_idx below, which starts with this column.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    is_hidden = models.BooleanField(
        default=False, help_text="Hidden comments are kept but no longer shown to readers."
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["article", "is_hidden", "created_at"], name="comment_article_idx"),
            # "Most discussed": recent visible comments grouped by article.
            models.Index(fields=["created_at", "article"], name="comment_recent_idx"),
        ]

    def __str__(self):
        return f"Comment by {self.user} on “{self.article}”"


class SavedReadBatch(models.Model):
    """A batch of article reads that `flush_read_counts` has added to Article.read_count.

    It is recorded in the same transaction as the counts, so a batch seen again (the command
    died before Redis forgot it, or Redis came back from an older snapshot) is never added
    twice. Kept for a week, then deleted by the command.
    """

    batch_id = models.CharField(max_length=32, primary_key=True)
    saved_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"Reads batch {self.batch_id}, saved {self.saved_at:%Y-%m-%d %H:%M}"
