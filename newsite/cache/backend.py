"""The cache backends newsite runs on: django-redis and Django's local-memory cache, timed and
made to survive a dead Redis.

Every call is timed for the Server-Timing header (see timing.py). When the cache fails (Redis
stopped, unreachable or too slow) the failure is logged once and, for the next few seconds, the
site acts as if the cache were empty without trying it again: pages are built from PostgreSQL,
and no request waits on a dead server more than once per interval. After the interval the next
call tries again, so caching resumes by itself when Redis is back.

Skipping is right for what a cache holds, but not for a write that makes something stop
working, such as ending a signed-out session: `set_or_raise` is tried even while the cache is
known to be down, and says so when it fails.
"""

import fnmatch
import logging
import pickle
import threading
import time
from contextvars import ContextVar

import django_redis.cache
from django.conf import settings
from django.core.cache.backends import locmem
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from newsite.cache import timing

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """Raised by the calls whose callers must know they did not happen: incr()/decr() (the
    counter did not move), set_or_raise(), delete_pattern()."""


class Outage:
    """Whether the cache is known to be down, shared by every thread of the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.down_until = 0.0
        self._recovery_listeners = []

    def on_recovery(self, listener):
        """Call `listener()` when the cache answers again after an outage (a decorator)."""
        self._recovery_listeners.append(listener)
        return listener

    def is_down(self):
        return time.monotonic() < self.down_until

    def begin(self, error):
        retry_after = settings.NEWSITE_CACHE_RETRY_AFTER
        with self._lock:
            was_up = self.down_until == 0.0
            self.down_until = time.monotonic() + retry_after
        logger.warning(
            "The cache is failing (%s: %s); serving without it for %g s%s.",
            type(error).__name__,
            error,
            retry_after,
            "" if was_up else " more",
        )

    def end(self):
        if not self.down_until:
            return
        with self._lock:
            self.down_until = 0.0
        logger.warning("The cache answers again; caching resumes.")
        for listener in self._recovery_listeners:
            try:
                listener()
            except Exception:
                logger.exception("After the cache came back, %s failed", listener.__name__)


outage = Outage()
_inside_cache_call: ContextVar[bool] = ContextVar("inside_cache_call", default=False)


class ResilientMixin:
    """Time every call; answer as an empty cache while the real one is down."""

    def _call(self, operation, fallback, *args, **kwargs):
        return self._resilient(getattr(super(), operation), fallback, *args, **kwargs)

    def _resilient(self, real_call, fallback, *args, **kwargs):
        if _inside_cache_call.get():  # get_many() built from get(): time the outer call only
            return real_call(*args, **kwargs)
        if outage.is_down():
            return fallback()
        return self._timed(real_call, fallback, *args, **kwargs)

    def _timed(self, real_call, fallback, *args, **kwargs):
        token = _inside_cache_call.set(True)
        started = time.perf_counter()
        try:
            result = real_call(*args, **kwargs)
        except (ValueError, TypeError):
            raise  # a missing key for incr(), or a bad argument: not an outage
        except Exception as error:
            outage.begin(error)
            return fallback()
        finally:
            timing.record("cache", time.perf_counter() - started)
            _inside_cache_call.reset(token)
        # Outside the timed call: what runs on recovery may use the cache itself.
        outage.end()
        return result

    def get(self, key, default=None, version=None):
        return self._call("get", lambda: default, key, default=default, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", dict, keys, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", lambda: None, key, value, timeout=timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        not_stored = lambda: list(data)  # noqa: E731
        return self._call("set_many", not_stored, data, timeout=timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", lambda: False, key, value, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", lambda: False, key, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", lambda: None, keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", lambda: False, key, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", lambda: False, key, timeout=timeout, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", _unavailable, key, delta=delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", _unavailable, key, delta=delta, version=version)

    def clear(self):
        return self._call("clear", lambda: None)

    def set_or_raise(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """set(), for a write that must never be skipped silently: it is tried even while the
        cache is known to be down, and raises CacheUnavailable if it fails."""
        real_set = super().set
        self._timed(real_set, _unavailable, key, value, timeout=timeout, version=version)

    def delete_if_equal(self, key, value, version=None):
        """Delete `key` if it still holds the integer `value`, in one atomic step; True if it
        did. False also while the cache is down (nothing was deleted)."""
        return self._resilient(self._delete_if_equal, lambda: False, key, value, version=version)

    def delete_pattern(self, pattern, version=None):
        """Delete every key that matches the glob `pattern`, such as "generation:*"; raises
        CacheUnavailable if the cache cannot be reached."""
        return self._resilient(self._delete_pattern, _unavailable, pattern, version=version)


def _unavailable():
    raise CacheUnavailable("the cache is down")


# Compare and delete in one step: between a GET and a DEL, another process could have changed
# the value, and its change would be deleted with ours.
DELETE_IF_EQUAL = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class RedisCache(ResilientMixin, django_redis.cache.RedisCache):
    """django-redis, timed and resilient (settings: REDIS_URL)."""

    def _delete_if_equal(self, key, value, version=None):
        # django-redis stores integers as their decimal digits, as Redis' INCR needs them.
        key = self.client.make_key(key, version=version)
        client = self.client.get_client(write=True)
        return client.eval(DELETE_IF_EQUAL, 1, key, str(int(value))) == 1

    def _delete_pattern(self, pattern, version=None):
        return self.client.delete_pattern(pattern, version=version)


class LocMemCache(ResilientMixin, locmem.LocMemCache):
    """Django's local-memory cache, timed (the embedded default)."""

    def _delete_if_equal(self, key, value, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key) or pickle.loads(self._cache[key]) != value:
                return False
            self._delete(key)
            return True

    def _delete_pattern(self, pattern, version=None):
        pattern = self.make_key(pattern, version=version)
        with self._lock:
            matching = [key for key in self._cache if fnmatch.fnmatchcase(key, pattern)]
            for key in matching:
                self._delete(key)
        return len(matching)
