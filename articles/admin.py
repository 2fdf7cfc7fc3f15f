"""The newsroom: the Django admin, set up for editors.

Change lists select their related rows in the same query (`list_select_related`), so a list of
100 articles costs the same number of queries as a list of 10. Edits made here reach readers at
once through the signal handlers (articles/signals.py); bulk actions invalidate explicitly.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from articles.models import Article, Author, Comment, Section, Topic
from articles.signals import comment_tags
from newsite.cache import tags


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "role"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class PublicationStateFilter(admin.SimpleListFilter):
    """Draft, scheduled (published with a time still to come) or live."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("live", "Live")]

    def queryset(self, request, queryset):
        now = timezone.now()
        published = Q(status=Article.Status.PUBLISHED)
        if self.value() == "draft":
            return queryset.filter(status=Article.Status.DRAFT)
        if self.value() == "scheduled":
            return queryset.filter(published, published_at__gt=now)
        if self.value() == "live":
            return queryset.filter(published, published_at__lte=now)
        return queryset


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "author", "state", "published_at", "is_featured"]
    list_filter = [PublicationStateFilter, "section", "is_featured", "published_at"]
    list_select_related = ["section", "author"]
    search_fields = ["headline", "summary"]
    autocomplete_fields = ["author", "topics"]
    prepopulated_fields = {"slug": ["headline"]}
    date_hierarchy = "published_at"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["headline", "slug", "summary", "body"]}),
        ("Placement", {"fields": ["section", "author", "topics", "is_featured"]}),
        ("Publication", {"fields": ["status", "published_at"]}),
    ]

    @admin.display(description="State")
    def state(self, article):
        if article.status == Article.Status.DRAFT:
            return "Draft"
        return "Scheduled" if article.is_scheduled else "Live"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["article", "user", "created_at", "is_hidden"]
    list_filter = ["is_hidden", "created_at"]
    list_select_related = ["article", "user"]
    search_fields = ["body", "user__username"]
    raw_id_fields = ["article", "user"]
    actions = ["hide_comments", "show_comments"]
    show_full_result_count = False

    @admin.action(description="Hide the selected comments from readers")
    def hide_comments(self, request, queryset):
        self.set_hidden(queryset, True)

    @admin.action(description="Show the selected comments again")
    def show_comments(self, request, queryset):
        self.set_hidden(queryset, False)

    def set_hidden(self, queryset, is_hidden):
        # update() sends no signals: invalidate what the comment signals would have.
        article_ids = set(queryset.values_list("article_id", flat=True))
        queryset.update(is_hidden=is_hidden)
        tags.invalidate(comment_tags(article_ids))
