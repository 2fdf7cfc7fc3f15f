from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"

    def ready(self):
        from articles import cache_tags, signals  # noqa: F401 -- connects the handlers
        from newsite.cache import tags

        # Every page shows section and author names and lists live articles.
        tags.read_together(
            cache_tags.SECTIONS, cache_tags.AUTHORS, cache_tags.SCHEDULE, cache_tags.HOME
        )
