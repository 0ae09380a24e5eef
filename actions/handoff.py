"""Handoff to a person: the honest answer, the contact routes and a callback request.

``action_talk_to_human`` says that this is an automated assistant and nobody reads the
chat live, gives the practice's contact routes and offers a callback request
(``utter_handoff``); when the profile has machine-readable opening hours it adds whether
the office is open right now, computed at the moment of asking.

``callback_form`` asks for consent, the name to use, phone or e-mail and the detail, and
good times. ``validate_callback_form`` checks the answers with the intake's validators
(on :class:`~actions.intake.form_base.IntakeFormBase`: FAQ questions mid-form are
answered, stored values are re-checked when a paused request resumes).
``action_submit_callback`` stores the request once, encrypted, and notifies staff with
its ID and time only; ``action_callback_discard`` forgets a request the person stopped.
No health detail is asked for, and nothing here logs what the person wrote.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any, Callable, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.common import run_db
from actions.intake.form_base import IntakeFormBase, SlotValues, Turn, answer_validator
from actions.intake.state import consent_version, is_consent_version
from secure_base.callback import (
    CALLBACK_SLOTS,
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
from secure_base.callback.store import mark_notified, record_from_slots, submit_callback
from secure_base.intake.validators import (
    Choice,
    InvalidAnswer,
    best_times_in,
    contact_details_in,
    find_email_address,
    find_phone_number,
    has_phone_digits,
    match_contact_method,
    parse_yes_no,
    stop_wish,
    validate_free_text,
    validate_name,
)
from secure_base.logsafe import describe_error
from secure_base.notify import Notification, notification_time, send_throttled
from secure_base.profile import PracticeProfile, load_profile

logger = logging.getLogger(__name__)

HANDOFF_RESPONSE = "utter_handoff"
CONSENT_RESPONSE = "utter_ask_callback_consent"
CALLBACK_KIND = "callback"
CALLBACK_CONTACT_CHOICES = (
    Choice(METHOD_PHONE, "Phone", ("phone call", "call", "call me", "a call", "ring me",
                                   "telephone", "by phone", "mobile", "phone please")),
    Choice(METHOD_EMAIL, "Email", ("e mail", "an email", "by email", "email please",
                                   "mail", "email me")),
)


# ---- whether the office is open ----------------------------------------------------


def _clock(moment: datetime) -> str:
    """``9am``, ``7:30pm``: how people say a time."""
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def office_now_text(profile: PracticeProfile, now: datetime) -> str:
    """One sentence saying whether the office is open at ``now`` and what that means.

    Without machine-readable hours in the profile it only says when replies come, since
    nothing reliable can be said about this moment.
    """
    hours = profile.contact.opening_hours
    if hours is None:
        return "Calls and messages are answered during office hours."
    status = hours.status_at(now)
    if status.open_now and status.closes_at is not None:
        closes = status.closes_at
        return (
            f"The office is open right now, until {_clock(closes)} today "
            f"({closes.strftime('%Z')}), so phoning is the quickest way to reach someone."
        )
    opens = status.opens_at
    if opens is None:
        return "Calls and messages are answered during office hours."
    days_ahead = (opens.date() - now.astimezone(opens.tzinfo).date()).days
    day = {0: "later today", 1: "tomorrow"}.get(days_ahead, f"on {opens.strftime('%A')}")
    return (
        f"The office is closed right now. It opens again {day} at {_clock(opens)} "
        f"({opens.strftime('%Z')}), and that's the earliest anyone can reply."
    )


CALLBACK_HANDOFF_RESPONSE = "utter_handoff_callback"
CALLBACK_WANTED_SLOT = "callback_wanted"
# "can someone call me", "ring me back", "have someone phone me", "a call back please"
_CALLBACK_WISH = re.compile(
    r"\b(?:call|ring|phone|telephone)\s+(?:me|us)\b|\bcall\s*-?\s*back\b|\bcallback\b"
    r"|\bring\s+back\b|\bget\s+back\s+to\s+me\b|\bgive\s+me\s+a\s+(?:call|ring)\b",
    re.IGNORECASE,
)


def asks_for_callback(text: Any) -> bool:
    """Whether a request for a person asks to be called back."""
    return isinstance(text, str) and _CALLBACK_WISH.search(text) is not None


class ActionTalkToHuman(Action):
    """Answers a request for a person honestly and offers a callback request."""

    def name(self) -> str:
        """Name the action that answers ``talk_to_human``."""
        return "action_talk_to_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Utter the handoff with whether the office is open now.

        A message that asks to be called back ("can someone call me?") gets the honest
        handoff and goes straight into the callback request (slot ``callback_wanted``:
        data/rules/handoff.yml); anything else gets the contact routes and the offer.
        """
        office_now = office_now_text(load_profile(), datetime.now(UTC))
        wanted = asks_for_callback((tracker.latest_message or {}).get("text"))
        response = CALLBACK_HANDOFF_RESPONSE if wanted else HANDOFF_RESPONSE
        dispatcher.utter_message(response=response, office_now=office_now)
        return [SlotSet(CALLBACK_WANTED_SLOT, wanted)]


# ---- the form ----------------------------------------------------------------------


def is_declined(slots: dict[str, Any]) -> bool:
    """Whether the person said no to the consent question."""
    return slots.get(CONSENT_SLOT) is False


#: How the callback form's typed answers are checked: a stored value is re-checked, and a
#: stray button payload (``/deny`` after "stop?") is no answer: the question is asked again.
_TYPED_ANSWER = {"recheck_stored": True, "payload_is_no_answer": True}


def times_beside(turn: Turn, value: Any) -> SlotValues:
    """The best times given with the number or address ("..., the afternoon suits me").

    Nothing once the times question is answered, or when the text says nothing about
    times (a stored number or address never does).
    """
    if not isinstance(value, str) or turn.tracker.slots.get(TIMES_SLOT):
        return {}
    try:
        times = validate_free_text(best_times_in(value))
    except InvalidAnswer:  # nothing said about times, or too long to be only that
        return {}
    return {TIMES_SLOT: times}


class ValidateCallbackForm(IntakeFormBase):
    """Validates ``callback_form`` and decides which of its questions apply."""

    def name(self) -> str:
        """Name the validation action of ``callback_form``."""
        return "validate_callback_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """The questions that apply: only the chosen contact detail; nothing after a no."""
        if is_declined(tracker.slots):
            return [CONSENT_SLOT]  # filled (False): the form ends
        method = tracker.slots.get(METHOD_SLOT)
        skip = {METHOD_PHONE: EMAIL_SLOT, METHOD_EMAIL: PHONE_SLOT}.get(method)
        return [slot for slot in domain_slots if slot != skip]

    async def next_requested_slot(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Optional[EventType]:
        """Request the next unanswered question explicitly (also when none is skipped)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        next_slot = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return SlotSet(REQUESTED_SLOT, next_slot)

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Yes stores the consent version and the time; no ends politely, storing nothing."""
        turn = Turn(dispatcher, tracker, domain)
        if not turn.is_fresh(CONSENT_SLOT):
            return {CONSENT_SLOT: value if is_consent_version(value) else None}
        if self.is_stray_payload(turn, CONSENT_SLOT, value):
            return {CONSENT_SLOT: None}
        answer = parse_yes_no(value)
        if answer is None and stop_wish(value) == "stop":
            # "wait actually nvm ill just email them": a no, said another way.
            answer = False
        if answer is None:
            return self.reject(turn, CONSENT_SLOT, "utter_callback_invalid_consent")
        if not answer:
            turn.say("utter_callback_declined")
            return {CONSENT_SLOT: False}
        return {
            CONSENT_SLOT: consent_version(domain, CONSENT_RESPONSE),
            STARTED_AT_SLOT: datetime.now(UTC).isoformat(),
        }

    validate_callback_name = answer_validator(
        IntakeFormBase.check_parsed, NAME_SLOT, "The name the person would like to be called.",
        parse=validate_name, invalid_response="utter_intake_invalid_name", **_TYPED_ANSWER,
    )

    def validate_callback_contact_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Phone or e-mail."""
        turn = Turn(dispatcher, tracker, domain)
        if self.is_stray_payload(turn, METHOD_SLOT, value):
            return {METHOD_SLOT: None}
        if turn.is_fresh(METHOD_SLOT) and isinstance(value, str):
            # A number or an address given straight away names the method too, and so
            # does a word for one ("cell", "text me") said with a number.
            details = contact_details_in(value)
            named = match_contact_method(value)
            kind = named if named in (METHOD_PHONE, METHOD_EMAIL) else None
            if kind is None and len(details) == 1:
                kind = next(iter(details))
            if kind is not None:
                method = METHOD_PHONE if kind == "phone" else METHOD_EMAIL
                slot = PHONE_SLOT if kind == "phone" else EMAIL_SLOT
                if kind in details:
                    return {METHOD_SLOT: method, slot: details[kind], **times_beside(turn, value)}
                if kind == "phone" and has_phone_digits(value):
                    # "cell 555 867 2040": the phone it is, but that number is not valid.
                    turn.say("utter_intake_invalid_phone")
                return {METHOD_SLOT: method}
        return self.check_choice(turn, METHOD_SLOT, value, choices=CALLBACK_CONTACT_CHOICES)

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """The phone number, alone or in a sentence, as E.164 (US unless a code is given)."""
        return self.detail_and_times(Turn(dispatcher, tracker, domain), PHONE_SLOT, value,
                                     find_phone_number, "utter_intake_invalid_phone")

    def validate_callback_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """The e-mail address, alone or in a sentence (syntax only, normalised; no DNS)."""
        return self.detail_and_times(Turn(dispatcher, tracker, domain), EMAIL_SLOT, value,
                                     find_email_address, "utter_intake_invalid_email")

    def detail_and_times(self, turn: Turn, slot: str, value: Any,
                         parse: Callable[[Any], str], invalid_response: str) -> SlotValues:
        """The number or address, and the best times when they come with it."""
        values = self.check_parsed(turn, slot, value, parse=parse,
                                   invalid_response=invalid_response, **_TYPED_ANSWER)
        return {**values, **times_beside(turn, value)} if values.get(slot) else values

    validate_callback_times = answer_validator(
        IntakeFormBase.check_parsed, TIMES_SLOT, "When suits the person (free text).",
        parse=validate_free_text, invalid_response="utter_intake_invalid_text", **_TYPED_ANSWER,
    )


# ---- ending the form ---------------------------------------------------------------


def reset_callback_events() -> List[EventType]:
    """Events that clear every slot of one callback request."""
    return [SlotSet(REQUESTED_SLOT, None)] + [SlotSet(name, None) for name in CALLBACK_SLOTS]


def callback_notification(request_id: int, created_at: datetime) -> Notification:
    """The staff notification for a stored request: its ID and time only."""
    when = notification_time(created_at)
    return Notification(
        kind=CALLBACK_KIND,
        subject=f"[Secure Base] New callback request #{request_id}",
        body=(
            "Someone asked to be contacted through the Secure Base assistant.\n\n"
            f"Callback request ID: {request_id}\n"
            f"Time: {when}\n\n"
            f"Read it with `python -m secure_base.callback show {request_id}` "
            "(the details are stored encrypted)."
        ),
        data={"callback_request_id": request_id, "created_at": created_at.isoformat()},
    )


def _is_complete(slots: dict[str, Any]) -> bool:
    method = slots.get(METHOD_SLOT)
    detail = {METHOD_PHONE: PHONE_SLOT, METHOD_EMAIL: EMAIL_SLOT}.get(method)
    return (
        is_consent_version(slots.get(CONSENT_SLOT))
        and bool(slots.get(NAME_SLOT))
        and detail is not None
        and bool(slots.get(detail))
        and bool(slots.get(TIMES_SLOT))
    )


class ActionSubmitCallback(Action):
    """Ends ``callback_form``: stores a finished request once, or closes a declined one."""

    def name(self) -> str:
        """Name the action that runs when the callback form ends."""
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store, notify staff and reset; on a database failure say so honestly."""
        slots = tracker.slots
        if not _is_complete(slots):
            # Declined (the reason was given) or nothing to send: store nothing.
            return reset_callback_events()
        record = record_from_slots(slots, tracker.sender_id)
        try:
            request, created = await run_db(submit_callback, record)
        except Exception as exc:  # noqa: BLE001 - the person must hear the truth
            logger.error(
                "Callback request of conversation %s could not be stored (%s)",
                tracker.sender_id,
                describe_error(exc),
            )
            dispatcher.utter_message(response="utter_callback_submit_failed")
            return reset_callback_events()
        if not request.notified:
            result = await asyncio.to_thread(
                send_throttled,
                callback_notification(request.id, request.created_at),
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel(),
            )
            if not result.ok:
                logger.error(
                    "Staff were not notified of callback request %s: %s", request.id, result.error
                )
            try:
                await run_db(mark_notified, request.id, result.ok, result.error)
            except Exception as exc:  # noqa: BLE001 - the request itself is stored
                logger.error(
                    "Could not record the notification outcome of callback request %s (%s)",
                    request.id,
                    describe_error(exc),
                )
        logger.info("Callback request %s stored (new: %s)", request.id, created)
        dispatcher.utter_message(response="utter_callback_submitted")
        return reset_callback_events()


class ActionCallbackDiscard(Action):
    """Stops the callback request at the person's request and forgets every answer."""

    def name(self) -> str:
        """Name the action that runs after the person confirms they want to stop."""
        return "action_callback_discard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Deactivate the form, reset its slots and say so."""
        dispatcher.utter_message(response="utter_callback_discarded")
        return [ActiveLoop(None)] + reset_callback_events()
