"""Flash messages in the session, where a signed-in reader's personal bar shows them.

The edge keeps that bar for the reader's session (newsite/cache/edge.py), so a new message bans
the reader's fragments (`reader:<id>`), after the commit like every other change: the next page
fetches a bar that shows it, and never keeps that one.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.messages.storage.session import SessionStorage

from accounts.readers import reader_tag
from newsite.cache import tags


class ReaderMessageStorage(SessionStorage):
    def add(self, level, message, extra_tags=""):
        queued = len(self._queued_messages)
        super().add(level, message, extra_tags)
        reader_id = self.request.session.get(SESSION_KEY)
        if len(self._queued_messages) > queued and reader_id is not None:
            tags.invalidate([reader_tag(reader_id)])
