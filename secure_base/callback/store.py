"""Queries for callback requests. Each function takes a ``Session``; the caller owns it.

:func:`record_from_slots` turns the validated slots of a finished ``callback_form`` into
a :class:`CallbackRecord`; :func:`submit_callback` stores it exactly once per idempotency
key. Deletion by ID, by conversation (erasure on request) and by age (retention) mirror
the intake store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Any, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secure_base import notify
from secure_base.callback import (
    CONSENT_SLOT,
    EMAIL_SLOT,
    METHOD_EMAIL,
    METHOD_PHONE,
    METHOD_SLOT,
    NAME_SLOT,
    PHONE_SLOT,
    STARTED_AT_SLOT,
    TIMES_SLOT,
)
from secure_base.callback.models import STATUS_NEW, STATUSES, CallbackRequest
from secure_base.intake.store import idempotency_key, parse_timestamp
from secure_base.textsafe import clean_value


@dataclass
class CallbackRecord:
    """Everything stored for one callback request (plain values, before encryption)."""

    idempotency_key: str
    conversation_id: str
    consent_version: str
    consent_at: datetime
    preferred_name: str
    contact_method: str
    phone: Optional[str]
    email: Optional[str]
    best_times: Optional[str]


def record_from_slots(slots: Mapping[str, Any], conversation_id: str) -> CallbackRecord:
    """Build the record of a finished callback request from validated slot values.

    Only the contact detail of the chosen method is kept, so a number typed before the
    person switched to e-mail is not stored.
    """
    started_at = str(slots.get(STARTED_AT_SLOT) or "")
    method = slots.get(METHOD_SLOT)
    if method not in (METHOD_PHONE, METHOD_EMAIL):
        raise ValueError(f"contact method must be {METHOD_PHONE} or {METHOD_EMAIL}")
    return CallbackRecord(
        # "callback" keeps the key apart from an intake started at the same moment.
        idempotency_key=idempotency_key(f"callback\x1f{conversation_id}", started_at),
        conversation_id=conversation_id,
        consent_version=str(slots.get(CONSENT_SLOT) or ""),
        consent_at=parse_timestamp(started_at),
        preferred_name=str(slots.get(NAME_SLOT) or ""),
        contact_method=method,
        phone=slots.get(PHONE_SLOT) if method == METHOD_PHONE else None,
        email=slots.get(EMAIL_SLOT) if method == METHOD_EMAIL else None,
        best_times=slots.get(TIMES_SLOT),
    )


def get_by_key(session: Session, key: str) -> Optional[CallbackRequest]:
    """Return the request stored under an idempotency key, if any."""
    statement = select(CallbackRequest).where(CallbackRequest.idempotency_key == key)
    return session.execute(statement).scalars().first()


def submit_callback(session: Session, record: CallbackRecord) -> tuple[CallbackRequest, bool]:
    """Store the request once: insert it, or return the row stored under its key.

    Returns:
        The stored request and whether this call created it.

    """
    existing = get_by_key(session, record.idempotency_key)
    if existing is not None:
        return existing, False
    values = {
        name: value if name in ("idempotency_key", "conversation_id") else clean_value(value)
        for name, value in asdict(record).items()
    }
    request = CallbackRequest(**values, status=STATUS_NEW, notified=False)
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        existing = get_by_key(session, record.idempotency_key)
        if existing is None:
            raise
        return existing, False
    return request, True


# ``mark_notified(session, request_id, ok, error)``: the notification's outcome.
mark_notified = partial(notify.mark_notified, CallbackRequest)


def get_callback(session: Session, request_id: int) -> Optional[CallbackRequest]:
    """One request by ID (decrypted on access), or ``None``."""
    return session.get(CallbackRequest, request_id)


def list_callbacks(session: Session, limit: Optional[int] = None) -> list[CallbackRequest]:
    """Requests, newest first."""
    statement = select(CallbackRequest).order_by(
        CallbackRequest.created_at.desc(), CallbackRequest.id.desc()
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.execute(statement).scalars())


def change_status(session: Session, request_id: int, new_status: str) -> Optional[str]:
    """Set a request's status (clear column only: no key needed, nothing decrypted).

    Returns:
        The status before the change, or ``None`` if there is no such request.

    Raises:
        ValueError: When ``new_status`` is not one of :data:`STATUSES`.

    """
    if new_status not in STATUSES:
        raise ValueError(f"unknown status {new_status!r} (use one of {', '.join(STATUSES)})")
    current = select(CallbackRequest.status).where(CallbackRequest.id == request_id)
    old_status = session.execute(current.with_for_update()).scalar_one_or_none()
    if old_status is not None and old_status != new_status:
        session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == request_id)
            .values(status=new_status)
        )
    return old_status


def delete_callback(session: Session, request_id: int) -> bool:
    """Delete one request; return whether there was one."""
    request = session.get(CallbackRequest, request_id)
    if request is None:
        return False
    session.delete(request)
    session.flush()
    return True


def callback_ids_for_conversation(session: Session, conversation_id: str) -> list[int]:
    """IDs of every request sent from one conversation, oldest first.

    The conversation ID is encrypted with random tokens, so it is compared in Python.
    """
    statement = select(CallbackRequest.id, CallbackRequest.conversation_id).order_by(
        CallbackRequest.id
    )
    return [row_id for row_id, owner in session.execute(statement) if owner == conversation_id]


def delete_callbacks(session: Session, request_ids: list[int]) -> int:
    """Delete the requests with these IDs; return how many went."""
    if not request_ids:
        return 0
    result = session.execute(delete(CallbackRequest).where(CallbackRequest.id.in_(request_ids)))
    return int(result.rowcount or 0)


def delete_callbacks_before(session: Session, cutoff: datetime) -> int:
    """Delete every request that arrived before ``cutoff`` (retention); return how many."""
    result = session.execute(delete(CallbackRequest).where(CallbackRequest.created_at < cutoff))
    return int(result.rowcount or 0)
