from django.apps import AppConfig


class CacheConfig(AppConfig):
    name = "newsite.cache"
    label = "newsite_cache"
    verbose_name = "Caching toolkit"

    def ready(self):
        # Ban invalidated tags at the edge after every commit, in every process that changes
        # content: web workers, but also `manage.py shell`, cron jobs and tests.
        from newsite.cache import purging  # noqa: F401
