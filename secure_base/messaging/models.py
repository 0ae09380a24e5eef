"""The SMS opt-out: one row per phone number that replied STOP (docs/channels.md).

The number itself is never stored: only a keyed digest of it
(:func:`secure_base.crypto.keyed_digests`), which recognises the number when it writes
again and cannot be turned back into it. The table lives in the application database,
so every Rasa server behind one URL, and every restart, sees the same opt-outs.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String

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
