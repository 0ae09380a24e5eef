"""The callback request: one row per request a person confirmed in the chat.

Everything that identifies the person is encrypted at rest
(:class:`secure_base.crypto.EncryptedText`): the name, the phone number or e-mail
address, the times that suit them and the conversation ID. In clear are only what staff
sort and filter on: when it arrived, which way to reach them (phone or e-mail), the
consent version and time, whether staff were notified, and the status. No health detail
is ever asked for or stored.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Text, UniqueConstraint

from secure_base.crypto import EncryptedText
from secure_base.sqltypes import Base, UTCDateTime, utcnow

STATUS_NEW = "new"
STATUS_CONTACTED = "contacted"
STATUS_CLOSED = "closed"
STATUSES = (STATUS_NEW, STATUS_CONTACTED, STATUS_CLOSED)


class CallbackRequest(Base):
    """One request to be phoned or e-mailed back.

    Attributes:
        id: Primary key; the ID staff notifications and the CLI refer to.
        idempotency_key: sha256 of the conversation ID and the time consent was given;
            unique, so a replayed submission never creates a second row.
        created_at: When it was stored (UTC).
        status: ``new``, ``contacted`` or ``closed``.
        contact_method: ``phone`` or ``email``.
        consent_version: Short hash of the consent text the person agreed to.
        consent_at: When consent was given (UTC).
        notified: Whether staff were notified.
        notify_error: Why notifying failed (no content), if it did.
        conversation_id: Rasa sender ID (encrypted).
        preferred_name, phone, email, best_times: The answers (encrypted).

    """

    __tablename__ = "callback_requests"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_callback_idempotency_key"),)

    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    status = Column(String(32), nullable=False, default=STATUS_NEW)
    contact_method = Column(String(16), nullable=False)
    consent_version = Column(String(64), nullable=False)
    consent_at = Column(UTCDateTime, nullable=False)
    notified = Column(Boolean, nullable=False, default=False)
    notify_error = Column(Text, nullable=True)

    conversation_id = Column(EncryptedText, nullable=False)
    preferred_name = Column(EncryptedText, nullable=False)
    phone = Column(EncryptedText, nullable=True)
    email = Column(EncryptedText, nullable=True)
    best_times = Column(EncryptedText, nullable=True)

    def __repr__(self) -> str:
        # Only clear, non-identifying columns: reprs end up in logs and tracebacks.
        return (
            f"CallbackRequest(id={self.id!r}, created_at={self.created_at!r}, "
            f"contact_method={self.contact_method!r}, status={self.status!r})"
        )
