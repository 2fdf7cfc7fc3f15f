"""What a reader keeps: the articles they saved to read later."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article


class SavedArticle(models.Model):
    # Indexed by saved_by_user_idx below, which starts with this column.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_articles",
        db_index=False,
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="saves")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-saved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="saved_article_once"),
        ]
        indexes = [models.Index(fields=["user", "-saved_at"], name="saved_by_user_idx")]

    def __str__(self):
        return f"{self.user} saved “{self.article}”"
