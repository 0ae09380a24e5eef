"""The crisis event record: one row per crisis message the assistant answered.

Staff use these rows to follow up. The triggering text is the only sensitive column and
is encrypted at rest (:class:`secure_base.crypto.EncryptedText`); everything else is
metadata that notifications may also carry.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Text

from secure_base.crypto import EncryptedText
from secure_base.sqltypes import Base, UTCDateTime, utcnow


class CrisisEvent(Base):
    """A crisis message that was answered with the crisis response.

    Attributes:
        id: Primary key; the ID notifications give staff to look the event up.
        occurred_at: When the message was handled (UTC).
        channel: Input channel of the message (``rest``, ``socketio``, ...), if known.
        conversation_id: Rasa sender ID of the conversation.
        trigger_message: The text that triggered the crisis response (encrypted).
        detection_layer: What detected it: ``classifier`` (the NLU model) or a layer of
            the crisis safety net.
        rule: The safety-net rule that matched, if any.
        notified: Whether at least one staff notification was delivered.
        notify_error: Why notifying failed (no message content), if it did.

    """

    __tablename__ = "crisis_events"

    id = Column(Integer, primary_key=True)
    occurred_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    channel = Column(String(64), nullable=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    trigger_message = Column(EncryptedText, nullable=True)
    detection_layer = Column(String(64), nullable=False, default="classifier")
    rule = Column(String(128), nullable=True)
    notified = Column(Boolean, nullable=False, default=False)
    notify_error = Column(Text, nullable=True)

    def __repr__(self) -> str:
        # Never include trigger_message: reprs end up in logs and tracebacks.
        return (
            f"CrisisEvent(id={self.id!r}, occurred_at={self.occurred_at!r}, "
            f"channel={self.channel!r}, detection_layer={self.detection_layer!r}, "
            f"notified={self.notified!r})"
        )
