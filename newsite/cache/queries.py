"""Query cache: keep a query's result for as long as the data behind it is unchanged.

    cached_query("section-front:3:page:2", tags=["section:3", "authors"], compute=…)

The result is stored with the generations its tags had *before* it was computed, and served
while they still have them: an invalidation makes it a miss at once. The TTL (jittered by ±20 %
so that entries written together do not expire together) is only a safety net. When an entry
expires under load, one request recomputes it while the others are served the previous result;
when it was invalidated there is no previous result worth serving, so they wait for the one.

A lookup by something a visitor chose (a slug in the URL, `lookup=True`) can be asked for any
number of things that do not exist: finding nothing (None) stores nothing, and removes the
generation counters started for it, so that made-up URLs leave no trace in the cache.
"""

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from newsite.cache import layers, timing
from newsite.cache.backend import outage
from newsite.cache.tags import (
    Collected,
    collect,
    current_generations,
    forget_created,
    is_current,
    register,
    request_results,
)

DEFAULT_TIMEOUT = 600
JITTER = 0.2
# How long a recomputation may hold its lock, and how long others wait for it before giving
# up and computing the result themselves.
LOCK_TIMEOUT = 10
WAIT_FOR_RECOMPUTATION = 2.0
POLL_INTERVAL = 0.02
# An entry outlives its TTL by this much, so that there is a previous result to serve while
# one request recomputes it.
STALE_GRACE = 60


def jittered(timeout):
    return timeout * random.uniform(1 - JITTER, 1 + JITTER)


def cache_key(name, key):
    """A cache key for `key`, hashed: keys may hold search terms of any length or alphabet."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{name}:{digest}"


@dataclass
class Entry:
    value: Any
    # The tags (and their generations) and the expiry the value was built under.
    built_from: Collected
    fresh_until: float  # time.time(), after which the TTL safety net asks for a recomputation

    @property
    def is_fresh(self):
        return time.time() < self.fresh_until


def cached_query(key, *, tags, compute, timeout=DEFAULT_TIMEOUT, lookup=False):
    """The result of `compute()`, cached under `key` for as long as `tags` are not invalidated.

    Whether the layer is on or off, the tags are registered with the response and with every
    fragment around this call, so that the layers above know what they are built from.
    `lookup=True`: `key` comes from a visitor, and a result of None leaves nothing behind.
    """
    # Asked again in the same request (a template uses the query in several places): no
    # round trip, but its tags are registered again, with whichever fragment asks this time.
    memo = request_results()
    if memo is not None and key in memo:
        value, built_from = memo[key]
        register(built_from.generations, built_from.expires_at)
        return value
    value, built_from = _cached_query(key, tags, compute, timeout, lookup)
    if memo is not None:
        memo[key] = (value, built_from)
    return value


def _cached_query(key, tags, compute, timeout, lookup):
    if not layers.enabled(layers.QUERY):
        return _compute_and_register(tags, compute, lookup)

    entry_key = cache_key("query", key)
    lock_key = f"{entry_key}:lock"
    entry = cache.get(entry_key)
    if entry is not None and is_current(entry.built_from):
        if entry.is_fresh:
            return _serve(key, entry, "hit")
        holds_lock = cache.add(lock_key, True, LOCK_TIMEOUT)
        if not holds_lock:
            return _serve(key, entry, "stale")  # another request is recomputing it
    else:
        holds_lock = cache.add(lock_key, True, LOCK_TIMEOUT)
        # With the cache down, add() fails because nothing can be stored: do not wait for a
        # recomputation that nobody is doing.
        waits = not holds_lock and not outage.is_down()
        if waits and (entry := _wait_for_recomputation(entry_key, lock_key)):
            return _serve(key, entry, "waited")
    if holds_lock and (entry := _current_and_fresh(cache.get(entry_key))):
        # Another request recomputed it between our first look and our lock.
        cache.delete(lock_key)
        return _serve(key, entry, "hit")
    timing.record_lookup("query", key, "miss")
    try:
        value, built_from = _compute_and_register(tags, compute, lookup)
        if built_from.is_complete and not (lookup and value is None):
            fresh_for = jittered(timeout)
            cache.set(
                entry_key,
                Entry(value, built_from, time.time() + fresh_for),
                timeout=fresh_for + STALE_GRACE,
            )
        return value, built_from
    finally:
        if holds_lock:
            cache.delete(lock_key)


def _compute_and_register(tags, compute, lookup):
    with collect() as built_from:
        # Read the generations first: if the data changes while we compute, the generations
        # move after our read, and what we store is already out of date, as it should be.
        created = {}
        register(current_generations(tags, created=created))
        value = compute()
        if lookup and value is None:
            forget_created(created)
    return value, built_from


def _serve(key, entry, outcome):
    timing.record_lookup("query", key, outcome)
    register(entry.built_from.generations, entry.built_from.expires_at)
    return entry.value, entry.built_from


def _current_and_fresh(entry):
    if entry is not None and entry.is_fresh and is_current(entry.built_from):
        return entry
    return None


def _wait_for_recomputation(entry_key, lock_key):
    """Wait for the request holding the lock to store a current entry; None if it does not
    (it released the lock without storing one: a lookup that found nothing, say)."""
    deadline = time.monotonic() + WAIT_FOR_RECOMPUTATION
    while time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        found = cache.get_many([entry_key, lock_key])
        if entry := _current_and_fresh(found.get(entry_key)):
            return entry
        if lock_key not in found:
            return None
    return None
