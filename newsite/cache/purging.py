"""Purging: after every commit that invalidates tags, each cache in front of Django drops what
was built from them.

The committing process purges every backend at once (purge_backends.py: each Varnish node, then
the CDN), with a short timeout: the next request through the edge already gets the new page. A
second ban follows a few seconds later (NEWSITE_EDGE_REBAN_AFTER): a page that was being rendered
from the old rows when the first ban went out reaches the edge after it, and would otherwise
stay there until its TTL.

The second ban, and any first attempt that fails, are owed in Redis (purge_queue.py), written
there before the first attempt, and delivered by the application servers' deliverers even if
this process dies meanwhile. Only when Redis cannot take them do they wait in a thread of this
process: retried a few times, each failure logged, and lost if the process stops.

A reader's tag (`reader:7`) is banned like any other: the edge keeps each signed-in reader's own
fragments for their session under it (edge.py).
"""

import heapq
import itertools
import logging
import threading
import time

from django.conf import settings

from newsite.cache import metrics, purge_backends, purge_queue, tags
from newsite.cache.purge_backends import PurgeFailed, describe

logger = logging.getLogger(__name__)


class EdgePurger:
    def __init__(self):
        self.retries = InProcessRetries()

    def ban(self, tag_names):
        backends = purge_backends.configured()
        if not tag_names or not backends:
            return
        reban_after = settings.NEWSITE_EDGE_REBAN_AFTER
        # Owed before the first attempt, so that a process dying during it still owes it: the
        # second ban, or else a retry that the first attempt's success takes back.
        owed = purge_queue.owe(
            backends, tag_names, reban_after or settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL
        )
        delivered = {}
        for backend in backends:
            try:
                purge_backends.purge(backend, tag_names)
            except PurgeFailed as failure:
                self._first_attempt_failed(backend, tag_names, failure, owed)
                continue
            metrics.count_ban(backend.name, metrics.BAN_SENT)
            if owed is not None and not reban_after:
                delivered[backend.name] = owed[backend.name]
        purge_queue.forget(delivered)
        if owed is None and reban_after:
            for backend in backends:
                self.retries.schedule(reban_after, backend, tag_names, attempt=1)

    def _first_attempt_failed(self, backend, tag_names, failure, owed):
        if failure.permanent:
            metrics.count_ban(backend.name, metrics.BAN_GIVEN_UP)
            logger.error(
                "%s refused the ban of %s (%s); giving up: its pages may stay stale until "
                "their TTL.",
                backend.name,
                describe(tag_names),
                failure,
            )
            if owed is not None:
                purge_queue.forget({backend.name: owed[backend.name]})
            return
        if owed is not None:
            # Due as soon as the backend lets us (a CDN may ask for a wait). Without a second
            # ban, it replaces the entry written before the attempt.
            retry = purge_queue.owe([backend], tag_names, failure.retry_after or 0)
            if retry is not None:
                if not settings.NEWSITE_EDGE_REBAN_AFTER:
                    purge_queue.forget({backend.name: owed[backend.name]})
                metrics.count_ban(backend.name, metrics.BAN_RETRIED)
                logger.warning(
                    "Ban of %s on %s failed (%s); the deliverers send it once it answers.",
                    describe(tag_names),
                    backend.name,
                    failure,
                )
                return
        self.retries.after_failure(backend, tag_names, failure, attempt=1)


class InProcessRetries:
    """Bans that Redis could not take, retried from a thread of this process: a few attempts
    (NEWSITE_EDGE_PURGE_ATTEMPTS) further and further apart, each failure logged."""

    def __init__(self):
        self._due = []  # a heap of (when, sequence, backend, tag names, attempt)
        self._sequence = itertools.count()
        self._wake = threading.Condition()
        self._worker = None

    def after_failure(self, backend, tag_names, failure, attempt):
        """Attempt number `attempt` failed: try again later, or give up after the last."""
        if failure.permanent or attempt >= settings.NEWSITE_EDGE_PURGE_ATTEMPTS:
            metrics.count_ban(backend.name, metrics.BAN_GIVEN_UP)
            logger.error(
                "Ban of %s on %s failed %d times (%s); giving up: its pages may stay stale "
                "until their TTL.",
                describe(tag_names),
                backend.name,
                attempt,
                failure,
            )
            return
        metrics.count_ban(backend.name, metrics.BAN_RETRIED)
        delay = max(0.5 * 2 ** (attempt - 1), failure.retry_after or 0.0)
        logger.warning(
            "Ban of %s on %s failed (%s); retrying in %g s.",
            describe(tag_names),
            backend.name,
            failure,
            delay,
        )
        self.schedule(delay, backend, tag_names, attempt + 1)

    def schedule(self, delay, backend, tag_names, attempt):
        with self._wake:
            entry = (time.monotonic() + delay, next(self._sequence), backend, tag_names, attempt)
            heapq.heappush(self._due, entry)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="edge-purger", daemon=True)
                self._worker.start()
            self._wake.notify()

    def _run(self):
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(timeout)
                _, _, backend, tag_names, attempt = heapq.heappop(self._due)
            try:
                purge_backends.purge(backend, tag_names)
            except PurgeFailed as failure:
                self.after_failure(backend, tag_names, failure, attempt)
            else:
                metrics.count_ban(backend.name, metrics.BAN_SENT)


purger = EdgePurger()
tags.on_invalidate(purger.ban)
