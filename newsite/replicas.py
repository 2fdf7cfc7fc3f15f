"""Read replicas: reader pages read a streaming replica; a fence keeps its lag out of the caches.

The router sends writes, and every read inside a transaction, to the primary; reads of the
newsroom's content (the `articles` app) may go to the replica; sessions, accounts and everything
else read the primary, so a lagging replica can never sign a reader out or hide their own data.

A replica lags, and a rebuild after an invalidation that read it could store the *old* rows under
the *new* generations, where they would stay until their TTL. So before generations are bumped,
the primary's WAL position is written to the cache as the **fence** (only ever raised); every
read of generations fetches the fence in the same round trip; and a content read goes to the
replica only if the replica has replayed past the latest fence its request saw. A request that
sees a new generation therefore sees a fence at least as new as the commit behind it.
docs/caching.md tells the whole story.
"""

import logging
import threading
import time

import django_redis.cache
from django.conf import settings
from django.core.cache import cache, caches
from django.db import DatabaseError, connections

from newsite.cache import tags
from newsite.cache.backend import CacheUnavailable, outage

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
# Apps whose tables reader pages show, and whose rows every edit invalidates by tags.
REPLICA_APPS = {"articles"}
FENCE_KEY = "replica-fence"
# After the replica failed to answer, how long reads go to the primary without asking it.
REPLICA_RETRY_AFTER = 5.0


# ------------------------------------------------------------------------------
# The router (settings.DATABASE_ROUTERS)
# ------------------------------------------------------------------------------
class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label not in REPLICA_APPS:
            return PRIMARY
        # Inside a transaction, read what the transaction writes (and locks).
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if replica.has_replayed(fence()) else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, first, second, **hints):
        return True  # the replica holds the primary's rows: one database, two doors

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# ------------------------------------------------------------------------------
# The fence: the WAL position a replica must have replayed to serve a rebuild
# ------------------------------------------------------------------------------
def fence():
    """The fence for this request, or None when it cannot be known (then: the primary)."""
    value = tags.value_read_along(FENCE_KEY)
    if value is tags.NOT_READ:  # outside a request, or no generation read yet
        value = cache.get(FENCE_KEY)
    if value is None and not outage.is_down():
        # Lost (Redis restarted, the seed cleared the cache): everything committed so far
        # is behind the primary's position now.
        value = primary_position()
        if value is not None and not cache.add(FENCE_KEY, value, timeout=None):
            value = cache.get(FENCE_KEY) or value
    return None if outage.is_down() else value


def primary_position():
    """The primary's WAL insert position in bytes (at or past every commit so far), or None."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'")
            return int(cursor.fetchone()[0])
    except DatabaseError as error:
        logger.warning("Could not read the primary's WAL position: %s", error)
        return None


# KEYS[1]: the fence; ARGV[1]: a position. The fence only ever moves forward, whichever of two
# concurrent commits writes last.
RAISE_FENCE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
"""
_local_lock = threading.Lock()


def raise_fence():
    """Before generations move, raise the fence to the primary's position, which is past the
    commit that caused the bump. Without the position (the primary stopped answering), the
    fence is removed instead: the next reader asks the primary for it, after the commit."""
    if outage.is_down():
        raise CacheUnavailable("the cache is down")
    position = primary_position()
    try:
        if position is None:
            cache.delete(FENCE_KEY)
        elif isinstance(caches["default"], django_redis.cache.RedisCache):
            backend = caches["default"]
            client = backend.client.get_client(write=True)
            client.eval(RAISE_FENCE, 1, backend.make_and_validate_key(FENCE_KEY), position)
        else:  # the local-memory cache: one process
            with _local_lock:
                cache.set(FENCE_KEY, max(cache.get(FENCE_KEY) or 0, position), timeout=None)
    except CacheUnavailable:
        raise
    except Exception as error:
        outage.begin(error)
        raise CacheUnavailable(str(error)) from error
    if outage.is_down():  # cache.delete/set failed quietly
        raise CacheUnavailable("the cache is down")


# ------------------------------------------------------------------------------
# The replica's position, as this process last saw it
# ------------------------------------------------------------------------------
class Replica:
    """How far the replica has replayed. The position only grows, so the last one seen is a
    safe answer for as long as it is past the fence; only a fence beyond it costs a query."""

    def __init__(self):
        self.replayed = 0
        self.failed_until = 0.0

    def has_replayed(self, position):
        if position is None or time.monotonic() < self.failed_until:
            return False
        if self.replayed >= position:
            return True
        self.replayed = max(self.replayed, self._position() or 0)
        return self.replayed >= position

    def failed(self, error):
        """The replica did not answer: read the primary without asking it for a while."""
        self.failed_until = time.monotonic() + REPLICA_RETRY_AFTER
        connections[REPLICA].close()
        logger.warning(
            "The replica does not answer (%s); reading the primary for %g s.",
            error,
            REPLICA_RETRY_AFTER,
        )

    def _position(self):
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() - '0/0'")
                position = cursor.fetchone()[0]
        except DatabaseError as error:
            self.failed(error)
            return None
        # NULL: not a standby (promoted, or misconfigured); its rows may not be the primary's.
        return None if position is None else int(position)


replica = Replica()


class ReadAgain:
    """Middleware: a GET or HEAD that failed on a database connection (a PostgreSQL replica
    stopped under it, PgBouncer restarted: docs/reliability.md's faults 5 and 6) is answered
    again, once, on fresh connections, and if the replica was the one that failed, from the
    primary, the replica being left alone for REPLICA_RETRY_AFTER seconds. A read is safe to
    repeat, and the reader gets the page instead of "back in a moment"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or response.status_code < 500:
            return response
        failed = [alias for alias in connections if connections[alias].errors_occurred]
        if not failed:
            return response
        for alias in failed:
            connections[alias].close()
        if REPLICA in failed:
            replica.failed(f"a read of {request.path} failed there")
        return self.get_response(request)


# Only where a replica is configured: a process that merely imports this module (a test of the
# cluster, say) keeps its invalidations as they were.
if REPLICA in settings.DATABASES:
    tags.read_along(FENCE_KEY)
    tags.before_bump(raise_fence)
