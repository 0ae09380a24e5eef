"""Behaviour every intake question shares, and the checks its answers go through.

:class:`IntakeFormBase` is abstract (rasa-sdk registers only concrete actions); the
form's validation action (:mod:`actions.intake.validation`) builds on it. Each
``check_*`` method validates one kind of answer in one :class:`Turn` and returns the
slot's new value: ``None`` asks the question again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.common import FAQ_INTENT, faq_key_of
from secure_base.intake import OPTIONAL_SLOTS, SKIPPED, TRIES_SLOT, scoring
from secure_base.intake.validators import (
    Choice,
    InvalidAnswer,
    answer_then_question,
    asks_a_question_beside,
    is_payload,
    looks_like_question,
    match_choice,
    parse_yes_no,
    validate_free_text,
)
from secure_base.profile import PracticeProfile, load_profile

# A question asked mid-form is answered when the NLU is at least this sure it is one.
FAQ_CONFIDENCE = 0.6
# After this many answers to one question that could not be used, offer a way forward.
TRIES_BEFORE_WAY_FORWARD = 2
# The way forward for a question that is hard to answer: another contact method, skipping
# an optional question, or reaching a person at the practice.
WAY_FORWARD_RESPONSES = {
    "email": "utter_intake_way_forward_email",
    "phone": "utter_intake_way_forward_phone",
    **{slot: "utter_intake_way_forward_skip" for slot in OPTIONAL_SLOTS},
}
WAY_FORWARD_PERSON = "utter_intake_way_forward_person"
# Asking for a person mid-intake: a valid answer wins (the NLU sometimes labels
# "Telephone, please." this way); otherwise this is said and the question asked again.
HANDOFF_INTENT = "talk_to_human"
HANDOFF_CONFIDENCE = 0.6
HANDOFF_MID_INTAKE = "utter_handoff_mid_intake"

SlotValues = Dict[str, Any]
# A ``validate_<slot>`` method: (self, value, dispatcher, tracker, domain) -> slot values.
SlotValidator = Callable[[Any, Any, CollectingDispatcher, Tracker, DomainDict], SlotValues]


@dataclass(frozen=True)
class Turn:
    """One validation call: where replies go, the conversation so far, and the domain."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict

    def is_fresh(self, slot: str) -> bool:
        """Whether ``slot`` holds the answer to the question just asked."""
        return self.tracker.get_slot(REQUESTED_SLOT) == slot

    def say(self, response: str, **kwargs: Any) -> None:
        """Send a response (``utter_...``) to the person, filled with ``kwargs``."""
        self.dispatcher.utter_message(response=response, **kwargs)

    def tries(self) -> Dict[str, int]:
        """How many answers to each question could not be used so far."""
        stored = self.tracker.get_slot(TRIES_SLOT)
        return dict(stored) if isinstance(stored, dict) else {}


class IntakeFormBase(FormValidationAction, ABC):
    """Shared behaviour of intake form validation.

    * A *fresh* answer is the text the person just typed for the question being asked
      (``requested_slot``). Anything else being validated is a value stored earlier and
      re-validated when a paused intake resumes: it is kept if it is a normalised value
      and dropped (asked again) otherwise, silently.
    * A question asked mid-form (intent ``faq`` with confidence >= 0.6, and the text reads
      like a question) is answered with the FAQ response and the same question is asked
      again, unless the text is itself a valid answer to a choice question.
    * Asking for a person mid-form (intent ``talk_to_human``) gets
      ``utter_handoff_mid_intake`` and the same question again, unless the text is a
      valid answer (free-text questions take any text, so there the intent decides).
    """

    @abstractmethod
    def name(self) -> str:
        """Return the validation action's name (``validate_<form>``)."""

    @property
    def profile(self) -> PracticeProfile:
        """The practice profile (re-read when the file changes)."""
        return load_profile()

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

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validates as usual; a question asked beside a valid answer is answered too.

        "34. And can my employer see any of this?" keeps 34 as the age and gets the
        confidentiality answer before the next question (an answer that could not be used
        has had its question answered by :meth:`reject` already).
        """
        events = await super().get_validation_events(dispatcher, tracker, domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        accepted = any(
            event.get("event") == "slot" and event.get("name") == requested
            and event.get("value") is not None
            for event in events
        )
        said = [str(m.get("response") or "") for m in dispatcher.messages]
        text = (tracker.latest_message or {}).get("text")
        if (accepted and asks_a_question_beside(text)
                and not any(name.startswith("utter_faq/") for name in said)):
            self.answered_faq(Turn(dispatcher, tracker, domain))
        return events

    def answered_faq(self, turn: Turn) -> bool:
        """Answers a mid-form question, if the latest message is one."""
        key = self.faq_question_key(turn.tracker, turn.domain)
        if key is None:
            return False
        turn.say(f"utter_faq/{key}")
        return True

    @staticmethod
    def asks_for_person(tracker: Tracker) -> bool:
        """Whether the NLU read the latest message as asking for a person."""
        intent = (tracker.latest_message or {}).get("intent") or {}
        return (
            intent.get("name") == HANDOFF_INTENT
            and float(intent.get("confidence") or 0.0) >= HANDOFF_CONFIDENCE
        )

    def answered_handoff(self, turn: Turn) -> bool:
        """Gives the practice's contact routes, if the latest message asks for a person.

        Only called once the text turned out not to be a valid answer: the intake stays
        active and the same question is asked again (no try is counted).
        """
        if not self.asks_for_person(turn.tracker):
            return False
        turn.say(HANDOFF_MID_INTAKE)
        return True

    def reject(
        self, turn: Turn, slot: str, response: Optional[str] = None, **kwargs: Any
    ) -> SlotValues:
        """Leaves ``slot`` empty so the form asks again, after answering or explaining.

        A question gets its FAQ answer, asking for a person gets the contact routes;
        anything else gets ``response`` (why the answer could not be used) and counts as
        a try (see :meth:`failed`).
        """
        if self.answered_faq(turn) or self.answered_handoff(turn):
            return {slot: None}
        return self.failed(turn, slot, response, **kwargs)

    def failed(
        self, turn: Turn, slot: str, response: Optional[str] = None, **kwargs: Any
    ) -> SlotValues:
        """Says why an answer could not be used, counts the try, and offers a way forward.

        From the second try at the same question on, the person is offered another
        contact method (email, phone), skipping (optional questions) or the practice's
        contact details, so that no question becomes a dead end.
        """
        if response:
            turn.say(response, **kwargs)
        tries = turn.tries()
        tries[slot] = tries.get(slot, 0) + 1
        if tries[slot] >= TRIES_BEFORE_WAY_FORWARD:
            turn.say(WAY_FORWARD_RESPONSES.get(slot, WAY_FORWARD_PERSON))
        return {slot: None, TRIES_SLOT: tries}

    # ---- checks, one per kind of answer ---------------------------------------------

    @staticmethod
    def is_stray_payload(turn: Turn, slot: str, value: Any) -> bool:
        """Whether a fresh answer is a button payload (``/deny`` after "stop?"), not typed."""
        return turn.is_fresh(slot) and isinstance(value, str) and is_payload(value.strip())

    def check_choice(
        self,
        turn: Turn,
        slot: str,
        value: Any,
        *,
        choices: tuple[Choice, ...],
        match: Optional[Callable[[Any], Optional[str]]] = None,
    ) -> SlotValues:
        """Validate an answer to a fixed-choice question (stores the choice's value).

        ``match`` reads the choice from the answer (default: :func:`match_choice`).
        """
        values = {choice.value for choice in choices}
        if not turn.is_fresh(slot):
            return {slot: value if value in values else None}
        chosen = match(value) if match else match_choice(value, choices)
        if chosen is not None:
            return {slot: chosen}
        options = ", ".join(choice.label for choice in choices[:-1])
        options = f"{options} or {choices[-1].label}" if options else choices[-1].label
        return self.reject(turn, slot, "utter_intake_invalid_choice", options=options)

    def check_yes_no_answer(self, turn: Turn, slot: str, value: Any) -> SlotValues:
        """Validate a yes/no question (stores a bool; a skipped optional one stays skipped)."""
        if not turn.is_fresh(slot):
            kept = isinstance(value, bool) or (value == SKIPPED and slot in OPTIONAL_SLOTS)
            return {slot: value if kept else None}
        answer = parse_yes_no(value)
        if answer is None:
            return self.reject(turn, slot, "utter_intake_invalid_yes_no")
        return {slot: answer}

    def check_parsed(
        self,
        turn: Turn,
        slot: str,
        value: Any,
        *,
        parse: Callable[[Any], Any],
        invalid_response: str,
        too_long_response: Optional[str] = None,
        recheck_stored: bool = False,
        any_text: bool = False,
        payload_is_no_answer: bool = False,
    ) -> SlotValues:
        """Validate a typed answer: a question gets its FAQ answer, else ``parse`` decides.

        Args:
            turn: The validation call.
            slot: The question's slot.
            value: The answer (fresh text, or a value stored earlier).
            parse: Returns the normalised answer or raises :class:`InvalidAnswer`.
            invalid_response: Said (in plain words) when ``parse`` rejects a fresh answer.
            too_long_response: Said instead when the answer is too long.
            recheck_stored: Keep a stored value only if ``parse`` accepts it again
                (otherwise any non-blank text is kept).
            any_text: ``parse`` accepts almost any text (free-text questions), so asking
                for a person is never taken as the answer.
            payload_is_no_answer: A stray button payload (``/deny`` after "stop?") leaves
                the question open silently, to be asked again.

        """
        if not turn.is_fresh(slot):
            if not recheck_stored:
                return {slot: value if isinstance(value, str) and value.strip() else None}
            try:
                return {slot: parse(value)}
            except InvalidAnswer:
                return {slot: None}
        if payload_is_no_answer and self.is_stray_payload(turn, slot, value):
            return {slot: None}
        if answer_then_question(value):
            # "Pennsylvania. And how long does therapy take?": keep the answer; the
            # question beside it is answered by get_validation_events.
            try:
                return {slot: parse(value)}
            except InvalidAnswer:
                pass
        if self.answered_faq(turn):
            return {slot: None}
        if any_text and self.answered_handoff(turn):
            return {slot: None}
        try:
            return {slot: parse(value)}
        except InvalidAnswer as exc:
            if self.answered_handoff(turn):
                return {slot: None}
            # The validator's wording is for developers; people get a plain response.
            response = invalid_response
            if exc.kind == "too_long" and too_long_response:
                response = too_long_response
            return self.failed(turn, slot, response)

    def check_text(self, turn: Turn, slot: str, value: Any) -> SlotValues:
        """Validate a free-text answer."""
        return self.check_parsed(
            turn,
            slot,
            value,
            parse=validate_free_text,
            invalid_response="utter_intake_invalid_text",
            too_long_response="utter_intake_text_too_long",
            any_text=True,
        )

    def check_frequency(self, turn: Turn, slot: str, value: Any) -> SlotValues:
        """Validate a PHQ/GAD item answer (stores the score 0-3)."""
        if not turn.is_fresh(slot):
            return {slot: scoring.item_score(value)}
        score = scoring.parse_frequency(value)
        if score is not None:
            return {slot: score}
        return self.reject(turn, slot, "utter_intake_invalid_frequency")


def answer_validator(
    check: Callable[..., SlotValues], slot: str, doc: str, **options: Any
) -> SlotValidator:
    """Return a ``validate_<slot>`` method that validates the answer with one check.

    Args:
        check: An :class:`IntakeFormBase` check, e.g. ``IntakeFormBase.check_text``.
        slot: The question's slot.
        doc: The method's docstring.
        **options: The check's keyword options (``choices``, ``parse``, ...).

    """

    def validate(
        self: IntakeFormBase,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> SlotValues:
        return check(self, Turn(dispatcher, tracker, domain), slot, value, **options)

    validate.__name__ = validate.__qualname__ = f"validate_{slot}"
    validate.__doc__ = doc
    return validate
