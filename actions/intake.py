"""The intake pre-screening conversation: form validation, submission and discarding.

``intake_form`` (domain) asks every question with ``utter_ask_<slot>``; each slot is
filled from the text of the answer. ``validate_intake_form`` normalises each answer, or
says why it cannot be used and returns ``None`` so the form asks again; it also decides
which questions apply (``required_slots``): email and/or phone by the contact method,
PHQ-9 and GAD-7 items only after a positive PHQ-2 / GAD-2, the ASQ acuity question only
after a positive ASQ answer (or PHQ-9 item 9 above 0), and nothing more after a declined
consent or an age under the minimum.

Behaviour shared by the validation (FAQ questions mid-form, fresh answers versus
re-validation when a paused intake resumes) lives in :class:`IntakeFormBase`.

``action_submit_intake`` runs when the form ends (and on "try again"): it closes a
declined or under-age intake without storing anything, or stores the confirmed one once
(idempotency key), notifies staff with safe fields only and resets the intake slots.
Nothing here logs what the person wrote.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from functools import partial
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.common import FAQ_INTENT, faq_key_of, run_db
from secure_base.intake import (
    ASQ_SLOTS,
    CONFIRM_SLOT,
    CONSENT_SLOT,
    FORM_SLOTS,
    GAD_SLOTS,
    INTAKE_SLOTS,
    PHQ_SLOTS,
    SCREENING_SLOTS,
    STARTED_AT_SLOT,
    SUBMISSION_ID_SLOT,
    URGENT_SLOT,
    scoring,
)
from secure_base.intake.store import mark_notified, record_from_slots, submit_intake
from secure_base.intake.validators import (
    CONTACT_CHOICES,
    PAYMENT_CHOICES,
    Choice,
    InvalidAnswer,
    format_choices,
    format_phone,
    is_below_minimum_age,
    licensed_region_of,
    looks_like_question,
    match_choice,
    normalise_phone,
    parse_age,
    parse_yes_no,
    validate_email_address,
    validate_free_text,
    validate_name,
    validate_region,
)
from secure_base.notify import Notification, NotifyResult, send_notification
from secure_base.profile import PracticeProfile, load_profile

logger = logging.getLogger(__name__)

FORM_NAME = "intake_form"
CRISIS_FLAG_SLOT = "crisis_flag"
CONSENT_RESPONSE = "utter_ask_intake_consent"
SUMMARY_RESPONSE = "utter_intake_summary"
# A question asked mid-form is answered when the NLU is at least this sure it is one.
FAQ_CONFIDENCE = 0.6
CONSENT_VERSION_LENGTH = 12
INTAKE_KIND = "intake"

# Which answer an edit request at the summary refers to ("change my email").
EDIT_TARGETS: tuple[tuple[str, str], ...] = (
    ("contact", r"\bcontact (details?|info|information)\b"),
    ("email", r"\be ?mail\b"),
    ("phone", r"\bphone\b|\bnumber\b|\bmobile\b|\bcell\b"),
    (
        "contact_method",
        r"\bcontact (method|preference|option)s?\b|\bhow (you|to) contact\b"
        r"|\bway to contact\b|\bcontact me\b",
    ),
    ("preferred_name", r"\bname\b"),
    ("age", r"\bage\b|\bhow old\b"),
    ("region", r"\bregion\b|\bstate\b|\blocation\b|\bwhere i live\b|\bcountry\b"),
    ("reason", r"\breason\b|\bwhat brings\b|\bbrings me\b|\bwhy i\b"),
    ("previous_therapy", r"\bprevious\b|\btherapy before\b|\bbeen in therapy\b|\bhad therapy\b"),
    ("hopes", r"\bhope"),
    ("session_format", r"\bformat\b|\bonline\b|\bin person\b|\bvideo\b"),
    ("availability", r"\bavailab|\btimes?\b|\bschedule\b|\bwhen i m free\b"),
    ("payment", r"\bpayment\b|\bpay\b|\binsurance\b|\bself ?pay\b"),
    ("screening", r"\bquestionnaires?\b|\bscreening\b|\bwellbeing\b|\bmood\b|\bquestions\b"),
)
EDIT_VERBS = (
    r"\b(change|edit|update|correct|fix|wrong|different|actually|redo|amend|modify"
    r"|mistake|typo|not right|incorrect)\b"
)


# --------------------------------------------------------------------------------------
# Helpers shared by the actions


def _profile() -> PracticeProfile:
    return load_profile()


def _error_name(exc: BaseException) -> str:
    """Exception type (and DBAPI cause), never the message: it could quote answers."""
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__}/{type(orig).__name__}" if orig is not None else type(exc).__name__


def _norm(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def consent_version(domain: Optional[DomainDict]) -> str:
    """Return a short sha256 of the consent text (and its buttons) the person was shown.

    The text comes from the domain the action server receives; its plain variation is
    used (the crisis-reminder copy adds only the crisis numbers, not consent terms).
    """
    variations = ((domain or {}).get("responses") or {}).get(CONSENT_RESPONSE)
    if not variations:
        # A domain without responses: render the same template the model was trained on.
        from secure_base.importer import render_profile_responses

        variations = render_profile_responses(_profile()).get(CONSENT_RESPONSE) or []
    plain = next((v for v in variations if not v.get("condition")), None)
    plain = plain or (variations[0] if variations else {})
    material = (
        (plain.get("text") or "")
        + "\n"
        + "\n".join(str(button.get("title", "")) for button in plain.get("buttons") or [])
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:CONSENT_VERSION_LENGTH]


def is_stopped(slots: Dict[str, Any], profile: PracticeProfile) -> bool:
    """Whether the intake ended early (consent declined, or under the minimum age)."""
    return slots.get(CONSENT_SLOT) is False or is_below_minimum_age(
        slots.get("age"), profile.intake.minimum_age
    )


def reset_intake_events() -> List[EventType]:
    """Events that clear every slot of one intake (not the last submission's ID)."""
    return [SlotSet(REQUESTED_SLOT, None)] + [SlotSet(name, None) for name in INTAKE_SLOTS]


def _is_consent_version(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{12}", value) is not None


_background_tasks: set[asyncio.Task] = set()


def _in_background(coroutine: Any) -> None:
    """Run a coroutine without making the person wait for it (keeps a reference)."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def record_acute_risk(conversation_id: str, channel: Optional[str]) -> None:
    """Record an acute ASQ answer as a crisis event and notify staff at once.

    The person may leave before confirming the intake, so the practice learns about an
    acute positive screen the same way it learns about a crisis message: a stored crisis
    event (no text) and a notification with safe fields only. Failures are logged by
    type only; nothing is raised.
    """
    from actions.crisis import crisis_notification
    from secure_base.crisis.store import mark_notified as mark_crisis_notified
    from secure_base.crisis.store import record_crisis_event
    from secure_base.sqltypes import utcnow

    occurred_at = utcnow()
    event_id: Optional[int] = None
    try:
        event = await run_db(
            partial(
                record_crisis_event,
                conversation_id=conversation_id,
                trigger_message=None,
                channel=channel,
                detection_layer="intake_asq",
                rule="asq_5_acute",
                occurred_at=occurred_at,
            )
        )
        event_id = event.id
    except Exception as exc:  # noqa: BLE001 - staff must still be told
        logger.error(
            "Acute intake answer could not be stored as a crisis event (%s)", _error_name(exc)
        )
    notification = crisis_notification(event_id, occurred_at, channel, conversation_id)
    try:
        result = await asyncio.to_thread(send_notification, notification)
    except Exception as exc:  # noqa: BLE001 - send_notification should not raise
        result = NotifyResult(failed={"notifier": _error_name(exc)})
    if not result.ok:
        logger.error("Staff were not notified of an acute intake answer: %s", result.error)
    if event_id is not None:
        try:
            await run_db(mark_crisis_notified, event_id, result.ok, result.error)
        except Exception as exc:  # noqa: BLE001
            logger.error("Could not record the notification outcome (%s)", _error_name(exc))


# --------------------------------------------------------------------------------------
# Form validation


class IntakeFormBase(FormValidationAction, ABC):
    """Shared behaviour of intake form validation.

    * A *fresh* answer is the text the person just typed for the question being asked
      (``requested_slot``). Anything else being validated is a value stored earlier and
      re-validated when a paused intake resumes: it is kept if it is a normalised value
      and dropped (asked again) otherwise, silently.
    * A question asked mid-form (intent ``faq`` with confidence >= 0.6, and the text reads
      like a question) is answered with the FAQ response and the same question is asked
      again, unless the text is itself a valid answer to a choice question.
    """

    @abstractmethod
    def name(self) -> str:
        """Return the validation action's name (``validate_<form>``)."""

    @property
    def profile(self) -> PracticeProfile:
        """The practice profile (re-read when the file changes)."""
        return _profile()

    @staticmethod
    def is_fresh(slot: str, tracker: Tracker) -> bool:
        """Whether ``slot`` holds the answer to the question just asked."""
        return tracker.get_slot(REQUESTED_SLOT) == slot

    @staticmethod
    def faq_question_key(tracker: Tracker, domain: DomainDict) -> Optional[str]:
        """Return the FAQ topic if the latest message is a question to answer."""
        message = tracker.latest_message or {}
        intent = message.get("intent") or {}
        if intent.get("name") != FAQ_INTENT:
            return None
        if float(intent.get("confidence") or 0.0) < FAQ_CONFIDENCE:
            return None
        if not looks_like_question(message.get("text")):
            return None
        key = faq_key_of(message)
        if key is None:
            return None
        responses = (domain or {}).get("responses")
        if responses is not None and f"utter_faq/{key}" not in responses:
            return None
        return key

    def answered_faq(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> bool:
        """Answers a mid-form question, if the latest message is one."""
        key = self.faq_question_key(tracker, domain)
        if key is None:
            return False
        dispatcher.utter_message(response=f"utter_faq/{key}")
        return True

    def reject(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        response: Optional[str] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Leaves ``slot`` empty so the form asks again, after answering or explaining.

        A question gets its FAQ answer; anything else gets ``response`` (why the answer
        could not be used).
        """
        if not self.answered_faq(dispatcher, tracker, domain) and response:
            dispatcher.utter_message(response=response, **kwargs)
        return {slot: None}

    def check_choice(
        self,
        slot: str,
        value: Any,
        choices: tuple[Choice, ...],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Validate an answer to a fixed-choice question (stores the choice's value)."""
        values = {choice.value for choice in choices}
        if not self.is_fresh(slot, tracker):
            return {slot: value if value in values else None}
        chosen = match_choice(value, choices)
        if chosen is not None:
            return {slot: chosen}
        options = ", ".join(choice.label for choice in choices[:-1])
        options = f"{options} or {choices[-1].label}" if options else choices[-1].label
        return self.reject(
            slot, dispatcher, tracker, domain, "utter_intake_invalid_choice", options=options
        )

    def check_yes_no(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Optional[bool]:
        """Return a yes/no answer as a bool, or ``None`` after saying why."""
        if not self.is_fresh(slot, tracker):
            return value if isinstance(value, bool) else None
        answer = parse_yes_no(value)
        if answer is None:
            self.reject(slot, dispatcher, tracker, domain, "utter_intake_invalid_yes_no")
        return answer

    def check_text(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Validate a free-text answer."""
        if not self.is_fresh(slot, tracker):
            return {slot: value if isinstance(value, str) and value.strip() else None}
        if self.answered_faq(dispatcher, tracker, domain):
            return {slot: None}
        try:
            return {slot: validate_free_text(value)}
        except InvalidAnswer as exc:
            dispatcher.utter_message(response="utter_intake_invalid_text", reason=str(exc))
            return {slot: None}

    def check_frequency(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Validate a PHQ/GAD item answer (stores the score 0-3)."""
        if not self.is_fresh(slot, tracker):
            return {slot: scoring.item_score(value)}
        score = scoring.parse_frequency(value)
        if score is not None:
            return {slot: score}
        return self.reject(slot, dispatcher, tracker, domain, "utter_intake_invalid_frequency")


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
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        next_slot = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        if next_slot == CONFIRM_SLOT and tracker.get_slot(REQUESTED_SLOT) != CONFIRM_SLOT:
            dispatcher.utter_message(response=SUMMARY_RESPONSE, **self.summary(tracker))
        return SlotSet(REQUESTED_SLOT, next_slot)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validate; on resuming a paused intake, first say so."""
        if (
            tracker.get_slot(REQUESTED_SLOT) is None
            and _is_consent_version(tracker.get_slot(CONSENT_SLOT))
            and not is_stopped(tracker.slots, self.profile)
        ):
            dispatcher.utter_message(response="utter_intake_resume")
        return await super().run(dispatcher, tracker, domain)

    def summary(self, tracker: Tracker) -> Dict[str, str]:
        """Display values of every answer for ``utter_intake_summary`` (no scores)."""
        slots = tracker.slots
        profile = self.profile
        age = slots.get("age")
        method = slots.get("contact_method")
        contact = []
        if method in ("email", "either") and slots.get("email"):
            contact.append(f"email {slots['email']}")
        if method in ("phone", "either") and slots.get("phone"):
            contact.append(f"phone {format_phone(slots['phone'])}")
        labels = {
            choice.value: choice.label
            for choice in format_choices((fmt.key, fmt.label) for fmt in profile.session_formats)
        }
        payments = {choice.value: choice.label for choice in PAYMENT_CHOICES}
        return {
            "summary_name": str(slots.get("preferred_name") or "-"),
            "summary_age": (
                f"{profile.intake.minimum_age} or over" if age is True else str(age or "-")
            ),
            "summary_contact": " and ".join(contact) or "-",
            "summary_region": str(slots.get("region") or "-"),
            "summary_reason": str(slots.get("reason") or "-"),
            "summary_previous_therapy": {True: "Yes", False: "No"}.get(
                slots.get("previous_therapy"), "-"
            ),
            "summary_hopes": str(slots.get("hopes") or "-"),
            "summary_format": labels.get(slots.get("session_format"), "-"),
            "summary_availability": str(slots.get("availability") or "-"),
            "summary_payment": payments.get(slots.get("payment"), "-"),
        }

    # ---- consent and details ----------------------------------------------------

    def validate_intake_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Yes stores the consent version and starts the intake; no ends it politely."""
        if not self.is_fresh(CONSENT_SLOT, tracker):
            return {CONSENT_SLOT: value if _is_consent_version(value) else None}
        answer = parse_yes_no(value)
        if answer is None:
            return self.reject(
                CONSENT_SLOT, dispatcher, tracker, domain, "utter_intake_invalid_consent"
            )
        if not answer:
            dispatcher.utter_message(response="utter_intake_declined")
            return {CONSENT_SLOT: False}
        return {
            CONSENT_SLOT: consent_version(domain),
            STARTED_AT_SLOT: datetime.now(UTC).isoformat(),
            SUBMISSION_ID_SLOT: None,
            URGENT_SLOT: False,
        }

    def validate_preferred_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the name the person would like to be called."""
        slot = "preferred_name"
        if not self.is_fresh(slot, tracker):
            return {slot: value if isinstance(value, str) and value.strip() else None}
        if self.answered_faq(dispatcher, tracker, domain):
            return {slot: None}
        try:
            return {slot: validate_name(value)}
        except InvalidAnswer:
            dispatcher.utter_message(response="utter_intake_invalid_name")
            return {slot: None}

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the age; under the minimum, explain the guardian route."""
        minimum = self.profile.intake.minimum_age
        if not self.is_fresh("age", tracker):
            valid = value is True or (
                isinstance(value, int) and not isinstance(value, bool) and value >= minimum
            )
            return {"age": value if valid else None}
        try:
            age = parse_age(value, minimum)
        except InvalidAnswer:
            return self.reject("age", dispatcher, tracker, domain, "utter_intake_invalid_age")
        if is_below_minimum_age(age, minimum):
            dispatcher.utter_message(response="utter_intake_under_age")
        return {"age": age}

    def validate_contact_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Email, phone or either."""
        return self.check_choice(
            "contact_method", value, CONTACT_CHOICES, dispatcher, tracker, domain
        )

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the email address (syntax only, normalised; no DNS lookups)."""
        return self._validate_contact(
            "email", value, validate_email_address, "utter_intake_invalid_email",
            dispatcher, tracker, domain,
        )

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the phone number; store it as E.164 (US unless a country code is given)."""
        return self._validate_contact(
            "phone", value, normalise_phone, "utter_intake_invalid_phone",
            dispatcher, tracker, domain,
        )

    def _validate_contact(
        self,
        slot: str,
        value: Any,
        normalise: Any,
        invalid_response: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Shared email/phone check: normalise, or say why and ask again."""
        if not self.is_fresh(slot, tracker):
            try:
                return {slot: normalise(value)}
            except InvalidAnswer:
                return {slot: None}
        if self.answered_faq(dispatcher, tracker, domain):
            return {slot: None}
        try:
            return {slot: normalise(value)}
        except InvalidAnswer as exc:
            dispatcher.utter_message(response=invalid_response, reason=str(exc))
            return {slot: None}

    def validate_region(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Where the person lives; outside the licensed regions is said kindly, then on."""
        if not self.is_fresh("region", tracker):
            return {"region": value if isinstance(value, str) and value.strip() else None}
        if self.answered_faq(dispatcher, tracker, domain):
            return {"region": None}
        try:
            region = validate_region(value)
        except InvalidAnswer:
            dispatcher.utter_message(response="utter_intake_invalid_region")
            return {"region": None}
        licensed = self.profile.licensed_regions
        if licensed and licensed_region_of(region, licensed) is None:
            dispatcher.utter_message(response="utter_intake_region_unlicensed")
        return {"region": region}

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate what brings the person to therapy (free text)."""
        return self.check_text("reason", value, dispatcher, tracker, domain)

    def validate_previous_therapy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Whether the person has been in therapy before."""
        return {
            "previous_therapy": self.check_yes_no(
                "previous_therapy", value, dispatcher, tracker, domain
            )
        }

    def validate_hopes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate what the person hopes for from therapy (free text)."""
        return self.check_text("hopes", value, dispatcher, tracker, domain)

    def validate_session_format(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """One of the practice's session formats (or no preference)."""
        choices = format_choices((fmt.key, fmt.label) for fmt in self.profile.session_formats)
        return self.check_choice("session_format", value, choices, dispatcher, tracker, domain)

    def validate_availability(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """When the person is usually available (free text)."""
        return self.check_text("availability", value, dispatcher, tracker, domain)

    def validate_payment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Insurance or self-pay."""
        return self.check_choice("payment", value, PAYMENT_CHOICES, dispatcher, tracker, domain)

    # ---- screening -------------------------------------------------------------

    def check_asq_item(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Validate an ASQ 1-4 answer (yes/no)."""
        return {slot: self.check_yes_no(slot, value, dispatcher, tracker, domain)}

    def validate_asq_5(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the acuity question: "yes" gets the crisis response at once and urgency.

        The form then goes on to the summary, so the practice has the person's details
        to reach them quickly; staff are also told straight away (a crisis event).
        """
        slot = scoring.ASQ_ACUITY_SLOT
        answer = self.check_yes_no(slot, value, dispatcher, tracker, domain)
        if answer is None or not self.is_fresh(slot, tracker):
            return {slot: answer}
        if answer:
            dispatcher.utter_message(response="utter_crisis")
            dispatcher.utter_message(response="utter_intake_marked_urgent")
            self.report_acute_risk(tracker)
            return {slot: True, CRISIS_FLAG_SLOT: True, URGENT_SLOT: True}
        dispatcher.utter_message(response="utter_intake_asq_support")
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
    ) -> Dict[str, Any]:
        """Yes sends the intake; "change my email" etc. asks that question again.

        A confirmation is never carried over: a resumed intake shows the summary again.
        """
        if not self.is_fresh(CONFIRM_SLOT, tracker):
            return {CONFIRM_SLOT: None}
        text = value if isinstance(value, str) else ""
        edits = self.edit_targets(text, tracker)
        if edits:
            dispatcher.utter_message(response="utter_intake_edit")
            return {CONFIRM_SLOT: None, **{slot: None for slot in edits}}
        answer = parse_yes_no(value)
        if answer is True:
            return {CONFIRM_SLOT: True}
        if answer is False:
            dispatcher.utter_message(response="utter_intake_which_change")
            return {CONFIRM_SLOT: None}
        return self.reject(
            CONFIRM_SLOT, dispatcher, tracker, domain, "utter_intake_invalid_confirm"
        )

    def edit_targets(self, text: str, tracker: Tracker) -> List[str]:
        """Return the slots an edit request ("change my email", "edit phone") refers to."""
        norm = _norm(text)
        if not norm:
            return []
        found: List[str] = []
        for slot, pattern in EDIT_TARGETS:
            if re.search(pattern, norm):
                found.append(slot)
        if not found:
            return []
        if not re.search(EDIT_VERBS, norm) and len(norm.split()) > 4:
            return []
        if "contact_method" in found and ("email" in found or "phone" in found):
            found.remove("contact_method")
        slots: List[str] = []
        method = tracker.get_slot("contact_method")
        for target in found:
            if target == "screening":
                slots.extend(SCREENING_SLOTS)
                continue
            if target == "contact":
                slots.extend(("contact_method", "email", "phone"))
                continue
            slots.append(target)
            # Editing a contact detail the chosen method leaves out: choose again.
            if (target == "email" and method == "phone") or (
                target == "phone" and method == "email"
            ):
                slots.append("contact_method")
        return list(dict.fromkeys(slots))


def _add_item_validators() -> None:
    """Add ``validate_phq_<n>``, ``validate_gad_<n>`` and ``validate_asq_<1-4>``."""

    def frequency(slot: str):  # type: ignore[no-untyped-def]
        def validate(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
            return self.check_frequency(slot, value, dispatcher, tracker, domain)

        validate.__doc__ = f"A {slot.upper()} answer, scored 0-3."
        return validate

    def asq(slot: str):  # type: ignore[no-untyped-def]
        def validate(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
            return self.check_asq_item(slot, value, dispatcher, tracker, domain)

        validate.__doc__ = f"ASQ question {slot[-1]} (yes/no)."
        return validate

    for slot in PHQ_SLOTS + GAD_SLOTS:
        setattr(ValidateIntakeForm, f"validate_{slot}", frequency(slot))
    for slot in ASQ_SLOTS[:-1]:
        setattr(ValidateIntakeForm, f"validate_{slot}", asq(slot))


_add_item_validators()


# --------------------------------------------------------------------------------------
# Submission and discarding


def intake_notification(submission_id: int, urgent: bool, created_at: datetime) -> Notification:
    """Build the staff notification for a stored intake: ID, urgency and time only."""
    when = created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    urgency = "URGENT" if urgent else "not urgent"
    subject = f"[Secure Base] New intake #{submission_id}"
    if urgent:
        subject = f"[Secure Base] URGENT: new intake #{submission_id}"
    body = (
        "A new intake was submitted through the Secure Base assistant.\n\n"
        f"Submission ID: {submission_id}\n"
        f"Urgency: {urgency}\n"
        f"Time: {when}\n\n"
        f"Read it with `python -m secure_base.intake show {submission_id}` "
        "(the answers are stored encrypted)."
    )
    return Notification(
        kind=INTAKE_KIND,
        subject=subject,
        body=body,
        data={
            "submission_id": submission_id,
            "urgent": urgent,
            "created_at": created_at.isoformat(),
        },
    )


def unsaved_urgent_notification(conversation_id: str, when: datetime) -> Notification:
    """Tells staff that an URGENT intake could not be stored (no answers in it)."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Notification(
        kind=INTAKE_KIND,
        subject="[Secure Base] URGENT intake could not be saved",
        body=(
            "An intake marked urgent could not be stored because the practice database "
            "was unavailable. The answers are kept in the conversation and the person was "
            "asked to try again.\n\n"
            "Urgency: URGENT\n"
            f"Time: {stamp}\n"
            f"Conversation ID: {conversation_id}"
        ),
        data={"urgent": True, "stored": False, "conversation_id": conversation_id},
    )


async def _notify(notification: Notification) -> NotifyResult:
    try:
        return await asyncio.to_thread(send_notification, notification)
    except Exception as exc:  # noqa: BLE001 - send_notification should not raise
        return NotifyResult(failed={"notifier": _error_name(exc)})


class ActionSubmitIntake(Action):
    """Ends the intake: stores a confirmed one once, or closes a stopped one."""

    def name(self) -> str:
        """Name the action that runs when the intake form ends, and on "try again"."""
        return "action_submit_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Store, notify and reset; on a database failure keep everything for a retry."""
        slots = tracker.slots
        profile = _profile()
        if is_stopped(slots, profile):
            # Declined or under age: the reason was given; nothing is stored.
            return reset_intake_events()
        if slots.get(CONFIRM_SLOT) is not True:
            if slots.get(SUBMISSION_ID_SLOT) and not slots.get(CONSENT_SLOT):
                dispatcher.utter_message(response="utter_intake_already_submitted")
            else:
                dispatcher.utter_message(response="utter_intake_nothing_to_submit")
            return []

        licensed = licensed_region_of(str(slots.get("region") or ""), profile.licensed_regions)
        record = record_from_slots(
            slots, tracker.sender_id, profile.format_labels(), licensed_region=licensed
        )
        try:
            submission, created = await run_db(submit_intake, record)
        except Exception as exc:  # noqa: BLE001 - the person must hear the truth
            logger.error(
                "Intake of conversation %s could not be stored (%s); answers kept in the "
                "conversation for a retry",
                tracker.sender_id,
                _error_name(exc),
            )
            if record.urgent:
                await _notify(unsaved_urgent_notification(tracker.sender_id, datetime.now(UTC)))
            dispatcher.utter_message(response="utter_intake_submit_failed")
            return []

        if not submission.notified:
            result = await _notify(
                intake_notification(submission.id, submission.urgent, submission.created_at)
            )
            if not result.ok:
                logger.error(
                    "Staff were not notified of intake %s: %s", submission.id, result.error
                )
            try:
                await run_db(mark_notified, submission.id, result.ok, result.error)
            except Exception as exc:  # noqa: BLE001 - the submission itself is stored
                logger.error(
                    "Could not record the notification outcome of intake %s (%s)",
                    submission.id,
                    _error_name(exc),
                )
        logger.info("Intake %s stored (new: %s)", submission.id, created)
        done = "utter_intake_submitted_urgent" if submission.urgent else "utter_intake_submitted"
        dispatcher.utter_message(response=done)
        return reset_intake_events() + [SlotSet(SUBMISSION_ID_SLOT, str(submission.id))]


class ActionIntakeDiscard(Action):
    """Stops the intake at the person's request and forgets every answer."""

    def name(self) -> str:
        """Name the action that runs after the person confirms they want to stop."""
        return "action_intake_discard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Deactivates the form, resets the intake slots and says so."""
        dispatcher.utter_message(response="utter_intake_discarded")
        return [ActiveLoop(None)] + reset_intake_events()


__all__ = [
    "ActionIntakeDiscard",
    "ActionSubmitIntake",
    "IntakeFormBase",
    "ValidateIntakeForm",
    "FORM_SLOTS",
    "consent_version",
    "intake_notification",
]
