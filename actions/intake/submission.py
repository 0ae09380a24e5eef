"""Ending an intake: ``action_submit_intake`` stores it, ``action_intake_discard`` forgets it.

A confirmed intake is stored once (idempotency key), staff are notified with safe fields
only (throttled per conversation and channel), and the intake slots are reset. A
declined or under-age intake is closed without storing anything. Nothing here logs what
the person wrote.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import run_db
from actions.intake.messages import intake_notification, unsaved_urgent_notification
from actions.intake.state import is_stopped, reset_intake_events
from secure_base.intake import CONFIRM_SLOT, CONSENT_SLOT, STOPPED_SLOT, SUBMISSION_ID_SLOT
from secure_base.intake.store import mark_notified, record_from_slots, submit_intake
from secure_base.intake.validators import licensed_region_of
from secure_base.logsafe import describe_error
from secure_base.notify import alert_reference, send_throttled
from secure_base.profile import load_profile

logger = logging.getLogger(__name__)


class ActionSubmitIntake(Action):
    """Ends the intake: stores a confirmed one once, or closes a stopped one."""

    def name(self) -> str:
        """Name the action that runs when the intake form ends, and on "try again"."""
        return "action_submit_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store, notify and reset; on a database failure keep everything for a retry."""
        slots = tracker.slots
        profile = load_profile()
        if slots.get(STOPPED_SLOT) == "paused":
            # Paused at the person's wish: answers kept for "continue intake".
            return [SlotSet(STOPPED_SLOT, None)]
        if slots.get(STOPPED_SLOT) or is_stopped(slots, profile):
            # Stopped, declined or under age: the person was told; nothing is stored.
            return reset_intake_events()
        if slots.get(CONFIRM_SLOT) is not True:
            if slots.get(SUBMISSION_ID_SLOT) and not slots.get(CONSENT_SLOT):
                dispatcher.utter_message(response="utter_intake_already_submitted")
            else:
                dispatcher.utter_message(response="utter_intake_nothing_to_submit")
            return []

        channel = tracker.get_latest_input_channel()
        licensed = licensed_region_of(str(slots.get("region") or ""), profile.licensed_regions)
        record = record_from_slots(
            slots, tracker.sender_id, profile.format_labels(), licensed_region=licensed
        )
        try:
            submission, created = await run_db(submit_intake, record)
        except Exception as exc:  # noqa: BLE001 - the person must hear the truth
            reference = alert_reference()
            logger.error(
                "Intake of conversation %s could not be stored (%s); answers kept in the "
                "conversation for a retry (alert reference %s)",
                tracker.sender_id,
                describe_error(exc),
                reference,
            )
            if record.urgent:
                # SMTP and HTTP block; keep the action server's event loop free.
                await asyncio.to_thread(
                    send_throttled,
                    unsaved_urgent_notification(reference, datetime.now(UTC)),
                    conversation_id=tracker.sender_id,
                    channel=channel,
                )
            dispatcher.utter_message(response="utter_intake_submit_failed")
            return []

        if not submission.notified:
            result = await asyncio.to_thread(
                send_throttled,
                intake_notification(submission.id, submission.urgent, submission.created_at),
                conversation_id=tracker.sender_id,
                channel=channel,
            )
            if not result.ok:
                logger.error(
                    "Staff were not notified of intake %s: %s", submission.id, result.error
                )
            try:
                await run_db(mark_notified, submission.id, result.ok, result.error)
            except Exception as exc:  # noqa: BLE001 - the submission itself is stored
                logger.error(
                    "Could not record the notification outcome of intake %s (%s)",
                    submission.id,
                    describe_error(exc),
                )
        logger.info("Intake %s stored (new: %s)", submission.id, created)
        done = "utter_intake_submitted_urgent" if submission.urgent else "utter_intake_submitted"
        dispatcher.utter_message(response=done)
        return reset_intake_events() + [SlotSet(SUBMISSION_ID_SLOT, str(submission.id))]


class ActionIntakeDiscard(Action):
    """Stops the intake at the person's request and forgets every answer."""

    def name(self) -> str:
        """Name the action that runs after the person confirms they want to stop."""
        return "action_intake_discard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Deactivates the form, resets the intake slots and says so."""
        dispatcher.utter_message(response="utter_intake_discarded")
        return [ActiveLoop(None)] + reset_intake_events()
