"""Crisis alerts: store a crisis event, tell staff, record whether they were told.

A crisis message (``action_crisis_record``) and an acute answer to the intake's ASQ
acuity question both raise the same alert with :func:`raise_crisis_alert`. The person
has already been given the crisis response; this only makes sure the practice knows.
Each step is independent: a database failure still notifies, and a notification
failure is still recorded on the stored event. Nothing is raised, and nothing the person
wrote reaches the notification or the logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from secure_base.crisis.store import mark_notified, record_crisis_event
from secure_base.db import session_scope
from secure_base.logsafe import describe_error
from secure_base.notify import (
    Notification,
    NotifyResult,
    notification_time,
    send_notification,
)
from secure_base.sqltypes import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

CRISIS_KIND = "crisis"


@dataclass(frozen=True)
class CrisisAlert:
    """What became of one alert.

    Attributes:
        event_id: ID of the stored crisis event, or ``None`` when storing it failed.
        result: What happened to the staff notification.

    """

    event_id: Optional[int]
    result: NotifyResult


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
    when = notification_time(occurred_at)
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


def raise_crisis_alert(
    conversation_id: str,
    *,
    trigger_message: Optional[str],
    channel: Optional[str],
    detection_layer: str,
    rule: Optional[str],
    engine: Optional[Engine] = None,
) -> CrisisAlert:
    """Store a crisis event, notify staff and record the outcome on the event.

    Blocking (database, SMTP and HTTP): call it from a worker thread in async code,
    e.g. ``await asyncio.to_thread(raise_crisis_alert, ...)``. Never raises.

    Args:
        conversation_id: Rasa sender ID.
        trigger_message: The message that got the crisis response (stored encrypted),
            or ``None`` when there is no message to keep (an intake answer).
        channel: Input channel, if known.
        detection_layer: What detected the crisis (``classifier``, a safety-net layer,
            ``intake_asq``).
        rule: The rule that matched, if any.
        engine: Database to store the event in; the settings' database when omitted.

    Returns:
        The stored event's ID (if it was stored) and the notification's outcome.

    """
    occurred_at = utcnow()
    event_id: Optional[int] = None
    try:
        with session_scope(engine) as session:
            event = record_crisis_event(
                session,
                conversation_id=conversation_id,
                trigger_message=trigger_message,
                channel=channel,
                detection_layer=detection_layer,
                rule=rule,
                occurred_at=occurred_at,
            )
        event_id = event.id  # only once the commit succeeded
    except Exception as exc:  # noqa: BLE001 - staff must still be told
        logger.error(
            "Crisis event for conversation %s could not be stored (%s); notifying anyway",
            conversation_id,
            describe_error(exc),
        )

    result = send_notification(
        crisis_notification(event_id, occurred_at, channel, conversation_id)
    )
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
            with session_scope(engine) as session:
                mark_notified(session, event_id, result.ok, result.error)
        except Exception as exc:  # noqa: BLE001 - the event itself is stored
            logger.error(
                "Could not record the notification outcome of crisis event %s (%s)",
                event_id,
                describe_error(exc),
            )
    return CrisisAlert(event_id, result)
