"""Invalidation by signals: each way content changes names the tags it touches, and only that.

The tags (articles/cache_tags.py) are invalidated after the transaction commits, in every cache
layer and at the edge (newsite/cache/tags.py). The rule for contributors: code that changes
content without sending these signals (QuerySet.update(), bulk_create(), raw SQL, the seed
command) must call `tags.invalidate()` itself, with the tags named here; see CommentAdmin's
actions, which update in bulk, for an example. QuerySet.delete() needs nothing more: while
receivers listen, Django fetches the rows and sends pre_delete and post_delete for each.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from articles import cache_tags
from articles.models import Article, Author, Comment, Section, Topic
from newsite.cache import tags

PLACEMENT_FIELDS = ("slug", "section_id", "author_id", "status", "published_at")


def placement_tags(placement, topic_ids=()):
    """Where an article (as described by `placement`) is shown: its page and every list."""
    return {
        cache_tags.article(placement["slug"]),
        cache_tags.section(placement["section_id"]),
        cache_tags.author(placement["author_id"]),
        cache_tags.HOME,
        *(cache_tags.topic(topic_id) for topic_id in topic_ids),
    }


def is_scheduled(placement):
    return (
        placement["status"] == Article.Status.PUBLISHED
        and placement["published_at"] > timezone.now()
    )


def article_tags(article, previous=None):
    """The tags to invalidate when `article` changes from `previous` (a placement) or is new."""
    current = {field: getattr(article, field) for field in PLACEMENT_FIELDS}
    topic_ids = list(article.topics.values_list("pk", flat=True)) if article.pk else []
    touched = placement_tags(current, topic_ids)
    if previous:
        touched |= placement_tags(previous)
    # Only a scheduled article moves the time of the next publication, which every list
    # expires at: an ordinary edit leaves lists of other sections alone.
    if is_scheduled(current) or (previous and is_scheduled(previous)):
        touched.add(cache_tags.SCHEDULE)
    return touched


def _loaded_placement(article):
    loaded = getattr(article, "loaded_values", {})
    if not all(field in loaded for field in PLACEMENT_FIELDS):
        return None
    return {field: loaded[field] for field in PLACEMENT_FIELDS}


@receiver(post_save, sender=Article)
def article_saved(sender, instance, **kwargs):
    tags.invalidate(article_tags(instance, previous=_loaded_placement(instance)))
    # A second save of the same object moves it from here, not from where it was loaded.
    instance.loaded_values = {field: getattr(instance, field) for field in PLACEMENT_FIELDS}


@receiver(pre_delete, sender=Article)
def article_deleted(sender, instance, **kwargs):
    # Before the delete, while its topics are still linked; invalidated only if it commits.
    tags.invalidate(article_tags(instance))


@receiver(m2m_changed, sender=Article.topics.through)
def article_topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # post_clear does not say which topics were removed: note them now.
        instance.topics_before_clear = list(
            (instance.articles if reverse else instance.topics).values_list("pk", flat=True)
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    changed = pk_set if action != "post_clear" else instance.topics_before_clear
    if reverse:  # topic.articles.add(article, …)
        slugs = Article.objects.filter(pk__in=changed).values_list("slug", flat=True)
        touched = {cache_tags.topic(instance.pk)} | {cache_tags.article(slug) for slug in slugs}
    else:  # article.topics.add(topic, …)
        touched = {cache_tags.article(instance.slug)}
        touched |= {cache_tags.topic(topic_id) for topic_id in changed}
    tags.invalidate(touched)


@receiver([post_save, post_delete], sender=Section)
def section_changed(sender, instance, **kwargs):
    tags.invalidate([cache_tags.SECTIONS, cache_tags.section(instance.pk)])


@receiver([post_save, post_delete], sender=Author)
def author_changed(sender, instance, **kwargs):
    tags.invalidate([cache_tags.AUTHORS, cache_tags.author(instance.pk)])


@receiver([post_save, post_delete], sender=Topic)
def topic_changed(sender, instance, **kwargs):
    tags.invalidate([cache_tags.TOPICS, cache_tags.topic(instance.pk)])


def comment_tags(article_ids):
    return {cache_tags.COMMENTS, *(cache_tags.comments_of(pk) for pk in article_ids)}


@receiver([post_save, post_delete], sender=Comment)
def comment_changed(sender, instance, **kwargs):
    tags.invalidate(comment_tags([instance.article_id]))
