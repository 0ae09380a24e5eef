"""Erasure on request: ``action_delete_my_data`` (rules in data/rules/privacy.yml).

Runs after the person confirmed. It deletes the conversation's intake submissions, callback
requests and crisis records from the application database, then sets the slot
:data:`secure_base.tracker_store.ERASURE_SLOT`. The conversation's events are deleted by
the tracker store when Rasa saves this very turn
(:class:`secure_base.encrypted_tracker_store.EncryptedSQLTrackerStore`): that save
happens at the end of the turn while Rasa still holds the conversation lock, so no turn
can write the conversation back, and the turn itself (the request, this reply) is never
stored. Nothing here logs the conversation ID or what was deleted from it.
"""

from __future__ import annotations

import logging
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import run_db
from secure_base.logsafe import describe_error
from secure_base.privacy import ConversationRecords, delete_conversation_records
from secure_base.tracker_store import ERASURE_SLOT

logger = logging.getLogger(__name__)

DONE_RESPONSE = "utter_delete_my_data_done"
FAILED_RESPONSE = "utter_delete_my_data_failed"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def deleted_details(records: ConversationRecords) -> str:
    """The ``{details}`` of the done message: what besides the messages was deleted."""
    parts = []
    if records.submission_ids:
        parts.append(_count(len(records.submission_ids), "intake", "intakes"))
    if records.callback_request_ids:
        parts.append(
            _count(len(records.callback_request_ids), "callback request", "callback requests")
        )
    if records.crisis_event_ids:
        parts.append(
            _count(len(records.crisis_event_ids), "crisis record", "crisis records")
        )
    if len(parts) > 1:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return f", and {' and '.join(parts)} you sent from it" if parts else ""


class ActionDeleteMyData(Action):
    """Deletes this conversation's records and has the tracker store erase its events."""

    def name(self) -> str:
        """Name the action that runs after "yes" to the deletion question."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Delete the records, say so, and request the erasure of the events."""
        try:
            records = await run_db(delete_conversation_records, tracker.sender_id)
        except Exception as exc:  # noqa: BLE001 - the person must hear the truth
            # Nothing was deleted (one transaction), so the conversation is kept too.
            logger.error("A data deletion request failed (%s)", describe_error(exc))
            dispatcher.utter_message(response=FAILED_RESPONSE)
            return []
        logger.info("Data deletion request carried out")
        dispatcher.utter_message(response=DONE_RESPONSE, details=deleted_details(records))
        return [SlotSet(ERASURE_SLOT, True)]
