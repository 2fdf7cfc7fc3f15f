"""The fragments under /_fragments/, included in pages by `{% include_fragment %}`.

Those under shared/ are the same for every reader with a session (and for every anonymous
visitor): the edge caches them. The others are a reader's own, fetched for each page view.
"""

from django.urls import path

from accounts import fragments

app_name = "fragments"

urlpatterns = [
    path("personal-bar/", fragments.personal_bar, name="personal-bar"),
    path("save-button/<int:article_id>/", fragments.save_button, name="save-button"),
    path("shared/comment-form/<int:article_id>/", fragments.comment_form, name="comment-form"),
]
