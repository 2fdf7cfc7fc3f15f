"""Sessions that stay ended: a signed-out session never works again, whatever the cache did.

Sessions are cached_db: read from the cache, written through to the database. After a cache
failure, the cache backend skips every call for a few seconds (newsite/cache/backend.py), so
Django's store, which ends a session by deleting its row and then its cached copy, could leave
the copy in Redis, and the signed-out cookie worked again once Redis answered.

Here ending a session (signing out, and the old key when signing in or changing a password)
first writes a tombstone to the cache, tried even while the cache is thought to be down, and
only then deletes the row. A session is loaded with its tombstone in the same round trip, and a
tombstone wins over any copy. If the cache does not confirm the tombstone, nothing is deleted
and the reader gets a 503 asking them to try again (SessionMiddleware saves no session and sets
no cookie on a 5xx, so their session and cookie stay as they were; a tombstone that arrives
late only signs them out, the safe way round): a session is never reported as ended while a
copy of it could come back.

Copies live in the cache for NEWSITE_SESSION_CACHE_TTL seconds at most, so no copy outlives its
row by more than that (a row deleted some other way, a Redis restored from an older snapshot).
Tombstones live twice as long: longer than a copy written back by a request that read the row
just before it was deleted.
"""

import math

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import cached_db, db
from django.shortcuts import render

from newsite.cache.backend import CacheUnavailable

TOMBSTONE_PREFIX = "newsite.sessions.ended:"


class SessionNotEnded(Exception):
    """The cache could not be told that the session ended; nothing was changed."""


class SessionStore(cached_db.SessionStore):
    def tombstone_key(self, session_key):
        return TOMBSTONE_PREFIX + session_key

    def cached_for(self, **expiry):
        return min(self.get_expiry_age(**expiry), settings.NEWSITE_SESSION_CACHE_TTL)

    def load(self):
        session_key = self.session_key
        found = self._cache.get_many([self.cache_key, self.tombstone_key(session_key)])
        if self.tombstone_key(session_key) in found:
            self._session_key = None  # ended: a new session gets a new key
            return {}
        if (data := found.get(self.cache_key)) is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache.set(self.cache_key, data, self.cached_for(expiry=row.expire_date))
        return data

    def save(self, must_create=False):
        db.SessionStore.save(self, must_create)
        self._cache.set(self.cache_key, self._session, self.cached_for())

    def delete(self, session_key=None):
        """End the session: tombstone, row, copy, in that order. Raises SessionNotEnded, having
        changed nothing, if the tombstone cannot be written."""
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        tombstone_lifetime = 2 * settings.NEWSITE_SESSION_CACHE_TTL
        try:
            self._cache.set_or_raise(self.tombstone_key(session_key), True, tombstone_lifetime)
        except CacheUnavailable as error:
            raise SessionNotEnded(f"The cache did not answer: {error}") from error
        db.SessionStore.delete(self, session_key)
        self._cache.delete(self.cache_key_prefix + session_key)

    # Async views get the same guarantees from the same code (Django's aflush() and
    # acycle_key() end sessions through adelete()).
    async def aload(self):
        return await sync_to_async(self.load)()

    async def asave(self, must_create=False):
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)


class SessionNotEndedMiddleware:
    """Answer SessionNotEnded, wherever a view raised it, with a 503 page that says what
    happened and asks the reader to try again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SessionNotEnded):
            return None
        signing_out = request.resolver_match.view_name == "accounts:logout"
        response = render(
            request, "accounts/session_not_ended.html", {"signing_out": signing_out}, status=503
        )
        response["Retry-After"] = str(math.ceil(settings.NEWSITE_CACHE_RETRY_AFTER))
        return response
