"""Hot counters: numbers that change on every page view live in Redis, not in PostgreSQL.

An UPDATE per article read would lock the article's row on every view and, through the
signals, invalidate every page that shows it. Instead a read is one round trip to Redis: +1 on
today's sorted set (for "most read") and +1 in a hash of counts not yet saved; now and then a
management command moves those into PostgreSQL. Nothing here invalidates a cache: a count
changing is not the content changing. Without Redis (the embedded default) the counts live in
the memory of each process, which is enough for a demo.

Moving counts out is built to survive a crash between any two steps: `claim` turns the counts
not yet saved into a batch with an id of its own, in one atomic step; a batch stays in Redis,
listed in a set of pending batches, until `forget` removes it, which the command does only
after the database has committed it (articles/management/commands/flush_read_counts.py).
"""

import threading
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import django_redis.cache
from django.core.cache import caches
from django.utils import timezone

from newsite.cache.backend import outage

DAY_SECONDS = 24 * 60 * 60

# The counts not yet saved (KEYS[1]) become a batch (KEYS[2]), listed in the pending batches
# (KEYS[3]) under its id (ARGV[1]): all or nothing, so that no batch is ever unlisted.
CLAIM = """
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
redis.call("RENAME", KEYS[1], KEYS[2])
redis.call("SADD", KEYS[3], ARGV[1])
return 1
"""


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

    def _batch_key(self, batch_id):
        return f"{self.name}:batch:{batch_id}"

    def claim(self):
        """Turn the counts not yet saved into a pending batch; its id, or None if none."""
        batch_id = uuid.uuid4().hex
        keys = [f"{self.name}:unsaved", self._batch_key(batch_id), f"{self.name}:batches"]
        claimed = self._redis().eval(CLAIM, len(keys), *keys, batch_id)
        return batch_id if claimed else None

    def batches(self):
        """{batch id: {member: count}} for every pending batch, those of a run that died too."""
        redis = self._redis()
        batch_ids = sorted(member.decode() for member in redis.smembers(f"{self.name}:batches"))
        with redis.pipeline(transaction=False) as pipeline:
            for batch_id in batch_ids:
                pipeline.hgetall(self._batch_key(batch_id))
            batches = pipeline.execute()
        return {
            batch_id: {member.decode(): int(count) for member, count in counts.items()}
            for batch_id, counts in zip(batch_ids, batches, strict=True)
        }

    def waiting(self):
        """{member: count} of everything counted and not yet saved: the counts not yet
        claimed, and the pending batches (for monitoring: newsite/cache/exporter.py)."""
        waiting = Counter(
            {
                member.decode(): int(count)
                for member, count in self._redis().hgetall(f"{self.name}:unsaved").items()
            }
        )
        for counts in self.batches().values():
            waiting.update(counts)
        return dict(waiting)

    def forget(self, batch_id):
        """Remove a pending batch, once its counts are saved elsewhere."""
        with self._redis().pipeline(transaction=True) as pipeline:
            pipeline.delete(self._batch_key(batch_id))
            pipeline.srem(f"{self.name}:batches", batch_id)
            pipeline.execute()


class MemoryCounter:
    """The same counter in this process's memory, for running without Redis."""

    def __init__(self, name, days):
        self.days = days
        self._lock = threading.Lock()
        self._by_day = defaultdict(Counter)
        self._unsaved = Counter()
        self._batches = {}

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

    def claim(self):
        with self._lock:
            if not self._unsaved:
                return None
            batch_id = uuid.uuid4().hex
            self._batches[batch_id], self._unsaved = dict(self._unsaved), Counter()
        return batch_id

    def batches(self):
        with self._lock:
            return {batch_id: dict(counts) for batch_id, counts in self._batches.items()}

    def forget(self, batch_id):
        with self._lock:
            self._batches.pop(batch_id, None)


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

    # Moving counts out (flush_read_counts): failures raise, for the command to report.
    def claim(self):
        return self.store.claim()

    def batches(self):
        return self.store.batches()

    def forget(self, batch_id):
        self.store.forget(batch_id)
