"""Rasa's SQL tracker store with every event encrypted at rest, and erasure on request.

:class:`EncryptedSQLTrackerStore` is Rasa's ``SQLTrackerStore`` (SQLite or PostgreSQL,
same options, same ``events`` table) with three changes:

* **Encryption.** Each event's ``data`` column (message text, slot values, bot replies)
  is a Fernet token under the intake keys (:func:`secure_base.tracker_store.encode_event_data`).
  ``intent_name`` and ``action_name`` are left empty: an intent such as ``crisis`` is
  health data too. ``sender_id``, ``type_name`` and ``timestamp`` stay in clear, because
  Rasa selects a conversation's latest session with them (and staff find and delete
  conversations by ``sender_id``).
* **Erasure on request.** ``action_delete_my_data`` deletes the application records
  and sets the slot :data:`secure_base.tracker_store.ERASURE_SLOT`. When Rasa saves that
  turn (at its end, still holding the conversation lock), this store deletes every
  event of the conversation in the same transaction instead of writing the turn, so
  nothing of it is left, not even the request to delete.
* **No write-back after a deletion.** Rasa writes the events of a turn that the store
  does not yet have, counted from the rows stored. If staff or the purge deleted the
  conversation while a turn was running, that count is 0 and Rasa would write the whole
  conversation back. The store remembers how many rows it loaded for each conversation,
  and drops a save that finds fewer rows than it loaded.

SQLite connections switch on ``secure_delete``. Selected in the endpoints files with
``type: secure_base.encrypted_tracker_store.EncryptedSQLTrackerStore``.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from typing import Any, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event as sa_event

from secure_base.db import sqlite_secure_delete
from secure_base.tracker_store import ERASURE_SLOT, decode_event_data, encode_event_data

logger = logging.getLogger(__name__)

# Conversations whose loaded row count is remembered between retrieve and save; the
# oldest are forgotten first (a turn retrieves and saves within seconds).
_REMEMBERED = 10_000


def _requests_erasure(event: Any) -> bool:
    return isinstance(event, SlotSet) and event.key == ERASURE_SLOT and event.value is True


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that encrypts events, erases on request, never writes back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Takes the options of Rasa's ``SQLTrackerStore`` (``dialect``, ``db``, ...)."""
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa_event.listen(self.engine, "connect", sqlite_secure_delete)
            # Connections opened while Rasa created the table lack the pragma.
            self.engine.dispose()
        self._loaded: OrderedDict[str, int] = OrderedDict()

    def _remember_loaded(self, sender_id: Text, count: int) -> None:
        self._loaded[sender_id] = count
        self._loaded.move_to_end(sender_id)
        while len(self._loaded) > _REMEMBERED:
            self._loaded.popitem(last=False)

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Rasa's retrieval, decrypting each event."""
        with self.session_scope() as session:
            raw = [
                row.data
                for row in self._event_query(
                    session, sender_id,
                    fetch_events_from_all_sessions=fetch_events_from_all_sessions,
                )
            ]
        # Outside Rasa's session_scope, which turns any ValueError (DecryptionError is
        # one) into "schema not found" and exits the server.
        events = [decode_event_data(data) for data in raw]
        if not fetch_events_from_all_sessions:
            # Rasa's save counts rows of the latest session too.
            self._remember_loaded(sender_id, len(events))
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the turn's new events encrypted, or erases the conversation."""
        sender_id = tracker.sender_id
        loaded = self._loaded.get(sender_id)
        if self.event_broker is not None and not any(map(_requests_erasure, tracker.events)):
            # Rasa's order (the broker diffs against the stored tracker); an erased
            # conversation is never streamed. Events reach the broker in clear.
            await self.stream_events(tracker)
        self._loaded.pop(sender_id, None)
        with self.session_scope() as session:
            stored = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            if any(_requests_erasure(e) for e in new_events):
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == sender_id
                ).delete(synchronize_session=False)
                session.commit()
                logger.info("A conversation was erased at its owner's request")
                return
            if loaded is not None and stored < loaded:
                # Deleted (by staff or the purge) while this turn ran: keep it deleted.
                logger.info("A turn of a conversation deleted meanwhile was not stored")
                return
            for event in new_events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=None,
                        action_name=None,
                        data=encode_event_data(data),
                    )
                )
            session.commit()
