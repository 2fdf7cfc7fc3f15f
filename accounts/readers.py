"""The signed-in reader, as the per-reader fragments need them: from the cache, not the database.

The fragments run on every page view of every signed-in reader, so they do not load
`request.user` (one query) nor count saved articles (another). They read the reader's id from
the session (itself read from the cache) and the rest from the query cache, under a tag of
their own, `reader:<id>`, invalidated when the user or their saved articles change, when they
sign out, or get a flash message (accounts/signals.py, accounts/messages.py); the edge bans the
reader's fragments by the same tag.
"""

from dataclasses import dataclass

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from accounts.models import SavedArticle
from newsite.cache import edge
from newsite.cache.includes import has_session
from newsite.cache.queries import cached_query

READER_TAG_PREFIX = "reader:"
# Only a reader's own responses are built from it: the edge keeps them for one session at most.
edge.never_shared(READER_TAG_PREFIX)


def reader_tag(user_id):
    return f"{READER_TAG_PREFIX}{user_id}"


@dataclass(frozen=True)
class Reader:
    username: str
    saved_article_ids: frozenset
    # The session of a reader whose password has changed since no longer counts (as in
    # django.contrib.auth.get_user).
    session_auth_hash: str


def _load(user_id):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    saved = SavedArticle.objects.filter(user_id=user_id).values_list("article_id", flat=True)
    return Reader(user.get_username(), frozenset(saved), user.get_session_auth_hash())


def current_reader(request):
    """The signed-in reader of this request, or None for an anonymous visitor."""
    if not has_session(request):
        return None  # without even loading the (empty) session
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return None
    reader = cached_query(
        f"reader:{user_id}", tags=[reader_tag(user_id)], compute=lambda: _load(user_id)
    )
    session_hash = request.session.get(HASH_SESSION_KEY, "")
    if reader is None or not constant_time_compare(session_hash, reader.session_auth_hash):
        return None
    return reader
