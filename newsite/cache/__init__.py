"""The caching toolkit of newsite: one module per technique of High Performance Django.

tags (the one idea: tags and generations), queries (query cache), fragments (fragment cache),
pages (page cache), canonical (one URL per shared page), edge (headers for the edge cache),
purging, purge_backends and purge_queue (bans at every edge and the CDN, owed in Redis),
includes (per-reader fragments by ESI or AJAX), counters (hot counters in Redis), timing
(Server-Timing) and panel (debug toolbar), metrics and exporter (Prometheus), backend (timed,
resilient cache backends), layers (switches). docs/caching.md tells the story.
"""
