"""The intake submission: one row per intake a person confirmed and sent.

Personal and health fields are encrypted at rest (:class:`secure_base.crypto.EncryptedText`):
the name, contact details, region, the free-text answers, the conversation ID and every
answer as one JSON document. Only non-identifying data that staff sort and filter on is
stored in clear: when it arrived, the screening scores, whether it is urgent, the session
format and payment type, the consent version and time, and its status (and when that
last changed).

Columns added since the table first shipped are listed, and added to older databases, in
:mod:`secure_base.schema`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Boolean, Column, Integer, String, Text, UniqueConstraint

from secure_base.crypto import EncryptedText
from secure_base.sqltypes import Base, UTCDateTime, utcnow

STATUS_NEW = "new"
STATUS_IN_REVIEW = "in_review"
STATUS_CONTACTED = "contacted"
STATUS_CLOSED = "closed"
# Every status a submission may have, in workflow order: the CLI's choices and the check
# in the store both use this tuple, so adding a status is a change in one place.
STATUSES = (STATUS_NEW, STATUS_IN_REVIEW, STATUS_CONTACTED, STATUS_CLOSED)


class IntakeSubmission(Base):
    """One submitted intake.

    Attributes:
        id: Primary key; the ID staff notifications and the CLI refer to.
        idempotency_key: sha256 of the conversation ID and the time consent was given;
            unique, so a replayed submission never creates a second row.
        created_at: When the submission was stored (UTC).
        status: Where staff are with it (``new``, ``in_review``, ``contacted``, ``closed``).
        status_changed_at: When staff last changed the status (UTC); ``None`` while it is
            still the status the submission arrived with.
        urgent: The person said yes to the acuity question (thoughts of suicide now).
        phq2, phq9, gad2, gad7: Screening totals (PHQ-9/GAD-7 only when extended).
        asq_positive: Any "yes" in the ASQ suicide risk screen.
        session_format: Preferred format key from the practice profile (or no_preference).
        payment_type: ``insurance`` or ``self_pay``.
        consent_version: Short hash of the consent text the person agreed to.
        consent_at: When consent was given (UTC).
        notified: Whether staff were notified.
        notify_error: Why notifying failed (no content), if it did.
        conversation_id: Rasa sender ID (encrypted).
        preferred_name, email, phone, region, reason, hopes, availability: The answers
            (encrypted).
        answers_json: Every answer, including the screening items, as JSON (encrypted).

    """

    __tablename__ = "intake_submissions"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_intake_idempotency_key"),)

    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    status = Column(String(32), nullable=False, default=STATUS_NEW)
    status_changed_at = Column(UTCDateTime, nullable=True)
    urgent = Column(Boolean, nullable=False, default=False, index=True)
    phq2 = Column(Integer, nullable=True)
    phq9 = Column(Integer, nullable=True)
    gad2 = Column(Integer, nullable=True)
    gad7 = Column(Integer, nullable=True)
    asq_positive = Column(Boolean, nullable=False, default=False)
    session_format = Column(String(64), nullable=True)
    payment_type = Column(String(32), nullable=True)
    consent_version = Column(String(64), nullable=False)
    consent_at = Column(UTCDateTime, nullable=False)
    notified = Column(Boolean, nullable=False, default=False)
    notify_error = Column(Text, nullable=True)

    conversation_id = Column(EncryptedText, nullable=False)
    preferred_name = Column(EncryptedText, nullable=False)
    email = Column(EncryptedText, nullable=True)
    phone = Column(EncryptedText, nullable=True)
    region = Column(EncryptedText, nullable=True)
    reason = Column(EncryptedText, nullable=True)
    hopes = Column(EncryptedText, nullable=True)
    availability = Column(EncryptedText, nullable=True)
    answers_json = Column(EncryptedText, nullable=False)

    @property
    def answers(self) -> dict[str, Any]:
        """Every answer as a dict (decrypted)."""
        return json.loads(self.answers_json) if self.answers_json else {}

    def __repr__(self) -> str:
        # Only clear, non-identifying columns: reprs end up in logs and tracebacks.
        return (
            f"IntakeSubmission(id={self.id!r}, created_at={self.created_at!r}, "
            f"urgent={self.urgent!r}, status={self.status!r})"
        )
