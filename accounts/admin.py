from django.contrib import admin

from accounts.models import SavedArticle


@admin.register(SavedArticle)
class SavedArticleAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "saved_at"]
    list_select_related = ["user", "article"]
    raw_id_fields = ["user", "article"]
    search_fields = ["user__username", "article__headline"]
    show_full_result_count = False
