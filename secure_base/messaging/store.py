"""Queries for failed crisis replies. Each function takes a ``Session``; the caller owns it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from secure_base.messaging.models import FailedCrisisReply

_CONVERSATION_MAX = FailedCrisisReply.__table__.c.conversation_id.type.length


def failed_reply_ids_for_conversation(session: Session, conversation_id: str) -> list[int]:
    """IDs of the failed crisis replies of one conversation, oldest first."""
    statement = (
        select(FailedCrisisReply.id)
        .where(FailedCrisisReply.conversation_id == conversation_id[:_CONVERSATION_MAX])
        .order_by(FailedCrisisReply.id)
    )
    return list(session.execute(statement).scalars())


def delete_failed_replies(session: Session, row_ids: list[int]) -> int:
    """Delete failed crisis replies by ID; return how many were deleted."""
    if not row_ids:
        return 0
    result = session.execute(delete(FailedCrisisReply).where(FailedCrisisReply.id.in_(row_ids)))
    return int(result.rowcount or 0)


def delete_failed_replies_before(session: Session, cutoff: datetime) -> int:
    """Delete every failed crisis reply recorded before ``cutoff`` (retention)."""
    result = session.execute(
        delete(FailedCrisisReply).where(FailedCrisisReply.occurred_at < cutoff))
    return int(result.rowcount or 0)
