"""Crisis alerts: store a crisis event, tell staff, record whether they were told.

A crisis message (``action_crisis_record``) and an acute answer to the intake's ASQ
acuity question both raise the same alert with :func:`raise_crisis_alert`. The person
has already been given the crisis response; this only makes sure the practice knows.
Notifications are throttled per conversation and per channel
(:class:`secure_base.notify.AlertThrottle`): every event is stored, but a flood of them
does not become a flood of e-mails.
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
    AlertThrottle,
    Notification,
    NotifyResult,
    alert_reference,
    channel_name,
    notification_time,
    send_throttled,
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
    reference: str,
) -> Notification:
    """Build the staff notification for a crisis event: safe fields only, never the text.

    It names the stored event (or, when storing failed, an opaque reference that the
    action server logged next to the conversation), never the conversation ID, and the
    channel only by a known name (:func:`secure_base.notify.channel_name`).

    Args:
        event_id: ID of the stored event, or ``None`` when storing it failed.
        occurred_at: When the crisis message was handled (UTC).
        channel: Input channel, if known.
        reference: Opaque reference of this alert (:func:`secure_base.notify.alert_reference`).

    """
    when = notification_time(occurred_at)
    shown_channel = channel_name(channel) or "unknown"
    if event_id is not None:
        lookup = (
            f"Look up crisis event #{event_id} in the practice database for the details "
            "(the message is stored encrypted there)."
        )
    else:
        lookup = (
            "The event could NOT be stored in the practice database; search the action "
            f"server log for alert reference {reference} to find the conversation."
        )
    body = (
        "A visitor to the Secure Base assistant sent a message that was answered with the "
        "crisis response (crisis lines and emergency advice).\n\n"
        f"Time: {when}\n"
        f"Channel: {shown_channel}\n"
        f"Crisis event ID: {event_id if event_id is not None else 'not stored'}\n"
        f"Alert reference: {reference}\n\n"
        f"{lookup}"
    )
    return Notification(
        kind=CRISIS_KIND,
        subject=f"[Secure Base] Crisis response given ({when})",
        body=body,
        data={
            "event_id": event_id,
            "reference": reference,
            "occurred_at": occurred_at.isoformat(),
            "channel": shown_channel,
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
    throttle: Optional[AlertThrottle] = None,
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
        throttle: Flood limits for the notification (per conversation and per channel);
            the process's :func:`secure_base.notify.default_throttle` when omitted. A
            held-back notification is recorded on the event as ``throttled: ...``.

    Returns:
        The stored event's ID (if it was stored) and the notification's outcome.

    """
    occurred_at = utcnow()
    reference = alert_reference()
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
            "Crisis event for conversation %s could not be stored (%s); notifying anyway "
            "with alert reference %s",
            conversation_id,
            describe_error(exc),
            reference,
        )

    result = send_throttled(
        crisis_notification(event_id, occurred_at, channel, reference),
        conversation_id=conversation_id,
        channel=channel,
        throttle=throttle,
    )
    if result.throttled:
        logger.warning("Crisis event %s: staff notification held back (flood limit)", event_id)
    elif not result.ok:
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
