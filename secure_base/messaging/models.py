"""What the messaging channels keep in the application database (docs/channels.md).

**SMS opt-outs**: one row per phone number that replied STOP.

The number itself is never stored: only a keyed digest of it
(:func:`secure_base.crypto.keyed_digests`), which recognises the number when it writes
again and cannot be turned back into it. The table lives in the application database,
so every Rasa server behind one URL, and every restart, sees the same opt-outs.

**Failed crisis replies**: one row per crisis reply (the crisis response, or a crisis
follow-up) that still failed after the retries (:mod:`secure_base.messaging.delivery`):
the person may not have received the crisis lines, so staff are told and follow up. No
message text is kept; the conversation ID is there for the follow-up, as on a crisis event.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Text

from secure_base.sqltypes import Base, UTCDateTime, utcnow


class SmsOptOut(Base):
    """A number (SMS or WhatsApp sender) that asked for no more messages.

    Attributes:
        id: Primary key.
        number_digest: HMAC-SHA256 (hex) of the sender address (``+1555...`` or
            ``whatsapp:+1555...``) under the current key; unique.
        opted_out_at: When the opt-out arrived (UTC).

    """

    __tablename__ = "sms_opt_outs"

    id = Column(Integer, primary_key=True)
    number_digest = Column(String(64), nullable=False, unique=True)
    opted_out_at = Column(UTCDateTime, nullable=False, default=utcnow)
class FailedCrisisReply(Base):
    """A crisis reply a messaging provider did not accept.

    Attributes:
        id: Primary key; the ID notifications give staff to look it up.
        occurred_at: When the last attempt failed (UTC).
        channel: The messaging channel (``telegram``, ``twilio``, ``facebook``, ``slack``).
        conversation_id: Rasa sender ID of the conversation.
        response: The response that was not delivered (``utter_crisis``...).
        status: The provider's last HTTP status, if it answered at all.
        reason: Why the last attempt failed (``HTTP 500``, ``timeout``...), no content.
        attempts: How many times it was tried.
        notified: Whether at least one staff notification was delivered.
        notify_error: Why notifying failed (no message content), if it did.

    """

    __tablename__ = "failed_crisis_replies"

    id = Column(Integer, primary_key=True)
    occurred_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    channel = Column(String(64), nullable=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    response = Column(String(128), nullable=False)
    status = Column(Integer, nullable=True)
    reason = Column(String(128), nullable=False)
    attempts = Column(Integer, nullable=False, default=1)
    notified = Column(Boolean, nullable=False, default=False)
    notify_error = Column(Text, nullable=True)

    def __repr__(self) -> str:
        # No conversation ID: reprs end up in logs and tracebacks.
        return (f"FailedCrisisReply(id={self.id!r}, channel={self.channel!r}, "
                f"response={self.response!r}, reason={self.reason!r}, "
                f"notified={self.notified!r})")
