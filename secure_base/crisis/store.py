"""Queries for crisis events. Each function takes a ``Session``; the caller owns it."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from secure_base import notify
from secure_base.crisis import CLASSIFIER_LAYER
from secure_base.crisis.models import CrisisEvent
from secure_base.sqltypes import utcnow
from secure_base.textsafe import clean_text

# Column sizes, so an unexpectedly long channel or rule name cannot fail the insert.
_LAYER_MAX = CrisisEvent.__table__.c.detection_layer.type.length
_RULE_MAX = CrisisEvent.__table__.c.rule.type.length
_CONVERSATION_MAX = CrisisEvent.__table__.c.conversation_id.type.length


def _clip(value: Optional[str], limit: int) -> Optional[str]:
    return clean_text(value)[:limit] if value is not None else None


def record_crisis_event(
    session: Session,
    conversation_id: str,
    trigger_message: Optional[str],
    channel: Optional[str] = None,
    detection_layer: str = CLASSIFIER_LAYER,
    rule: Optional[str] = None,
    occurred_at: Optional[datetime] = None,
) -> CrisisEvent:
    """Store a new crisis event (not yet notified) and returns it with its ID.

    Args:
        session: Open session; the caller commits.
        conversation_id: Rasa sender ID.
        trigger_message: The text that triggered the crisis response (stored encrypted).
        channel: Input channel name, if known (stored only if it is a known channel,
            see :func:`secure_base.notify.channel_name`).
        detection_layer: ``classifier`` or the safety-net layer that detected it.
        rule: The safety-net rule that matched, if any.
        occurred_at: When it happened (aware); now when omitted.

    """
    event = CrisisEvent(
        occurred_at=occurred_at or utcnow(),
        # A client can name its own input channel (REST's "input_channel"): keep only
        # the names of channels this assistant has.
        channel=notify.channel_name(channel),
        conversation_id=conversation_id[:_CONVERSATION_MAX],
        trigger_message=clean_text(trigger_message) if trigger_message is not None else None,
        detection_layer=_clip(detection_layer, _LAYER_MAX) or CLASSIFIER_LAYER,
        rule=_clip(rule, _RULE_MAX),
        notified=False,
        notify_error=None,
    )
    session.add(event)
    session.flush()  # assigns the ID the notification refers to
    return event


# Records whether staff were notified of an event: ``mark_notified(session, event_id, ok,
# error)`` returns the updated event, or ``None`` when there is no such event.
mark_notified = partial(notify.mark_notified, CrisisEvent)


def list_crisis_events(session: Session, limit: int = 50) -> list[CrisisEvent]:
    """Return the most recent crisis events, newest first (trigger text decrypted)."""
    statement = (
        select(CrisisEvent)
        .order_by(CrisisEvent.occurred_at.desc(), CrisisEvent.id.desc())
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def crisis_event_ids_for_conversation(session: Session, conversation_id: str) -> list[int]:
    """IDs of the crisis events of one conversation, oldest first."""
    statement = (
        select(CrisisEvent.id)
        .where(CrisisEvent.conversation_id == conversation_id[:_CONVERSATION_MAX])
        .order_by(CrisisEvent.id)
    )
    return list(session.execute(statement).scalars())


def delete_crisis_events(session: Session, event_ids: list[int]) -> int:
    """Delete crisis events by ID; return how many were deleted."""
    if not event_ids:
        return 0
    result = session.execute(delete(CrisisEvent).where(CrisisEvent.id.in_(event_ids)))
    return int(result.rowcount or 0)


def delete_crisis_events_before(session: Session, cutoff: datetime) -> int:
    """Delete every crisis event that happened before ``cutoff`` (retention)."""
    result = session.execute(delete(CrisisEvent).where(CrisisEvent.occurred_at < cutoff))
    return int(result.rowcount or 0)
