"""Invalidation for the per-reader data the fragments cache (accounts/readers.py)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import SavedArticle
from accounts.readers import reader_tag
from newsite.cache import tags


@receiver([post_save, post_delete], sender=SavedArticle)
def saved_articles_changed(sender, instance, **kwargs):
    tags.invalidate([reader_tag(instance.user_id)])


@receiver([post_save, post_delete], sender=get_user_model())
def reader_changed(sender, instance, **kwargs):
    # A new name, a new password (which signs the reader's other sessions out), deactivation.
    tags.invalidate([reader_tag(instance.pk)])
