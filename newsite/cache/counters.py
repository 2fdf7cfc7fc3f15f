"""Hot counters: numbers that change on every page view live in Redis, not in PostgreSQL.

An UPDATE per article read would lock the article's row on every view and, through the
signals, invalidate every page that shows it. Instead a read is one round trip to Redis: +1 on
today's sorted set (for "most read") and +1 in a hash of counts not yet saved; now and then a
management command moves those into PostgreSQL. Nothing here invalidates a cache: a count
changing is not the content changing. Without Redis (the embedded default) the counts live in
the memory of each process, which is enough for a demo.
"""

import threading
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import django_redis.cache
from django.core.cache import caches
from django.utils import timezone
from redis.exceptions import ResponseError

from newsite.cache.backend import outage

DAY_SECONDS = 24 * 60 * 60


class RedisCounter:
    def __init__(self, name, days):
        self.name = name
        self.days = days

    def _redis(self):
        return caches["default"].client.get_client(write=True)

    def _day_key(self, day):
        return f"{self.name}:day:{day.isoformat()}"

    def _recent_day_keys(self):
        today = timezone.localdate()
        return [self._day_key(today - timedelta(days=back)) for back in range(self.days)]

    def increment(self, member):
        day_key = self._day_key(timezone.localdate())
        with self._redis().pipeline(transaction=False) as pipeline:
            pipeline.zincrby(day_key, 1, member)
            pipeline.expire(day_key, (self.days + 1) * DAY_SECONDS)
            pipeline.hincrby(f"{self.name}:unsaved", member, 1)
            pipeline.execute()

    def top(self, limit):
        union_key = f"{self.name}:recent:{uuid.uuid4().hex}"
        with self._redis().pipeline(transaction=True) as pipeline:
            pipeline.zunionstore(union_key, self._recent_day_keys())
            pipeline.zrevrange(union_key, 0, limit - 1, withscores=True)
            pipeline.delete(union_key)
            _, top, _ = pipeline.execute()
        return [(member.decode(), int(score)) for member, score in top]

    def drain(self):
        """The counts not yet saved, removed from Redis in one atomic step."""
        redis = self._redis()
        draining_key = f"{self.name}:draining:{uuid.uuid4().hex}"
        try:
            redis.rename(f"{self.name}:unsaved", draining_key)
        except ResponseError:  # "no such key": nothing was counted since the last drain
            return {}
        with redis.pipeline(transaction=True) as pipeline:
            pipeline.hgetall(draining_key)
            pipeline.delete(draining_key)
            counts, _ = pipeline.execute()
        return {member.decode(): int(count) for member, count in counts.items()}

    def restore(self, counts):
        """Give back counts that drain() returned but could not be saved."""
        with self._redis().pipeline(transaction=True) as pipeline:
            for member, count in counts.items():
                pipeline.hincrby(f"{self.name}:unsaved", member, count)
            pipeline.execute()


class MemoryCounter:
    """The same counter in this process's memory, for running without Redis."""

    def __init__(self, name, days):
        self.days = days
        self._lock = threading.Lock()
        self._by_day = defaultdict(Counter)
        self._unsaved = Counter()

    def increment(self, member):
        with self._lock:
            self._by_day[timezone.localdate()][member] += 1
            self._unsaved[member] += 1

    def top(self, limit):
        today = timezone.localdate()
        recent = Counter()
        with self._lock:
            for back in range(self.days):
                recent.update(self._by_day.get(today - timedelta(days=back), {}))
        return recent.most_common(limit)

    def drain(self):
        with self._lock:
            counts, self._unsaved = dict(self._unsaved), Counter()
        return counts

    def restore(self, counts):
        with self._lock:
            self._unsaved.update(counts)


class HotCounter:
    """Counts per member over the last `days` days, in Redis when the cache is Redis.

    While Redis is down, counting is skipped and "most read" is empty: the pages still work.
    """

    def __init__(self, name, days=2):
        self.name = name
        self.days = days
        self._memory = MemoryCounter(name, days)

    @property
    def store(self):
        if isinstance(caches["default"], django_redis.cache.RedisCache):
            return RedisCounter(self.name, self.days)
        return self._memory

    def _guarded(self, operation, fallback, *args):
        if outage.is_down():
            return fallback
        try:
            return getattr(self.store, operation)(*args)
        except Exception as error:
            outage.begin(error)
            return fallback

    def increment(self, member):
        self._guarded("increment", None, str(member))

    def top(self, limit):
        """[(member, count), …], most counted first."""
        return self._guarded("top", [], limit)

    def drain(self):
        return self.store.drain()

    def restore(self, counts):
        self.store.restore(counts)
