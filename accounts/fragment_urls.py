"""The per-reader fragments, under /_fragments/, included in pages by `{% include_fragment %}`."""

from django.urls import path

from accounts import fragments

app_name = "fragments"

urlpatterns = [
    path("personal-bar/", fragments.personal_bar, name="personal-bar"),
    path("messages/", fragments.flash_messages, name="messages"),
    path("save-button/<int:article_id>/", fragments.save_button, name="save-button"),
    path("comment-form/<int:article_id>/", fragments.comment_form, name="comment-form"),
]
