"""Everything the application database holds about one conversation: finding and erasing it.

A conversation (Rasa sender ID) can have intake submissions and callback requests (their
conversation ID is encrypted, so it is matched after decryption), crisis events and
failed crisis replies (:mod:`secure_base.messaging.models`); an SMS or WhatsApp
conversation (its ID is the phone number) can have an opt-out (STOP), kept as a keyed
digest of the number (:mod:`secure_base.messaging.opt_outs`). The
chat's own events live in Rasa's tracker store (:mod:`secure_base.tracker_store`).
Functions take a ``Session``; the caller owns it and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from secure_base.callback.store import callback_ids_for_conversation, delete_callbacks
from secure_base.crisis.store import crisis_event_ids_for_conversation, delete_crisis_events
from secure_base.intake.models import IntakeSubmission
from secure_base.intake.store import submission_ids_for_conversation
from secure_base.messaging.opt_outs import is_opted_out, opt_in
from secure_base.messaging.store import delete_failed_replies, failed_reply_ids_for_conversation


@dataclass
class ConversationRecords:
    """The application records of one conversation.

    Attributes:
        submission_ids: Intake submissions sent from it.
        crisis_event_ids: Crisis events recorded in it.
        callback_request_ids: Callback requests sent from it.
        sms_opt_out: The number opted out of SMS or WhatsApp messages (STOP).
        failed_crisis_reply_ids: Crisis replies a messaging provider never delivered.

    """

    submission_ids: list[int] = field(default_factory=list)
    crisis_event_ids: list[int] = field(default_factory=list)
    callback_request_ids: list[int] = field(default_factory=list)
    sms_opt_out: bool = False
    failed_crisis_reply_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether there is nothing."""
        return not (self.submission_ids or self.crisis_event_ids or self.callback_request_ids
                    or self.sms_opt_out or self.failed_crisis_reply_ids)


def find_conversation_records(session: Session, conversation_id: str) -> ConversationRecords:
    """The intake submissions, crisis events and callback requests of one conversation."""
    return ConversationRecords(
        submission_ids=submission_ids_for_conversation(session, conversation_id),
        crisis_event_ids=crisis_event_ids_for_conversation(session, conversation_id),
        callback_request_ids=callback_ids_for_conversation(session, conversation_id),
        sms_opt_out=is_opted_out(session, conversation_id),
        failed_crisis_reply_ids=failed_reply_ids_for_conversation(session, conversation_id),
    )


def delete_conversation_records(session: Session, conversation_id: str) -> ConversationRecords:
    """Delete one conversation's intakes, crisis events, callback requests and SMS opt-out.

    Erasing the opt-out is erasing the last trace of the number; since the assistant only
    ever answers messages, it writes to that number again only if the person does.

    Returns:
        What was deleted.

    """
    records = find_conversation_records(session, conversation_id)
    for submission_id in records.submission_ids:
        submission = session.get(IntakeSubmission, submission_id)
        if submission is not None:
            session.delete(submission)
    delete_crisis_events(session, records.crisis_event_ids)
    delete_callbacks(session, records.callback_request_ids)
    if records.sms_opt_out:
        opt_in(session, conversation_id)
    delete_failed_replies(session, records.failed_crisis_reply_ids)
    session.flush()
    return records
