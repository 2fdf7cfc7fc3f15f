"""Owed bans, kept in Redis until every edge has them: a purge log that outlives its writer.

A ban the committing process could not deliver, or has yet to send again (the second ban of
each edit, NEWSITE_EDGE_REBAN_AFTER), must not live in that process alone: a worker recycled
(max_requests), restarted or killed would take it along, and the edge would serve the old page
until its TTL. So each is written to Redis before the first attempt, to one stream per purge
backend (each Varnish node, the CDN) read by one consumer group: every backend gets every ban
at least once. Wikimedia's CDN purges travel through a durable log (Kafka) for the same reason.

A deliverer runs in every application server process (a thread that deploy/gunicorn.conf.py
starts). Each round it reads new entries, takes over those a deliverer that went quiet left
pending (XAUTOCLAIM), sends what is due, and acknowledges an entry only once its backend has
taken it (XACK, then XDEL). It claims again, every round, what it holds, so that nobody takes
over the work of a deliverer that is alive.

Bounded: an entry older than the longest time the edge keeps a page is pointless (the page has
expired by now) and is dropped with a log line; each XADD trims its stream to that age (MINID),
a stream nobody writes to expires, and deliverers gone quiet with nothing pending are removed
from the group. Duplicates are harmless: a ban sent twice costs the edge one more miss.
"""

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import django_redis.cache
from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError, ResponseError

from newsite.cache import metrics, purge_backends
from newsite.cache.backend import outage
from newsite.cache.purge_backends import EVERYTHING, PurgeFailed, describe

logger = logging.getLogger(__name__)

STREAM_PREFIX = "newsite:owed-bans:"
GROUP = "deliverers"
# Entries read (and taken over) per stream and round.
BATCH = 100
# After its TTL, the edge serves a page at most this long while it fetches it again
# (req.grace while the backend is healthy, deploy/varnish/newsite.vcl).
EDGE_GRACE_SECONDS = 10

# Remove the consumers of the group (ARGV[1]) that have nothing pending and have been quiet for
# more than ARGV[2] ms, in one step: between a look and a removal, a consumer could take an
# entry, which its removal would then lose.
FORGET_QUIET_CONSUMERS = """
local removed = 0
for _, consumer in ipairs(redis.call("XINFO", "CONSUMERS", KEYS[1], ARGV[1])) do
    local fields = {}
    for index = 1, #consumer, 2 do
        fields[consumer[index]] = consumer[index + 1]
    end
    if fields["pending"] == 0 and fields["idle"] > tonumber(ARGV[2]) then
        redis.call("XGROUP", "DELCONSUMER", KEYS[1], ARGV[1], fields["name"])
        removed = removed + 1
    end
end
return removed
"""


def max_age():
    """Seconds an owed ban stays worth sending: as long as the edge may still hold a page
    built before it (NEWSITE_EDGE_TTL, and the grace after it)."""
    return settings.NEWSITE_EDGE_TTL + EDGE_GRACE_SECONDS


def claim_after():
    """Seconds after which an entry a quiet deliverer holds is taken over by another. A living
    deliverer claims what it holds again every round, so several rounds must pass."""
    return 5 * settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL


def stream_key(backend_name):
    return f"{STREAM_PREFIX}{backend_name}"


def is_enabled():
    """Owed bans go to Redis when the queue is on and the cache is Redis."""
    return settings.NEWSITE_EDGE_BAN_QUEUE and isinstance(
        caches["default"], django_redis.cache.RedisCache
    )


def redis_client():
    # The cache's own client: the same server, and the Sentinels' word on which one it is.
    return caches["default"].client.get_client(write=True)


def owe(backends, tag_names, delay):
    """Write a ban of `tag_names` owed to each backend, due `delay` seconds from now.

    Returns {backend name: entry id}, or None if the queue is off or Redis cannot take it: the
    caller then keeps the ban in its own process, the one place left.
    """
    if not is_enabled():
        return None
    if outage.is_down():
        logger.warning(
            "Redis is down: the bans of %s stay in this process, and are lost if it stops.",
            describe(tag_names),
        )
        return None
    oldest_useful = f"{int((time.time() - max_age()) * 1000)}-0"
    fields = {"tags": " ".join(tag_names), "delay": f"{delay:g}"}
    try:
        with redis_client().pipeline(transaction=False) as pipeline:
            for backend in backends:
                key = stream_key(backend.name)
                pipeline.xadd(key, fields, minid=oldest_useful, approximate=False)
                pipeline.expire(key, max_age())
            replies = pipeline.execute()
    except RedisError as error:
        outage.begin(error)
        logger.warning(
            "Could not write the bans of %s to Redis (%s): they stay in this process, and are "
            "lost if it stops.",
            describe(tag_names),
            error,
        )
        return None
    return {
        backend.name: entry_id.decode()
        for backend, entry_id in zip(backends, replies[::2], strict=True)
    }


def forget(entries):
    """Remove owed bans that were delivered after all ({backend name: entry id}). If Redis
    cannot be told, a deliverer sends them once more, which is harmless."""
    if not entries:
        return
    try:
        with redis_client().pipeline(transaction=False) as pipeline:
            for backend_name, entry_id in entries.items():
                pipeline.xdel(stream_key(backend_name), entry_id)
            pipeline.execute()
    except RedisError as error:
        logger.info("Could not forget owed bans (%s): they go out twice.", error)


def owed(backend_names):
    """{backend name: bans owed to it}, for monitoring and tests."""
    with redis_client().pipeline(transaction=False) as pipeline:
        for name in backend_names:
            pipeline.xlen(stream_key(name))
        return dict(zip(backend_names, pipeline.execute(), strict=True))


@dataclass
class OwedBan:
    entry_id: str
    tag_names: list
    queued_at: float  # seconds since the epoch, from the entry's id (Redis' clock)
    due_at: float

    @classmethod
    def from_entry(cls, entry_id, fields):
        entry_id = entry_id.decode()
        queued_at = int(entry_id.partition("-")[0]) / 1000
        delay = float(fields.get(b"delay", b"0"))
        tag_names = fields.get(b"tags", b"").decode().split()
        return cls(entry_id, tag_names, queued_at, queued_at + delay)


def count(name, outcome, bans):
    """Count each owed ban's outcome: one delivery may carry several."""
    for _ in bans:
        metrics.count_ban(name, outcome)


def merged(bans):
    """The tags of several owed bans, for one delivery; everything if any was everything."""
    tag_names = {tag for ban in bans for tag in ban.tag_names}
    return [EVERYTHING] if EVERYTHING in tag_names else sorted(tag_names)


class Deliverer:
    """Delivers owed bans from a thread of this process, under a name of its own in the group
    of each stream (host:pid, which a test can tell apart)."""

    def __init__(self, name=None):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.held = defaultdict(dict)  # backend name: {entry id: OwedBan}
        self.next_attempt = {}  # backend name: time.monotonic() before which not to try
        self.failing_since = {}  # backend name: time.monotonic() of the first failure in a row
        self.tidied_at = 0.0
        self.grouped = set()  # stream keys known to have our group
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="ban-deliverer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=10):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        while not self._stopping.wait(settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL):
            try:
                self.deliver_once()
            except Exception:
                logger.exception("The ban deliverer's round failed; it tries again.")

    def deliver_once(self):
        """One round: take in what is owed, deliver what is due, tidy the group now and then."""
        backends = {backend.name: backend for backend in purge_backends.configured()}
        if not backends or not is_enabled() or outage.is_down():
            return
        try:
            connection = redis_client()
            self._take_in(connection, backends)
            for backend in backends.values():
                self._deliver(connection, backend)
            if time.monotonic() - self.tidied_at > claim_after():
                self._tidy(connection)
        except RedisError as error:
            outage.begin(error)

    # --------------------------------------------------------------------------
    # Taking in: new entries, entries a quiet deliverer left, and what we hold already
    # --------------------------------------------------------------------------
    def _take_in(self, connection, backends):
        """Read new entries, take over abandoned ones and claim again what this deliverer holds,
        in one round trip, from every stream that exists."""
        keys = self._streams(connection, backends)
        if not keys:
            return
        holding = {name: list(self.held[name]) for name in keys if self.held[name]}
        with connection.pipeline(transaction=False) as pipeline:
            for key in keys.values():
                pipeline.xautoclaim(
                    key, GROUP, self.name, int(claim_after() * 1000), start_id="0-0", count=BATCH
                )
            pipeline.xreadgroup(GROUP, self.name, dict.fromkeys(keys.values(), ">"), count=BATCH)
            for name, entry_ids in holding.items():
                pipeline.xclaim(keys[name], GROUP, self.name, 0, entry_ids, justid=True)
            replies = pipeline.execute(raise_on_error=False)
        errors = [reply for reply in replies if isinstance(reply, Exception)]
        if any("NOGROUP" in str(error) for error in errors):
            self.grouped.clear()  # a stream expired, or Redis lost it: look again next round
            return
        if errors:
            raise errors[0]

        streams = len(keys)
        taken_over, read, still_held = replies[:streams], replies[streams], replies[streams + 1 :]
        # What we held and Redis no longer has was delivered by somebody else, or trimmed away
        # for its age.
        for (name, entry_ids), kept in zip(holding.items(), still_held, strict=True):
            kept = {entry_id.decode() for entry_id in kept}
            gone = [self.held[name].pop(entry_id) for entry_id in entry_ids if entry_id not in kept]
            self._report_dropped(name, [ban for ban in gone if self._too_old(ban)])
        for name, (_, entries, _) in zip(keys, taken_over, strict=True):
            self._hold(name, entries)
        names = {key: name for name, key in keys.items()}
        for key, entries in read or []:
            self._hold(names[key.decode()], entries)

    def _streams(self, connection, backends):
        """{backend name: stream key} for the streams that exist, each with our group. Only a
        stream that a ban made gets a group: a deliverer makes no key of its own, and nothing
        is owed to a backend whose stream does not exist."""
        keys = {name: stream_key(name) for name in backends}
        for key in set(keys.values()) - self.grouped:
            try:
                # From the start of the stream: whatever is in it is owed.
                connection.xgroup_create(key, GROUP, id="0")
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    continue  # no such stream
            self.grouped.add(key)
        return {name: key for name, key in keys.items() if key in self.grouped}

    def _hold(self, name, entries):
        for entry_id, fields in entries:
            ban = OwedBan.from_entry(entry_id, fields)
            self.held[name][ban.entry_id] = ban

    # --------------------------------------------------------------------------
    # Delivering
    # --------------------------------------------------------------------------
    def _too_old(self, ban):
        return time.time() - ban.queued_at > max_age()

    def _deliver(self, connection, backend):
        held = self.held[backend.name]
        expired = [ban for ban in held.values() if self._too_old(ban)]
        if expired:
            self._settle(connection, backend.name, expired)
            self._report_dropped(backend.name, expired)
        if time.monotonic() < self.next_attempt.get(backend.name, 0.0):
            return
        due = [ban for ban in held.values() if ban.due_at <= time.time()]
        if not due:
            return
        tag_names = merged(due)
        try:
            purge_backends.purge(backend, tag_names)
        except PurgeFailed as failure:
            self._failed(connection, backend.name, due, tag_names, failure)
            return
        self._settle(connection, backend.name, due)
        count(backend.name, metrics.BAN_SENT, due)
        failing_since = self.failing_since.pop(backend.name, None)
        if failing_since is not None:
            logger.warning(
                "%s took the bans it was owed (%s), %.1f s after the first failed attempt.",
                backend.name,
                describe(tag_names),
                time.monotonic() - failing_since,
            )

    def _failed(self, connection, name, due, tag_names, failure):
        if failure.permanent:
            self._settle(connection, name, due)
            count(name, metrics.BAN_GIVEN_UP, due)
            logger.error(
                "%s refused the bans of %s (%s); giving up: their pages may stay stale until "
                "their TTL.",
                name,
                describe(tag_names),
                failure,
            )
            return
        count(name, metrics.BAN_RETRIED, due)
        wait = max(settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL, failure.retry_after or 0.0)
        self.next_attempt[name] = time.monotonic() + wait
        if name not in self.failing_since:
            self.failing_since[name] = time.monotonic()
            logger.warning(
                "Owed bans of %s on %s failed (%s); trying again every %g s until it takes them.",
                describe(tag_names),
                name,
                failure,
                wait,
            )

    def _settle(self, connection, name, bans):
        """Acknowledge and remove entries: delivered, or no longer worth delivering."""
        entry_ids = [ban.entry_id for ban in bans]
        with connection.pipeline(transaction=False) as pipeline:
            pipeline.xack(stream_key(name), GROUP, *entry_ids)
            pipeline.xdel(stream_key(name), *entry_ids)
            pipeline.execute()
        for entry_id in entry_ids:
            self.held[name].pop(entry_id, None)

    def _report_dropped(self, name, bans):
        if not bans:
            return
        count(name, metrics.BAN_GIVEN_UP, bans)
        logger.warning(
            "Dropped %d ban(s) owed to %s for more than %d s (%s): the edge has let those pages "
            "expire by now.",
            len(bans),
            name,
            max_age(),
            describe(merged(bans)),
        )

    # --------------------------------------------------------------------------
    # Tidying: deliverers that went away (a recycled or killed worker) leave their names
    # --------------------------------------------------------------------------
    def _tidy(self, connection):
        quiet_for = int(2 * claim_after() * 1000)
        for key in self.grouped:
            try:
                connection.eval(FORGET_QUIET_CONSUMERS, 1, key, GROUP, quiet_for)
            except ResponseError as error:
                if "NOGROUP" not in str(error) and "no such key" not in str(error):
                    raise
        self.tidied_at = time.monotonic()


def start_deliverer():
    """Start this process's deliverer, if bans are owed through Redis and there is an edge to
    deliver them to; deploy/gunicorn.conf.py calls it in every worker."""
    if not is_enabled() or not purge_backends.configured():
        return None
    return Deliverer().start()
