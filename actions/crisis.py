"""Recording crisis events and notifying staff.

The static crisis response (``utter_crisis``) has already been sent by Rasa before this
action runs, and the ``crisis_flag`` slot is set by its ``from_intent`` mapping, so the
person never waits on, or depends on, anything here. This action only makes sure the
practice knows: it stores the event (the message encrypted) and notifies staff with
safe fields only. Each step is independent: a database failure still notifies, a
notification failure is still recorded on the stored event.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import run_db
from secure_base.crisis.store import mark_notified, record_crisis_event
from secure_base.notify import Notification, NotifyResult, send_notification
from secure_base.sqltypes import utcnow

logger = logging.getLogger(__name__)

CRISIS_KIND = "crisis"
SAFETY_NET_KEY = "crisis_safety_net"
CLASSIFIER_LAYER = "classifier"
SAFETY_NET_LAYER = "safety_net"


def _error_name(exc: BaseException) -> str:
    """Exception type (and its DBAPI cause) without the message.

    SQLAlchemy error messages include the statement's parameters, which here would be
    the person's message, so the text of the exception is never logged.
    """
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__}/{type(orig).__name__}" if orig is not None else type(exc).__name__


def detection_of(latest_message: Optional[Dict[str, Any]]) -> tuple[str, Optional[str]]:
    """Which layer detected the crisis, and which rule matched, from the parse data.

    The crisis safety net (last NLU component) adds ``crisis_safety_net`` to the parse
    data when it decides. Accepted forms: a dict with ``layer`` (or
    ``detection_layer``) and ``rule`` (or ``rule_id``/``pattern``), optionally
    ``triggered``; or a plain rule name. Without it, the NLU classifier decided.
    Nothing else from the safety-net data is kept: it could quote the message.
    """
    info = (latest_message or {}).get(SAFETY_NET_KEY)
    if not info:
        return CLASSIFIER_LAYER, None
    if isinstance(info, str):
        return SAFETY_NET_LAYER, info
    if isinstance(info, dict):
        if info.get("triggered") is False:
            return CLASSIFIER_LAYER, None
        layer = info.get("layer") or info.get("detection_layer") or SAFETY_NET_LAYER
        rule = info.get("rule") or info.get("rule_id") or info.get("pattern")
        return str(layer), (str(rule) if rule else None)
    return SAFETY_NET_LAYER, None


def crisis_notification(
    event_id: Optional[int],
    occurred_at: datetime,
    channel: Optional[str],
    conversation_id: str,
) -> Notification:
    """Build the staff notification for a crisis event: safe fields only, never the text.

    Args:
        event_id: ID of the stored event, or ``None`` when storing it failed.
        occurred_at: When the crisis message was handled (UTC).
        channel: Input channel, if known.
        conversation_id: Rasa sender ID.

    """
    when = occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if event_id is not None:
        lookup = (
            f"Look up crisis event #{event_id} in the practice database for the details "
            "(the message is stored encrypted there)."
        )
    else:
        lookup = (
            "The event could NOT be stored in the practice database; check the action "
            "server log around this time and follow up on the conversation ID."
        )
    body = (
        "A visitor to the Secure Base assistant sent a message that was answered with the "
        "crisis response (crisis lines and emergency advice).\n\n"
        f"Time: {when}\n"
        f"Channel: {channel or 'unknown'}\n"
        f"Conversation ID: {conversation_id}\n"
        f"Crisis event ID: {event_id if event_id is not None else 'not stored'}\n\n"
        f"{lookup}"
    )
    return Notification(
        kind=CRISIS_KIND,
        subject=f"[Secure Base] Crisis response given ({when})",
        body=body,
        data={
            "event_id": event_id,
            "occurred_at": occurred_at.isoformat(),
            "channel": channel,
            "conversation_id": conversation_id,
            "stored": event_id is not None,
        },
    )


class ActionCrisisRecord(Action):
    """Stores a crisis event and notifies staff; says nothing to the person."""

    def name(self) -> str:
        """Return the action name used in the domain and by the crisis policy."""
        return "action_crisis_record"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Record the event, then notify staff; each step survives the other's failure.

        Returns:
            No events: the crisis flag is set by its slot mapping, and the crisis
            response was already sent.

        """
        latest = tracker.latest_message or {}
        occurred_at = utcnow()
        channel = tracker.get_latest_input_channel()
        conversation_id = tracker.sender_id
        layer, rule = detection_of(latest)

        event_id: Optional[int] = None
        try:
            event = await run_db(
                partial(
                    record_crisis_event,
                    conversation_id=conversation_id,
                    trigger_message=latest.get("text"),
                    channel=channel,
                    detection_layer=layer,
                    rule=rule,
                    occurred_at=occurred_at,
                )
            )
            event_id = event.id
        except Exception as exc:  # noqa: BLE001 - staff must still be told
            logger.error(
                "Crisis event for conversation %s could not be stored (%s); notifying anyway",
                conversation_id,
                _error_name(exc),
            )

        notification = crisis_notification(event_id, occurred_at, channel, conversation_id)
        try:
            # SMTP and HTTP block; keep the action server's event loop free.
            result = await asyncio.to_thread(send_notification, notification)
        except Exception as exc:  # noqa: BLE001 - send_notification should not raise
            result = NotifyResult(failed={"notifier": _error_name(exc)})
        if not result.ok:
            logger.error(
                "Staff were not notified of crisis event %s (conversation %s): %s",
                event_id,
                conversation_id,
                result.error,
            )
        elif result.failed:
            logger.warning(
                "Crisis event %s: some notification transports failed: %s",
                event_id,
                result.error,
            )

        if event_id is not None:
            try:
                await run_db(mark_notified, event_id, result.ok, result.error)
            except Exception as exc:  # noqa: BLE001 - the event itself is stored
                logger.error(
                    "Could not record the notification outcome of crisis event %s (%s)",
                    event_id,
                    _error_name(exc),
                )
        return []
