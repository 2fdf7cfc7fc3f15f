"""A debug-toolbar panel: the tags a response was built from, and every cache lookup it made.

Open any page with DEBUG on and look under "Cache tags": which query results, fragments and
page came from the cache, which were computed, and the Surrogate-Key the edge receives.
"""

from debug_toolbar.panels import Panel


class CacheTagsPanel(Panel):
    title = "Cache tags"
    template = "debug_toolbar/panels/cache_tags.html"

    @property
    def nav_subtitle(self):
        stats = self.get_stats()
        if not stats:
            return ""
        hits = sum(1 for _, _, outcome in stats["lookups"] if outcome != "miss")
        return f"{hits} of {len(stats['lookups'])} lookups from cache"

    def generate_stats(self, request, response):
        collected = getattr(request, "cache_tags", None)
        timings = getattr(request, "timings", None)
        self.record_stats(
            {
                "tags": sorted((collected.generations if collected else {}).items()),
                "expires_at": collected.expires_at if collected else None,
                "lookups": timings.lookups if timings else [],
                "surrogate_key": response.get("Surrogate-Key", ""),
                "cache_control": response.get("Cache-Control", ""),
                "server_timing": response.get("Server-Timing", ""),
            }
        )

    def get_headers(self, request):
        # The toolbar replaces the Server-Timing header with its panels' own figures; hand it
        # ours to keep (it joins the values of every panel).
        return {"Server-Timing": self.get_stats().get("server_timing", "")}
