"""Queries for intake submissions. Each function takes a ``Session``; the caller owns it.

:func:`record_from_slots` turns the validated slot values of a finished intake into an
:class:`IntakeRecord`; :func:`submit_intake` stores it exactly once per idempotency key
(insert, or return the row a previous attempt stored, also when two attempts race).
:func:`change_status` moves a submission through the staff workflow (:data:`STATUSES`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secure_base import notify
from secure_base.intake import ASQ_SLOTS, GAD_SLOTS, PHQ_SLOTS, SKIPPED
from secure_base.intake.models import STATUS_NEW, STATUSES, IntakeSubmission
from secure_base.intake.scoring import score_screening
from secure_base.sqltypes import utcnow
from secure_base.textsafe import clean_value

SORT_URGENCY = "urgency"
SORT_DATE = "date"


def idempotency_key(conversation_id: str, started_at: str) -> str:
    """Return the unique key: sha256 of the conversation ID and the consent time.

    One conversation can submit several intakes over time (each starts with its own
    consent), but replaying the submission of one intake always gives the same key.
    """
    material = f"{conversation_id}\x1f{started_at}".encode()
    return hashlib.sha256(material).hexdigest()


def parse_timestamp(value: Optional[str]) -> datetime:
    """Parse an ISO timestamp from a slot as aware UTC (now if missing or bad)."""
    if value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    return datetime.now(UTC)


@dataclass
class IntakeRecord:
    """Everything stored for one intake (plain values, before encryption)."""

    idempotency_key: str
    conversation_id: str
    consent_version: str
    consent_at: datetime
    preferred_name: str
    email: Optional[str]
    phone: Optional[str]
    region: Optional[str]
    reason: Optional[str]
    hopes: Optional[str]
    availability: Optional[str]
    session_format: Optional[str]
    payment_type: Optional[str]
    urgent: bool
    phq2: Optional[int]
    phq9: Optional[int]
    gad2: Optional[int]
    gad7: Optional[int]
    asq_positive: bool
    answers: dict[str, Any] = field(default_factory=dict)


def _age_for_storage(age: Any) -> Any:
    if age is True:
        return "adult (age not given)"
    return age


def record_from_slots(
    slots: Mapping[str, Any],
    conversation_id: str,
    format_labels: Optional[Mapping[str, str]] = None,
    licensed_region: Optional[str] = None,
) -> IntakeRecord:
    """Build the record of a confirmed intake from validated slot values.

    Args:
        slots: Slot values (``tracker.slots``).
        conversation_id: Rasa sender ID.
        format_labels: Session format keys mapped to their labels (for the answers).
        licensed_region: The licensed region the person's answer named, if any.

    """
    # A skipped question is stored as no answer.
    slots = {name: (None if value == SKIPPED else value) for name, value in slots.items()}
    started_at = slots.get("intake_started_at") or ""
    method = slots.get("contact_method")
    email = slots.get("email") if method in ("email", "either") else None
    phone = slots.get("phone") if method in ("phone", "either") else None
    scores = score_screening(slots)
    screening = {
        "phq": {name: slots.get(name) for name in PHQ_SLOTS if slots.get(name) is not None},
        "gad": {name: slots.get(name) for name in GAD_SLOTS if slots.get(name) is not None},
        "asq": {name: slots.get(name) for name in ASQ_SLOTS if slots.get(name) is not None},
    }
    session_format = slots.get("session_format")
    answers = {
        "preferred_name": slots.get("preferred_name"),
        "age": _age_for_storage(slots.get("age")),
        "contact_method": method,
        "email": email,
        "phone": phone,
        "region": slots.get("region"),
        "region_licensed": licensed_region is not None,
        "reason": slots.get("reason"),
        "previous_therapy": slots.get("previous_therapy"),
        "hopes": slots.get("hopes"),
        "session_format": session_format,
        "session_format_label": (format_labels or {}).get(session_format, session_format),
        "availability": slots.get("availability"),
        "payment": slots.get("payment"),
        "screening": screening,
        "urgent": bool(slots.get("intake_urgent")) or scores.asq_acute,
        "consent": {"version": slots.get("intake_consent"), "at": started_at},
    }
    return IntakeRecord(
        idempotency_key=idempotency_key(conversation_id, started_at),
        conversation_id=conversation_id,
        consent_version=str(slots.get("intake_consent") or ""),
        consent_at=parse_timestamp(started_at),
        preferred_name=str(slots.get("preferred_name") or ""),
        email=email,
        phone=phone,
        region=slots.get("region"),
        reason=slots.get("reason"),
        hopes=slots.get("hopes"),
        availability=slots.get("availability"),
        session_format=session_format,
        payment_type=slots.get("payment"),
        urgent=bool(answers["urgent"]),
        phq2=scores.phq2,
        phq9=scores.phq9,
        gad2=scores.gad2,
        gad7=scores.gad7,
        asq_positive=scores.asq_positive,
        answers=answers,
    )


# Keys and IDs are matched exactly elsewhere (replays, deletion by conversation), so
# they are stored as given; everything a person typed is cleaned.
_STORED_AS_GIVEN = ("idempotency_key", "conversation_id")


def _stored_values(record: IntakeRecord) -> dict[str, Any]:
    """The record's column values, with control and bidi characters removed from text."""
    values = asdict(record)
    return {
        name: value if name in _STORED_AS_GIVEN else clean_value(value)
        for name, value in values.items()
    }


def get_by_key(session: Session, key: str) -> Optional[IntakeSubmission]:
    """Return the submission stored under an idempotency key, if any."""
    statement = select(IntakeSubmission).where(IntakeSubmission.idempotency_key == key)
    return session.execute(statement).scalars().first()


def submit_intake(session: Session, record: IntakeRecord) -> tuple[IntakeSubmission, bool]:
    """Store the intake once: insert it, or return the row stored under its key.

    Safe against replays (the key is looked up first) and against two attempts racing
    (the insert runs in a savepoint; the loser of the unique-constraint race gets the
    winner's row).

    Args:
        session: Open session; the caller commits.
        record: The intake to store.

    Returns:
        The stored submission and whether this call created it.

    """
    existing = get_by_key(session, record.idempotency_key)
    if existing is not None:
        return existing, False
    values = _stored_values(record)
    answers = values.pop("answers")
    submission = IntakeSubmission(
        **values,
        answers_json=json.dumps(answers, ensure_ascii=False, sort_keys=True, default=str),
        status=STATUS_NEW,
        notified=False,
    )
    try:
        with session.begin_nested():
            session.add(submission)
            session.flush()
    except IntegrityError:
        existing = get_by_key(session, record.idempotency_key)
        if existing is None:  # not a key clash after all
            raise
        return existing, False
    return submission, True


# Records whether staff were notified of a submission: ``mark_notified(session,
# submission_id, ok, error)`` returns the updated submission, or ``None``.
mark_notified = partial(notify.mark_notified, IntakeSubmission)


def get_submission(session: Session, submission_id: int) -> Optional[IntakeSubmission]:
    """One submission by ID (decrypted on access), or ``None``."""
    return session.get(IntakeSubmission, submission_id)


def list_submissions(
    session: Session, sort: str = SORT_URGENCY, limit: Optional[int] = None
) -> list[IntakeSubmission]:
    """Submissions, urgent (then ASQ-positive) first and newest first, or newest first.

    Args:
        session: Open session.
        sort: ``urgency`` (urgent, then ASQ positive, then newest) or ``date`` (newest).
        limit: At most this many rows.

    """
    if sort == SORT_URGENCY:
        order = (
            IntakeSubmission.urgent.desc(),
            IntakeSubmission.asq_positive.desc(),
            IntakeSubmission.created_at.desc(),
            IntakeSubmission.id.desc(),
        )
    elif sort == SORT_DATE:
        order = (IntakeSubmission.created_at.desc(), IntakeSubmission.id.desc())
    else:
        raise ValueError(f"unknown sort order {sort!r} (use {SORT_URGENCY} or {SORT_DATE})")
    statement = select(IntakeSubmission).order_by(*order)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.execute(statement).scalars())


def delete_submission(session: Session, submission_id: int) -> Optional[str]:
    """Delete a submission; return its conversation ID, or ``None`` if there was none."""
    submission = session.get(IntakeSubmission, submission_id)
    if submission is None:
        return None
    conversation_id = submission.conversation_id
    session.delete(submission)
    session.flush()
    return conversation_id


def change_status(session: Session, submission_id: int, new_status: str) -> Optional[str]:
    """Set a submission's status and record when it changed.

    Reads and writes clear columns only, so it needs no encryption key and never
    decrypts health information. Setting the status a submission already has changes
    nothing (``status_changed_at`` keeps the time of the last real change).

    Args:
        session: Open session; the caller commits.
        submission_id: ID of the submission.
        new_status: One of :data:`secure_base.intake.models.STATUSES`.

    Returns:
        The status before the change, or ``None`` if there is no such submission.

    Raises:
        ValueError: When ``new_status`` is not an allowed status.

    """
    if new_status not in STATUSES:
        raise ValueError(f"unknown status {new_status!r} (use one of {', '.join(STATUSES)})")
    # Only the status column (a whole row would be decrypted); FOR UPDATE keeps the
    # reported old status true when two staff members change it at once (PostgreSQL).
    current = select(IntakeSubmission.status).where(IntakeSubmission.id == submission_id)
    old_status = session.execute(current.with_for_update()).scalar_one_or_none()
    if old_status is None or old_status == new_status:
        return old_status
    session.execute(
        update(IntakeSubmission)
        .where(IntakeSubmission.id == submission_id)
        .values(status=new_status, status_changed_at=utcnow())
    )
    return old_status


def submission_ids_for_conversation(session: Session, conversation_id: str) -> list[int]:
    """IDs of every submission sent from one conversation, oldest first.

    The conversation ID is stored encrypted (randomised tokens cannot be compared in
    SQL), so each row's ID is decrypted in Python: fine for a practice's volume.
    """
    statement = select(IntakeSubmission.id, IntakeSubmission.conversation_id).order_by(
        IntakeSubmission.id
    )
    return [row_id for row_id, owner in session.execute(statement) if owner == conversation_id]


def delete_submissions_before(session: Session, cutoff: datetime) -> int:
    """Delete every submission that arrived before ``cutoff`` (retention); return how many."""
    result = session.execute(
        delete(IntakeSubmission).where(IntakeSubmission.created_at < cutoff)
    )
    return int(result.rowcount or 0)
