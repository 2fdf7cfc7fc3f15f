"""The caching toolkit of newsite: one module per technique of High Performance Django.

tags (the one idea: tags and generations), queries (query cache), fragments (fragment cache),
pages (page cache), edge (headers for the edge cache), includes (per-reader fragments by ESI or
AJAX), counters (hot counters in Redis), timing (Server-Timing) and panel (debug toolbar),
backend (timed, resilient cache backends), layers (switches). docs/caching.md tells the story.
"""
