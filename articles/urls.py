from django.urls import path, register_converter

from articles import feeds, views


class FourDigitYear:
    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:04d}"


class TwoDigitNumber:
    regex = "[0-9]{2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:02d}"


register_converter(FourDigitYear, "yyyy")
register_converter(TwoDigitNumber, "dd")

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("authors/<slug:slug>/", views.author, name="author"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("comments/<int:article_id>/", views.post_comment, name="post-comment"),
    path("-/read/<int:article_id>/<str:signature>/", views.count_read, name="count-read"),
    path("feeds/latest/", feeds.LatestArticlesFeed(), name="feed-latest"),
    path("feeds/latest/atom/", feeds.LatestArticlesAtomFeed(), name="feed-latest-atom"),
    path("<slug:section>/", views.section, name="section"),
    path("<slug:section>/feed/", feeds.SectionFeed(), name="feed-section"),
    path(
        "<slug:section>/<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/",
        views.article,
        name="article",
    ),
]
