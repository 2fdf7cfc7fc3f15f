"""Tags and generations: the one idea behind every invalidation in newsite.

Whatever is cached (a query result, a fragment, a whole page) records the tags of the data it
was built from, such as `article:42` or `section:3`, and the generation each tag had *before*
that data was read. Invalidating a tag bumps its generation, so everything built from the old
one stops matching at once: no key is looked up, enumerated or deleted.

Tags flow up: while a response is built, every tag registered by a query is also recorded by
each fragment being rendered around it and by the response itself (`collect`), which the page
cache stores and the edge receives as a Surrogate-Key header.

A generation counter can always be recreated (see `new_generation`), so every counter carries
a TTL (NEWSITE_GENERATION_TTL) and none outlives its use: tags named after what visitors type
(`article:<slug from the URL>`) must not fill the cache. A lookup that finds nothing removes
the counters it created (`forget_created`), so a made-up URL leaves nothing behind at all.
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from newsite.cache.backend import CacheUnavailable, outage

logger = logging.getLogger(__name__)


def generation_key(tag):
    return f"generation:{tag}"


def new_generation():
    """A starting value above anything the counter held before it was lost.

    Counters start at the current time in nanoseconds and grow by one per invalidation, so a
    counter that disappears (Redis restarted, or evicted it) comes back higher than any value
    it had, and nothing cached against an old value can match again.
    """
    return time.time_ns()


# Generations already read during this request: a page asks about the same few tags again and
# again (every fragment of the home page carries `sections`), but reads each once.
_known_generations: ContextVar[dict | None] = ContextVar("known_generations", default=None)
# Query results already fetched during this request (see newsite/cache/queries.py).
_results: ContextVar[dict | None] = ContextVar("results", default=None)


def request_results():
    """This request's memo of query results, or None outside a request."""
    return _results.get()


# Tags that nearly every page reads (see `read_together`).
_read_together = set()


def read_together(*tags):
    """Declare tags that nearly every page depends on: a request reads their generations in its
    first round trip to the cache, whatever it asks for, instead of one more trip later."""
    _read_together.update(tags)


# Other cache keys read in the same round trip as every read of generations, and what this
# request found under them: a value that must be at least as new as any generation the request
# saw (the replicas' fence, newsite/replicas.py).
_read_along_keys = []
_read_along_values: ContextVar[dict | None] = ContextVar("read_along_values", default=None)
NOT_READ = object()


def read_along(key):
    """Read the cache key `key` with every read of generations, in the same round trip."""
    _read_along_keys.append(key)


def value_read_along(key):
    """What the last read of generations in this request found under `key` (None if nothing),
    or NOT_READ if there was none (or this is no request)."""
    values = _read_along_values.get()
    return NOT_READ if values is None else values.get(key, NOT_READ)


def current_generations(tags, created=None):
    """The current generation of each tag, in one round trip to the cache at most.

    A tag seen for the first time starts at `new_generation()`, with a TTL; the counters this
    call started for `tags` are added to the dict `created`, if one is given (see
    `forget_created`). While the cache is down, every generation reads as None, which matches
    nothing stored, so nothing cached is trusted.
    """
    known = _known_generations.get()
    first_in_request = known == {}
    known = {} if known is None else known
    missing = {tag for tag in tags if tag not in known}
    if missing and first_in_request:
        missing |= _read_together
    missing = sorted(missing)
    if missing:
        found = cache.get_many([generation_key(tag) for tag in missing] + _read_along_keys)
        along = _read_along_values.get()
        if along is not None:
            along.update((key, found.get(key)) for key in _read_along_keys)
        for tag in missing:
            generation = found.get(generation_key(tag))
            if generation is None and cache.add(
                generation_key(tag), new_generation(), settings.NEWSITE_GENERATION_TTL
            ):
                generation = cache.get(generation_key(tag))
                if created is not None and generation is not None and tag in tags:
                    created[tag] = generation
            known[tag] = generation
    return {tag: known[tag] for tag in tags}


def forget_created(created):
    """Remove the generation counters in `created` ({tag: generation}), started by a lookup
    that then found nothing: nothing was built from them, and made-up keys must not fill the
    cache.

    Removing a counter can only cause misses, but it could hide an invalidation from the edge
    check (`changed_since_read`): so a counter is removed only if it still holds the generation
    that was read (one atomic step), and an edit that moved it meanwhile is left in place. In
    this request a removed tag then reads as None, like a cache that failed: nothing built
    from it is stored, and its absence matches the absence the edge check will find.
    """
    known = _known_generations.get()
    for tag, generation in created.items():
        if not cache.delete_if_equal(generation_key(tag), generation):
            continue
        if known is not None:
            known[tag] = None
        for collected in _collecting.get():
            if collected.generations.get(tag) == generation:
                collected.generations[tag] = None


# Invalidations that could not reach the cache: retried as soon as it answers again, before
# anything is read from it.
_missed = set()
_missed_everything = False


@outage.on_recovery
def retry_missed_invalidations():
    if _missed_everything:
        logger.warning("Forgetting every generation, missed while the cache was down.")
        forget_every_generation()
    if _missed:
        logger.warning("Invalidating %s, missed while the cache was down.", ", ".join(_missed))
        bump([])


def bump(tags):
    """Give each tag a new generation. Each counter moves atomically (INCR in Redis).

    Raises CacheUnavailable if the cache is down; the tags are then kept and bumped as soon as
    it answers again, so an edit made during an outage is not forgotten (if this process ends
    first, the TTLs bound how long other processes may serve what it built before).
    """
    tags = sorted(set(tags) | _missed)
    try:
        for prepare in _before_bump:
            prepare()
    except CacheUnavailable:
        _missed.update(tags)
        raise
    for index, tag in enumerate(tags):
        key = generation_key(tag)
        try:
            try:
                cache.incr(key)
            except ValueError:  # no counter yet, or it was lost: start one (or join a racer)
                if not cache.add(key, new_generation(), settings.NEWSITE_GENERATION_TTL):
                    cache.incr(key)
        except CacheUnavailable:
            _missed.update(tags[index:])
            raise
        _missed.discard(tag)
    known = _known_generations.get()
    if known is not None:
        for tag in tags:
            known.pop(tag, None)


_before_bump = []


def before_bump(listener):
    """Call `listener()` before any generation moves: what every page built under the new
    generations may rely on is set up there (the replicas' fence). It raises CacheUnavailable
    to put the bump off until the cache answers again. Usable as a decorator."""
    _before_bump.append(listener)
    return listener


_invalidation_listeners = []


def on_invalidate(listener):
    """Call `listener(tags)` after every invalidation: how layers outside Django (the edge) hear
    of it. Usable as a decorator."""
    _invalidation_listeners.append(listener)
    return listener


def invalidate(tags):
    """Invalidate `tags` in every layer once the current transaction commits.

    Never before: a reader who fetched the old rows between the bump and the commit would cache
    them again under the new generation. Inner layers go first (the generations in the cache),
    then the listeners (the edge), so a page the edge fetches again is built fresh.
    """
    tags = sorted(set(tags))
    if tags:
        transaction.on_commit(lambda: invalidate_now(tags), robust=True)


# Listeners receive this instead of a list of tags when everything must go.
EVERYTHING = "*"


def invalidate_everything():
    """After a bulk load that no signal describes (the seed): once the transaction commits,
    forget every generation, and tell the edge.

    Never a clear() of the cache: the Redis that holds the generations also holds what is not
    a copy of anything, such as read counts not yet saved, sessions and rate limits. (The one
    place where keys are enumerated, a batch at a time: after a bulk load, never per request.)
    """

    def invalidate():
        try:
            forget_every_generation()
        except CacheUnavailable:
            logger.warning("Could not forget the generations: the cache is down; will retry.")
        for listener in _invalidation_listeners:
            listener([EVERYTHING])

    transaction.on_commit(invalidate, robust=True)


def forget_every_generation():
    """Delete every generation counter: each comes back higher than it was (`new_generation`),
    so nothing cached before matches again. Raises CacheUnavailable if the cache is down; it is
    then done again as soon as the cache answers."""
    global _missed_everything
    _missed_everything = True  # owed until it has succeeded
    cache.delete_pattern(generation_key("*"))
    _missed_everything = False
    _missed.clear()
    known = _known_generations.get()
    if known is not None:
        known.clear()


def invalidate_now(tags):
    try:
        bump(tags)
    except CacheUnavailable:
        logger.warning("Could not invalidate %s: the cache is down; will retry.", ", ".join(tags))
    for listener in _invalidation_listeners:
        listener(tags)


# ------------------------------------------------------------------------------
# Collecting the tags of what a response (or a fragment) is built from
# ------------------------------------------------------------------------------
@dataclass
class Collected:
    """The tags something was built from, with the generation each had when first read."""

    generations: dict[str, int | None] = field(default_factory=dict)
    # When the result stops being true by itself: the next scheduled publication.
    expires_at: datetime | None = None

    def add(self, generations, expires_at=None):
        for tag, generation in generations.items():
            # Keep the first generation seen: the data was read under that one.
            self.generations.setdefault(tag, generation)
        if expires_at is not None and (self.expires_at is None or expires_at < self.expires_at):
            self.expires_at = expires_at

    @property
    def tags(self):
        return sorted(self.generations)

    @property
    def is_complete(self):
        """False if a generation could not be read (the cache was down): nothing to store."""
        return None not in self.generations.values()


_collecting: ContextVar[tuple[Collected, ...]] = ContextVar("collecting", default=())


@contextmanager
def collect():
    """Record every tag registered inside the block (as well as in the blocks around it)."""
    collected = Collected()
    token = _collecting.set((*_collecting.get(), collected))
    try:
        yield collected
    finally:
        _collecting.reset(token)


def register(generations, expires_at=None):
    """Tell the response, and every fragment being rendered, what they are built from."""
    for collected in _collecting.get():
        collected.add(generations, expires_at)


def depends_on(tags, expires_at=None):
    """Register tags for data read next without the query cache (the sitemap framework's own
    queries, say): read their generations now, before the data."""
    register(current_generations(tags), expires_at)


def is_current(collected):
    """True if every tag still has its recorded generation and nothing has expired."""
    if collected.expires_at is not None and collected.expires_at <= timezone.now():
        return False
    return collected.is_complete and current_generations(collected.generations) == (
        collected.generations
    )


def changed_since_read(collected):
    """True if a tag was invalidated after `collected` read it (a commit during the render).

    Asks the cache afresh, past this request's memo of generations, in one round trip.
    """
    if not collected.generations:
        return False
    found = cache.get_many([generation_key(tag) for tag in collected.generations])
    return any(
        found.get(generation_key(tag)) != generation
        for tag, generation in collected.generations.items()
    )


class CollectTagsMiddleware:
    """Collect the tags of everything a response is built from, in `request.cache_tags`.

    Outermost of the cache middleware: the page cache and the edge headers read what it
    collects. It also scopes the per-request memos: each tag's generation and each query's
    result are read from the cache at most once per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        generations_token = _known_generations.set({})
        results_token = _results.set({})
        along_token = _read_along_values.set({})
        try:
            with collect() as collected:
                request.cache_tags = collected
                return self.get_response(request)
        finally:
            _read_along_values.reset(along_token)
            _results.reset(results_token)
            _known_generations.reset(generations_token)
