"""``validate_intake_form``: which intake questions apply, and each answer's validation.

The checks every question shares live in :class:`~actions.intake.form_base.IntakeFormBase`;
questions whose answer needs nothing more than one check get their ``validate_<slot>``
from :func:`~actions.intake.form_base.answer_validator`. An acute answer to the ASQ
acuity question raises a crisis alert in the background, so the person gets the crisis
response without waiting for the database or the notifier.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any, Coroutine, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.intake.edits import correction_targets, edit_targets, without_rejected_value
from actions.intake.form_base import IntakeFormBase, SlotValues, Turn, answer_validator
from actions.intake.messages import field_label, shown_value, summary_values
from actions.intake.state import (
    consent_version,
    is_consent_version,
    is_stopped,
    session_format_choices,
)
from secure_base.crisis import CRISIS_FLAG_SLOT, CRISIS_RESPONSE
from secure_base.crisis.alerts import raise_crisis_alert
from secure_base.intake import (
    ASQ_SLOTS,
    CONFIRM_SLOT,
    CONSENT_SLOT,
    GAD_SLOTS,
    INTAKE_SLOTS,
    OPTIONAL_SLOTS,
    PHQ_SLOTS,
    SKIPPED,
    STARTED_AT_SLOT,
    STOPPED_SLOT,
    SUBMISSION_ID_SLOT,
    TRIES_SLOT,
    URGENT_SLOT,
    scoring,
)
from secure_base.intake.validators import (
    CONTACT_CHOICES,
    PAYMENT_CHOICES,
    InvalidAnswer,
    contact_details_in,
    find_email_address,
    find_phone_number,
    is_below_minimum_age,
    is_skip,
    is_us_state,
    licensed_region_of,
    match_choice,
    match_contact_method,
    method_beside,
    method_named_after_detail,
    name_beside,
    normalise,
    parse_age,
    parse_yes_no,
    stop_wish,
    validate_name,
    validate_region,
)
from secure_base.messaging.cross_channel import intake_elsewhere_text, intake_runs_on

logger = logging.getLogger(__name__)

SUMMARY_RESPONSE = "utter_intake_summary"
CANCEL_INTENT = "cancel_intake"
# The other contact method, for "can you email me instead?" asked for a phone number.
OTHER_CONTACT = {"email": "phone", "phone": "email"}
# Said when the contact detail asked for cannot be skipped, or only its method was named.
CANNOT_SKIP = {"email": "utter_intake_cannot_skip_email", "phone": "utter_intake_cannot_skip_phone"}
NEED_DETAIL = {"email": "utter_intake_need_email", "phone": "utter_intake_need_phone"}
# How an acute intake answer is recorded as a crisis event.
ACUTE_ANSWER_LAYER = "intake_asq"
ACUTE_ANSWER_RULE = "asq_5_acute"
# ``intake_stopped`` when the intake does not run on the person's channel (practice.yml
# ``channels.intake``): action_submit_intake then closes it without a word.
ELSEWHERE = "elsewhere"

_background_tasks: set[asyncio.Task] = set()


def _in_background(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine without making the person wait for it (keeps a reference)."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def record_acute_risk(conversation_id: str, channel: Optional[str]) -> None:
    """Record an acute ASQ answer as a crisis event and notify staff at once.

    The person may leave before confirming the intake, so the practice learns about an
    acute positive screen the same way it learns about a crisis message: a crisis alert
    (a stored event without text, and a notification with safe fields only). Failures
    are logged by type only; nothing is raised.
    """
    await asyncio.to_thread(
        raise_crisis_alert,
        conversation_id,
        trigger_message=None,
        channel=channel,
        detection_layer=ACUTE_ANSWER_LAYER,
        rule=ACUTE_ANSWER_RULE,
    )


class ValidateIntakeForm(IntakeFormBase):
    """Validates ``intake_form`` and decides which of its questions apply."""

    def name(self) -> str:
        """Name the validation action of ``intake_form``."""
        return "validate_intake_form"

    # ---- which questions, in which order ----------------------------------------

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """Return the questions that apply, in the domain's order.

        Only validated values decide (raw text never matches the stored types), so a
        question stays in the list until its answer has been validated.
        """
        slots = tracker.slots
        if is_stopped(slots, self.profile):
            requested = slots.get(REQUESTED_SLOT)
            if requested is not None:
                # Stopped by the answer just given: nothing more to ask.
                return [requested] if requested in domain_slots else []
            # A stale stop (resuming): re-validation clears it and the form starts over.
        method = slots.get("contact_method")
        phq_more = scoring.phq_extension_needed(slots)
        gad_more = scoring.gad_extension_needed(slots)
        acuity = scoring.acuity_question_needed(slots)
        wanted = []
        for slot in domain_slots:
            if slot == "email" and method == "phone":
                continue
            if slot == "phone" and method == "email":
                continue
            if slot in PHQ_SLOTS[2:] and phq_more is False:
                continue
            if slot in GAD_SLOTS[2:] and gad_more is False:
                continue
            if slot == scoring.ASQ_ACUITY_SLOT and acuity is False:
                continue
            wanted.append(slot)
        return wanted

    async def next_requested_slot(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Optional[EventType]:
        """Request the next unanswered question explicitly; show the summary first.

        The summary is shown whenever the form moves on to the confirmation question from
        another question (or on resuming), not when the confirmation is asked again.
        """
        if tracker.get_slot(STOPPED_SLOT) or is_stopped(tracker.slots, self.profile):
            return SlotSet(REQUESTED_SLOT, None)  # stopped or paused just now: end the form
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        next_slot = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        if next_slot == CONFIRM_SLOT and tracker.get_slot(REQUESTED_SLOT) != CONFIRM_SLOT:
            dispatcher.utter_message(
                response=SUMMARY_RESPONSE, **summary_values(tracker.slots, self.profile)
            )
        return SlotSet(REQUESTED_SLOT, next_slot)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validate; on resuming a paused intake, first say so.

        On a channel where the intake does not run, nothing is asked: the person gets
        the website's link and the practice's contact routes, and the form ends.
        """
        if not intake_runs_on(tracker.get_latest_input_channel(), tracker.sender_id,
                              self.profile):
            dispatcher.utter_message(text=intake_elsewhere_text(self.profile))
            return [SlotSet(STOPPED_SLOT, ELSEWHERE), SlotSet(REQUESTED_SLOT, None)]
        events: List[EventType] = []
        if tracker.get_slot(REQUESTED_SLOT) is None:
            if tracker.get_slot(STOPPED_SLOT) is not None:
                # A pause that ended without action_submit_intake: resume regardless.
                tracker.slots[STOPPED_SLOT] = None
                events.append(SlotSet(STOPPED_SLOT, None))
            if is_consent_version(tracker.get_slot(CONSENT_SLOT)) and not is_stopped(
                tracker.slots, self.profile
            ):
                dispatcher.utter_message(response="utter_intake_resume")
        return events + await super().run(dispatcher, tracker, domain)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Read the answer as a whole first (stop, skip, correction), then validate it.

        Only a message the person just sent to the question being asked is read this way;
        a value re-validated on resuming goes straight to its ``validate_<slot>``.
        """
        turn = Turn(dispatcher, tracker, domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested and answered_just_now(tracker):
            handled = self.read_whole_answer(turn, requested)
            if handled is not None:
                return [SlotSet(name, value) for name, value in handled.items()]
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tries = turn.tries()
        if requested in tries and tracker.slots.get(requested) is not None:
            del tries[requested]  # answered: a later edit starts counting afresh
            events.append(SlotSet(TRIES_SLOT, tries))
        return events

    # ---- the answer as a whole: stop, skip, a correction ----------------------------

    def read_whole_answer(self, turn: Turn, requested: str) -> Optional[SlotValues]:
        """Handle a wish to stop, a skip or a correction; ``None`` validates the answer.

        Intent first, then the text: a ``cancel_intake`` message never fills the slot
        (``not_intent`` in the domain). A clear wish to stop (in the text) stops at once;
        a ``cancel_intake`` message that is not clear is left to the rule that asks
        "Would you like to stop the intake?".
        """
        message = turn.tracker.latest_message or {}
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        intent = (message.get("intent") or {}).get("name")
        if intent == "crisis":
            return None  # the crisis policy answers; never read a crisis message as a stop
        wish = stop_wish(text)
        if wish in ("stop", "pause"):
            return self.stop(turn, requested, paused=wish == "pause")
        if intent == CANCEL_INTENT:
            return None  # not clear: the form is rejected and the rule asks to confirm
        if requested not in turn.tracker.slots_to_validate():
            return None  # not mapped to the question (e.g. delete_my_data): no answer
        if wish == "unsure":
            turn.say("utter_intake_stop_offer")
            return {requested: None}
        if is_skip(text):
            return self.skip(turn, requested)
        if requested == CONSENT_SLOT:
            return None
        return self.correct_earlier_answer(turn, requested, text)

    def stop(self, turn: Turn, requested: str, *, paused: bool) -> SlotValues:
        """Stop at once: a pause keeps the answers, a stop discards them.

        Before consent there is nothing to keep: a stop is a declined consent.
        """
        if requested == CONSENT_SLOT:
            turn.say("utter_intake_declined")
            return {CONSENT_SLOT: False}
        if paused:
            turn.say("utter_intake_paused")
            return {requested: None, TRIES_SLOT: None, STOPPED_SLOT: "paused"}
        turn.say("utter_intake_stopped")
        return {**{name: None for name in INTAKE_SLOTS}, STOPPED_SLOT: "discarded"}

    def skip(self, turn: Turn, requested: str) -> SlotValues:
        """Skip an optional question; say why a question the practice needs cannot be."""
        method = turn.tracker.get_slot("contact_method")
        if requested in OPTIONAL_SLOTS:
            turn.say("utter_intake_skipped")
            return {requested: SKIPPED}
        if requested in OTHER_CONTACT and method == "either":
            # Both were offered: keep the other one only.
            turn.say("utter_intake_skipped")
            return {requested: None, "contact_method": OTHER_CONTACT[requested]}
        return self.failed(turn, requested, CANNOT_SKIP.get(requested, "utter_intake_cannot_skip"))

    def correct_earlier_answer(self, turn: Turn, requested: str, text: str) -> Optional[SlotValues]:
        """Update an earlier answer the person corrects, then ask the same question again.

        Returns ``None`` (the text is validated as the answer) when the text corrects no
        earlier answer, or the corrected value cannot be read from it.
        """
        slots = turn.tracker.slots
        found = (
            (target, self.corrected_value(target, text))
            for target in correction_targets(text, requested, slots)
        )
        target, value = next(((t, v) for t, v in found if v is not None), (None, None))
        if target is None:
            return None
        if target == "age" and is_below_minimum_age(value, self.profile.intake.minimum_age):
            turn.say("utter_intake_under_age")
            return {"age": value}
        turn.say(
            "utter_intake_corrected", field=field_label(target), value=shown_value(target, value)
        )
        values: SlotValues = {target: value}
        if requested == CONFIRM_SLOT:
            # The summary is the question: show it again with the change.
            turn.say(SUMMARY_RESPONSE, **summary_values({**slots, **values}, self.profile))
        return {**values, requested: None}

    def corrected_value(self, target: str, text: str) -> Any:
        """The new value of ``target`` in a correction, or ``None`` if none can be read."""
        text = without_rejected_value(text)
        parsers = {
            "preferred_name": validate_name,
            "email": find_email_address,
            "phone": find_phone_number,
            "age": lambda t: parse_age(t, self.profile.intake.minimum_age),
        }
        if target == "contact_method":
            return match_contact_method(text)
        choices = {
            "session_format": session_format_choices(self.profile),
            "payment": PAYMENT_CHOICES,
        }
        if target in choices:
            return match_choice(text, choices[target])
        if target not in parsers:
            return None
        try:
            return parsers[target](text)
        except InvalidAnswer:
            return None

    # ---- consent and details ----------------------------------------------------

    def validate_intake_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Yes stores the consent version and starts the intake; no ends it politely."""
        turn = Turn(dispatcher, tracker, domain)
        if not turn.is_fresh(CONSENT_SLOT):
            return {CONSENT_SLOT: value if is_consent_version(value) else None}
        answer = parse_yes_no(value)
        if answer is None:
            # action_ask_intake_consent re-asks with a short question, not the whole text.
            return self.reject(turn, CONSENT_SLOT)
        if not answer:
            turn.say("utter_intake_declined")
            return {CONSENT_SLOT: False}
        # "yes thats fine, name is dana": the name question is answered too.
        name = name_beside(value)
        return {
            CONSENT_SLOT: consent_version(domain),
            STARTED_AT_SLOT: datetime.now(UTC).isoformat(),
            SUBMISSION_ID_SLOT: None,
            URGENT_SLOT: False,
            **({"preferred_name": name} if name and not tracker.get_slot("preferred_name")
               else {}),
        }

    def validate_preferred_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """The name the person would like to be called; an age given with it is kept too.

        "maya and im 19 if u need that" stores the name "maya" and the age 19 (the age
        goes through the age question's own checks, the minimum age included).
        """
        turn = Turn(dispatcher, tracker, domain)
        values = self.check_parsed(
            turn,
            "preferred_name",
            value,
            parse=validate_name,
            invalid_response="utter_intake_invalid_name",
        )
        if values["preferred_name"] is None or not turn.is_fresh("preferred_name"):
            return values
        age = age_in_text(value)
        if age is not None and tracker.get_slot("age") is None:
            values.update(self.fresh_age(turn, age, quiet=True))
        return values

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Validate the age; under the minimum, explain the guardian route."""
        turn = Turn(dispatcher, tracker, domain)
        minimum = self.profile.intake.minimum_age
        if not turn.is_fresh("age"):
            valid = value is True or (
                isinstance(value, int) and not isinstance(value, bool) and value >= minimum
            )
            return {"age": value if valid else None}
        return self.fresh_age(turn, value)

    def fresh_age(self, turn: Turn, value: Any, *, quiet: bool = False) -> SlotValues:
        """Read an age the person just typed; under the minimum, explain the guardian route.

        Args:
            turn: The validation call.
            value: The text (or number) given as the age.
            quiet: The age came along with another answer: if it cannot be read, leave
                it out (the age question is asked later) instead of rejecting it.

        """
        minimum = self.profile.intake.minimum_age
        try:
            age = parse_age(value, minimum)
        except InvalidAnswer:
            return {} if quiet else self.reject(turn, "age", "utter_intake_invalid_age")
        if is_below_minimum_age(age, minimum):
            turn.say("utter_intake_under_age")
            return {"age": age}
        # "38 and phone is best": the contact method question is answered too.
        method = method_beside(value) if not quiet else None
        if method and not turn.tracker.get_slot("contact_method"):
            return {"age": age, "contact_method": method}
        return {"age": age}

    def validate_contact_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Email, phone or either; an address or number given with it is kept too.

        "email pls its maya@example.com" stores the method and the address; an address
        or number alone names its method.
        """
        turn = Turn(dispatcher, tracker, domain)
        if not turn.is_fresh("contact_method") or not isinstance(value, str):
            return self.check_choice(turn, "contact_method", value, choices=CONTACT_CHOICES)
        details = contact_details_in(value)
        method = match_contact_method(value)
        if method is None and len(details) == 1:
            method = next(iter(details))
        if method is None:
            return self.check_choice(
                turn, "contact_method", value, choices=CONTACT_CHOICES, match=match_contact_method
            )
        wanted = ("email", "phone") if method == "either" else (method,)
        return {
            "contact_method": method,
            **{slot: detail for slot, detail in details.items() if slot in wanted},
        }

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """The email address, also inside a sentence (syntax only, normalised; no DNS)."""
        turn = Turn(dispatcher, tracker, domain)
        return self.contact_detail_switch(turn, "email", value) or self.check_parsed(
            turn,
            "email",
            value,
            parse=find_email_address,
            invalid_response="utter_intake_invalid_email",
            recheck_stored=True,
        )

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """The phone number, also inside a sentence; stored as E.164 (US by default)."""
        turn = Turn(dispatcher, tracker, domain)
        return self.contact_detail_switch(turn, "phone", value) or self.check_parsed(
            turn,
            "phone",
            value,
            parse=find_phone_number,
            invalid_response="utter_intake_invalid_phone",
            recheck_stored=True,
        )

    def contact_detail_switch(self, turn: Turn, slot: str, value: Any) -> Optional[SlotValues]:
        """Handle a contact method given where an address or number was asked.

        "Can you email me instead?" asked for a phone number switches to email; "text is
        better" (the same method) says that the number itself is needed. ``None`` when the
        answer names no contact method (or also holds an address or digits).
        """
        if not turn.is_fresh(slot) or not isinstance(value, str):
            return None
        if "@" in value or any(char.isdigit() for char in value):
            # "My number is 614-555-0187. Actually, email is better": the other method
            # wins and the detail given first is not kept.
            method = method_named_after_detail(value)
            if method != OTHER_CONTACT[slot]:
                return None
        else:
            method = match_contact_method(value)
        if method == slot:
            turn.say(NEED_DETAIL[slot])
            return {slot: None}
        if method == OTHER_CONTACT[slot]:
            label = next(c.label for c in CONTACT_CHOICES if c.value == method).lower()
            turn.say("utter_intake_contact_switched", method=label)
            return {slot: None, "contact_method": method}
        return None

    def validate_region(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Where the person lives; outside the licensed regions is said kindly, then on."""
        turn = Turn(dispatcher, tracker, domain)
        values = self.check_parsed(
            turn,
            "region",
            value,
            parse=validate_region,
            invalid_response="utter_intake_invalid_region",
            # Any text is a region, so asking for a person is never taken as one; but a
            # state's name or code ("ME", which the NLU can read as "me") is an answer.
            any_text=not is_us_state(value),
        )
        region = values["region"]
        if region is not None and turn.is_fresh("region"):
            licensed = self.profile.licensed_regions
            if licensed and licensed_region_of(region, licensed) is None:
                turn.say("utter_intake_region_unlicensed")
        return values

    validate_reason = answer_validator(
        IntakeFormBase.check_text,
        "reason",
        "Validate what brings the person to therapy (free text).",
    )
    validate_previous_therapy = answer_validator(
        IntakeFormBase.check_yes_no_answer,
        "previous_therapy",
        "Whether the person has been in therapy before.",
    )
    validate_hopes = answer_validator(
        IntakeFormBase.check_text,
        "hopes",
        "Validate what the person hopes for from therapy (free text).",
    )

    def validate_session_format(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """One of the practice's session formats (or no preference)."""
        return self.check_choice(
            Turn(dispatcher, tracker, domain),
            "session_format",
            value,
            choices=session_format_choices(self.profile),
        )

    validate_availability = answer_validator(
        IntakeFormBase.check_text,
        "availability",
        "When the person is usually available (free text).",
    )
    validate_payment = answer_validator(
        IntakeFormBase.check_choice, "payment", "Insurance or self-pay.", choices=PAYMENT_CHOICES
    )

    # ---- screening (PHQ, GAD and ASQ 1-4 are added below the class) --------------

    def validate_asq_5(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Validate the acuity question: "yes" gets the crisis response at once and urgency.

        The form then goes on to the summary, so the practice has the person's details
        to reach them quickly; staff are also told straight away (a crisis event).
        """
        turn = Turn(dispatcher, tracker, domain)
        slot = scoring.ASQ_ACUITY_SLOT
        values = self.check_yes_no_answer(turn, slot, value)
        answer = values[slot]
        if answer is None or not turn.is_fresh(slot):
            return values
        if answer:
            turn.say(CRISIS_RESPONSE)
            turn.say("utter_intake_marked_urgent")
            self.report_acute_risk(tracker)
            return {slot: True, CRISIS_FLAG_SLOT: True, URGENT_SLOT: True}
        turn.say("utter_intake_asq_support")
        return {slot: False}

    def report_acute_risk(self, tracker: Tracker) -> None:
        """Tells staff about an acute answer now, without delaying the crisis response."""
        try:
            _in_background(record_acute_risk(tracker.sender_id, tracker.get_latest_input_channel()))
        except RuntimeError:  # no running event loop (not inside the action server)
            logger.error("Could not schedule the staff alert for an acute intake answer")

    # ---- summary ---------------------------------------------------------------

    def validate_intake_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Yes sends the intake; "change my email" etc. asks that question again.

        A confirmation is never carried over: a resumed intake shows the summary again.
        """
        turn = Turn(dispatcher, tracker, domain)
        if not turn.is_fresh(CONFIRM_SLOT):
            return {CONFIRM_SLOT: None}
        text = value if isinstance(value, str) else ""
        edits = edit_targets(text, tracker.get_slot("contact_method"))
        if edits:
            turn.say("utter_intake_edit")
            return {CONFIRM_SLOT: None, **{slot: None for slot in edits}}
        answer = parse_yes_no(value)
        if answer is True:
            return {CONFIRM_SLOT: True}
        if answer is False:
            turn.say("utter_intake_which_change")
            return {CONFIRM_SLOT: None}
        return self.reject(turn, CONFIRM_SLOT, "utter_intake_invalid_confirm")


def age_in_text(text: Any) -> Optional[str]:
    """The part of an answer that gives an age alongside something else ("im 19"), if any."""
    if not isinstance(text, str):
        return None
    found = _AGE_IN_TEXT.search(normalise(text))
    return (found.group("years") or found.group("years2")) if found else None


_AGE_IN_TEXT = re.compile(
    r"\b(?:i m|im|i am|age|aged|age is|my age is)\s(?P<years>\d{1,3})\b"
    r"|\b(?P<years2>\d{1,3})\s?(?:years? old|yrs? old|y o|yo)\b"
)


def answered_just_now(tracker: Tracker) -> bool:
    """Whether the form runs on a message the person just sent (not after another action).

    After an unhappy path ("stop?" - "no") the form runs again on an older message,
    which must not be read as an answer a second time.
    """
    seen_form = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("slot", "active_loop", "user_featurization"):
            continue
        if kind == "action" and event.get("name") == "intake_form" and not seen_form:
            seen_form = True
            continue
        return kind == "user"
    return False


def _add_item_validators() -> None:
    """Add ``validate_phq_<n>``, ``validate_gad_<n>`` and ``validate_asq_<1-4>``."""
    items = [
        (slot, IntakeFormBase.check_frequency, f"A {slot.upper()} answer, scored 0-3.")
        for slot in PHQ_SLOTS + GAD_SLOTS
    ] + [
        (slot, IntakeFormBase.check_yes_no_answer, f"ASQ question {slot[-1]} (yes/no).")
        for slot in ASQ_SLOTS[:-1]
    ]
    for slot, check, doc in items:
        setattr(ValidateIntakeForm, f"validate_{slot}", answer_validator(check, slot, doc))


_add_item_validators()
