"""Invalidation for the per-reader data the fragments cache (accounts/readers.py), and for the
reader's fragments the edge keeps per session: both carry the tag `reader:<id>`."""

from django.contrib.auth import get_user_model, user_logged_out
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


@receiver(user_logged_out)
def reader_signed_out(sender, request, user, **kwargs):
    # The signed-out session's fragments go from every edge node: its cookie, sent again, must
    # bring back nothing of the reader. (Signing in saves last_login: reader_changed.)
    if user is not None:
        tags.invalidate([reader_tag(user.pk)])
