"""validate_intake_form with real rasa_sdk Trackers and CollectingDispatchers.

:class:`FormSim` plays Rasa's part: it fills the requested slot from the text of each
answer (the domain's ``from_text`` mappings, ignoring crisis and cancel messages), builds
the tracker the form sends to the validation action (``requested_slot``, the form's
``ActionExecuted``, then the slot candidate), runs the real action and applies the
returned events, like Rasa's ``FormAction`` does.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake import validation as intake_actions
from actions.intake.asks import ActionAskIntakeConsent
from actions.intake.state import consent_version
from actions.intake.validation import ValidateIntakeForm
from secure_base.importer import render_profile_responses
from secure_base.intake import FORM_SLOTS, SCREENING_SLOTS, SKIPPED
from secure_base.profile import load_profile
from secure_base.settings import PROJECT_ROOT

SENDER = "conv-intake-1"


def load_domain() -> dict:
    """domain.yml plus the responses rendered from the profile, as the action server gets it."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"] = {
        **domain.get("responses", {}),
        **render_profile_responses(load_profile()),
    }
    return domain


DOMAIN = load_domain()


class FormSim:
    """The Rasa side of ``intake_form``, around the real validation action."""

    def __init__(self, domain: dict | None = None, slots: dict | None = None) -> None:
        self.domain = domain or DOMAIN
        self.slots: dict[str, Any] = {name: None for name in self.domain["slots"]}
        self.slots["crisis_flag"] = False
        self.slots["requested_slot"] = None
        self.slots.update(slots or {})
        self.events: list[dict] = []
        self.active = False
        self.acute_reports = 0
        self.asks: list[str] = []  # what action_ask_<slot> said (consent only)

    def _tracker(self, message: dict, candidates: dict) -> Tracker:
        events = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": message.get("text"), "parse_data": message},
        ]
        if not self.active:
            events.append({"event": "active_loop", "name": "intake_form"})
        events.append(
            {"event": "slot", "name": "requested_slot", "value": self.slots["requested_slot"]}
        )
        events.append({"event": "action", "name": "intake_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        slots = {**self.slots, **candidates}
        return Tracker(
            sender_id=SENDER,
            slots=slots,
            latest_message=message,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": "intake_form"},
            latest_action_name="intake_form",
        )

    async def _run(self, message: dict, candidates: dict) -> list[str]:
        dispatcher = CollectingDispatcher()
        action = ValidateIntakeForm()
        action.report_acute_risk = lambda tracker: self._count_acute()  # type: ignore[method-assign]
        events = await action.run(dispatcher, self._tracker(message, candidates), self.domain)
        self.slots.update(candidates)
        for event in events:
            assert event["event"] == "slot", event
            self.slots[event["name"]] = event["value"]
        self.events = events
        self.active = self.slots["requested_slot"] is not None
        self.messages = dispatcher.messages
        if self.slots["requested_slot"] == "intake_consent":
            await self._ask_consent(message)
        return [m.get("response") or m.get("text") for m in dispatcher.messages]

    async def _ask_consent(self, message: dict) -> None:
        """The form asks with action_ask_intake_consent (listed in the domain's actions)."""
        assert "action_ask_intake_consent" in self.domain["actions"]
        dispatcher = CollectingDispatcher()
        events = await ActionAskIntakeConsent().run(dispatcher, self._tracker(message, {}), {})
        for event in events:
            self.slots[event["name"]] = event["value"]
        self.asks += [m["response"] for m in dispatcher.messages]

    def _count_acute(self) -> None:
        self.acute_reports += 1

    async def start(self, text: str = "I'd like to book") -> list[str]:
        """Activation: the form validates every pre-filled slot (none on a fresh start)."""
        prefilled = {
            name: value
            for name, value in self.slots.items()
            if name in FORM_SLOTS and value is not None
        }
        self.slots["requested_slot"] = None
        message = {"text": text, "intent": {"name": "start_intake", "confidence": 0.98}}
        return await self._run(message, prefilled)

    async def say(
        self,
        text: str,
        intent: str = "inform",
        confidence: float = 0.9,
        faq_key: str | None = None,
    ) -> list[str]:
        """One answer to the question being asked."""
        requested = self.slots["requested_slot"]
        assert requested, "the form is not asking anything"
        message: dict[str, Any] = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
        }
        if faq_key:
            message["response_selector"] = {
                "faq": {"response": {"intent_response_key": f"faq/{faq_key}", "confidence": 0.9}}
            }
        # The domain's from_text mappings skip these intents (not_intent): no candidate.
        mapping = self.domain["slots"][requested]["mappings"][0]
        candidates = {} if intent in mapping.get("not_intent", []) else {requested: text}
        return await self._run(message, candidates)

    @property
    def asking(self) -> str | None:
        return self.slots["requested_slot"]


async def consented(sim: FormSim | None = None) -> FormSim:
    sim = sim or FormSim()
    assert await sim.start() == []
    assert sim.asking == "intake_consent"
    await sim.say("Yes", intent="affirm")
    return sim


async def details(sim: FormSim, contact: str = "Email") -> None:
    """Answers every question from the name to the payment."""
    await sim.say("Sam")
    await sim.say("34")
    await sim.say(contact)
    if sim.asking == "email":
        await sim.say("sam@example.com")
    if sim.asking == "phone":
        await sim.say("(207) 555-0123")
    await sim.say("Portland, Maine")
    await sim.say("I keep pulling away from people I love.")
    await sim.say("No", intent="deny")
    await sim.say("To feel safer in relationships.")
    await sim.say("Online (secure video)")
    await sim.say("Weekday evenings")
    await sim.say("Self-pay")


async def screening(
    sim: FormSim, phq=("Not at all",) * 2, gad=("Not at all",) * 2, asq=("No",) * 4
):
    for answer in phq:
        await sim.say(answer)
    for answer in gad:
        await sim.say(answer)
    for answer in asq:
        await sim.say(answer)


def asked_order(log: list[str | None]) -> list[str]:
    return [slot for slot in log if slot]


async def test_fresh_start_asks_for_consent_first() -> None:
    sim = FormSim()
    assert await sim.start() == []
    assert sim.asking == "intake_consent"


async def test_consent_stores_version_and_start_time() -> None:
    sim = await consented()
    version = sim.slots["intake_consent"]
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert version == consent_version(DOMAIN)
    assert sim.slots["intake_started_at"] and sim.slots["intake_urgent"] is False
    assert sim.asking == "preferred_name"


def test_consent_version_changes_with_the_consent_text() -> None:
    changed = copy.deepcopy(DOMAIN)
    changed["responses"]["utter_ask_intake_consent"][0]["text"] += " (updated)"
    assert consent_version(changed) != consent_version(DOMAIN)
    # Without responses in the domain, the same template is rendered.
    assert consent_version({}) == consent_version(DOMAIN)


@pytest.mark.parametrize("answer", ["No", "/deny", "no thanks"])
async def test_declined_consent_ends_politely(answer: str) -> None:
    sim = FormSim()
    await sim.start()
    assert await sim.say(answer, intent="deny") == ["utter_intake_declined"]
    assert sim.slots["intake_consent"] is False
    assert sim.asking is None  # the form is done; action_submit_intake stores nothing
    assert sim.slots["intake_started_at"] is None


async def test_unclear_consent_is_asked_again_briefly() -> None:
    sim = FormSim()
    await sim.start()
    assert sim.asks == ["utter_ask_intake_consent"]
    assert await sim.say("hmm") == []
    assert sim.asking == "intake_consent" and sim.slots["intake_consent"] is None
    # The long consent text is shown once; the re-ask is short, with yes/no buttons.
    assert sim.asks == ["utter_ask_intake_consent", "utter_ask_intake_consent_short"]
    short = DOMAIN["responses"]["utter_ask_intake_consent_short"][0]
    assert [b["payload"] for b in short["buttons"]] == ["Yes", "No"]
    assert len(short["text"]) < len(DOMAIN["responses"]["utter_ask_intake_consent"][0]["text"]) / 3
    await sim.say("Is what I tell you confidential?", intent="faq", faq_key="confidentiality")
    assert sim.asks[-1] == "utter_ask_intake_consent_short"  # after a question too
    await sim.say("yes", intent="affirm")
    assert sim.asking == "preferred_name"


@pytest.mark.parametrize("answer", ["16", "Under 18", "I'm a minor"])
async def test_under_age_explains_the_guardian_route_and_stops(answer: str) -> None:
    sim = await consented()
    await sim.say("Sam")
    assert await sim.say(answer) == ["utter_intake_under_age"]
    assert sim.asking is None


async def test_age_buttons_and_numbers() -> None:
    sim = await consented()
    await sim.say("Sam")
    assert await sim.say("a grown-up") == ["utter_intake_invalid_age"]
    assert sim.asking == "age"
    await sim.say("18 or over")
    assert sim.slots["age"] is True and sim.asking == "contact_method"


async def test_invalid_email_then_valid() -> None:
    sim = await consented()
    await sim.say("Sam")
    await sim.say("34")
    await sim.say("Email")
    assert sim.asking == "email"
    said = await sim.say("sam@example")
    assert said == ["utter_intake_invalid_email"]
    assert "reason" not in sim.messages[0]  # plain words, not the validator's
    assert sim.asking == "email" and sim.slots["email"] is None
    await sim.say("Sam@Example.com")
    assert sim.slots["email"] == "Sam@example.com"
    assert sim.asking == "region"  # email only: no phone question


async def test_invalid_phone_then_valid_international() -> None:
    sim = await consented()
    await sim.say("Sam")
    await sim.say("34")
    await sim.say("Phone")
    assert sim.asking == "phone"
    assert await sim.say("12345") == ["utter_intake_invalid_phone"]
    assert sim.asking == "phone"
    await sim.say("+44 20 7946 0958")
    assert sim.slots["phone"] == "+442079460958"
    assert sim.asking == "region"


async def test_either_asks_for_both() -> None:
    sim = await consented()
    await sim.say("Sam")
    await sim.say("34")
    await sim.say("Either")
    await sim.say("sam@example.com")
    assert sim.asking == "phone"
    await sim.say("207-555-0123")
    assert sim.slots["phone"] == "+12075550123"


async def test_region_outside_licensure_is_said_kindly_and_continues() -> None:
    sim = await consented()
    for answer in ("Sam", "34", "Email", "sam@example.com"):
        await sim.say(answer)
    assert await sim.say("Oregon") == ["utter_intake_region_unlicensed"]
    assert sim.slots["region"] == "Oregon" and sim.asking == "reason"
    sim2 = await consented()
    for answer in ("Sam", "34", "Email", "sam@example.com"):
        await sim2.say(answer)
    assert await sim2.say("Boston, MA") == []


async def test_choice_questions_re_ask_with_the_options() -> None:
    sim = await consented()
    await details_until(sim, "session_format")
    assert await sim.say("by carrier pigeon") == ["utter_intake_invalid_choice"]
    assert "Online (secure video)" in sim.messages[0]["options"]
    await sim.say("In person")
    assert sim.slots["session_format"] == "in_person"


async def details_until(sim: FormSim, slot: str) -> None:
    answers = {
        "preferred_name": "Sam",
        "age": "34",
        "contact_method": "Email",
        "email": "sam@example.com",
        "region": "Maine",
        "reason": "Relationships keep ending.",
        "previous_therapy": "Yes",
        "hopes": "Feel less alone.",
        "session_format": "Online (secure video)",
        "availability": "Mornings",
        "payment": "Insurance",
    }
    while sim.asking != slot:
        await sim.say(answers[sim.asking])


async def test_faq_question_mid_form_is_answered_and_the_question_repeated() -> None:
    sim = await consented()
    await sim.say("Sam")
    said = await sim.say(
        "Is what I tell you confidential?", intent="faq", confidence=0.93, faq_key="confidentiality"
    )
    assert said == ["utter_faq/confidentiality"]
    assert sim.asking == "age" and sim.slots["age"] is None
    await sim.say("40")
    assert sim.asking == "contact_method"


async def test_faq_only_when_it_looks_like_a_question_and_is_confident() -> None:
    sim = await consented()
    await details_until(sim, "reason")
    # Not a question: a free-text answer, whatever the intent.
    assert await sim.say("the fees worry me", intent="faq", faq_key="fees_and_insurance") == []
    assert sim.slots["reason"] == "the fees worry me"
    # A question, but the NLU is unsure: taken as the answer.
    sim2 = await consented()
    await details_until(sim2, "hopes")
    said = await sim2.say(
        "how do I feel less alone?", intent="faq", confidence=0.4, faq_key="first_session"
    )
    assert said == [] and sim2.slots["hopes"] == "how do I feel less alone?"


async def test_valid_choice_answer_wins_over_faq() -> None:
    sim = await consented()
    await details_until(sim, "session_format")
    said = await sim.say("online?", intent="faq", confidence=0.9, faq_key="session_formats")
    assert said == [] and sim.slots["session_format"] == "online"


async def test_a_question_beside_a_valid_answer_is_answered_and_the_answer_kept() -> None:
    sim = await consented()
    await details_until(sim, "age")
    said = await sim.say("34. and one thing, can my employer see any of this?",
                         intent="faq", confidence=0.95, faq_key="confidentiality")
    assert said == ["utter_faq/confidentiality"]
    assert sim.slots["age"] == 34 and sim.asking == "contact_method"


async def test_consent_question_without_a_question_mark_is_answered() -> None:
    sim = FormSim()
    await sim.start()
    said = await sim.say("Before I agree, I should like to know who will read my answers.",
                         intent="faq", confidence=0.95, faq_key="confidentiality")
    assert said[0] == "utter_faq/confidentiality" and sim.asking == "intake_consent"


async def test_faq_on_a_choice_question_that_is_no_answer() -> None:
    sim = await consented()
    await details_until(sim, "payment")
    said = await sim.say("what are your fees?", intent="faq", faq_key="fees_and_insurance")
    assert said == ["utter_faq/fees_and_insurance"]
    assert sim.asking == "payment"


async def test_negative_short_screens_skip_the_long_forms_and_acuity() -> None:
    sim = await consented()
    await details(sim)
    log = [sim.asking]
    for answer in ("Several days", "Not at all", "1", "one", "No", "No", "No", "No"):
        await sim.say(answer)
        log.append(sim.asking)
    assert asked_order(log) == [
        "phq_1",
        "phq_2",
        "gad_1",
        "gad_2",
        "asq_1",
        "asq_2",
        "asq_3",
        "asq_4",
        "intake_confirm",
    ]
    assert sim.slots["phq_1"] == 1 and sim.slots["gad_2"] == 1


async def test_positive_screens_extend_to_phq9_and_gad7() -> None:
    sim = await consented()
    await details(sim)
    await sim.say("More than half the days")
    await sim.say("Several days")  # PHQ-2 = 3
    for i in range(3, 10):
        assert sim.asking == f"phq_{i}"
        await sim.say("Not at all")
    await sim.say("3")
    await sim.say("Nearly every day")  # GAD-2 = 6
    for i in range(3, 8):
        assert sim.asking == f"gad_{i}"
        await sim.say("Several days")
    assert sim.asking == "asq_1"
    for _ in range(4):
        await sim.say("No")
    assert sim.asking == "intake_confirm"


async def test_invalid_frequency_is_asked_again() -> None:
    sim = await consented()
    await details(sim)
    assert await sim.say("sometimes") == ["utter_intake_invalid_frequency"]
    assert sim.asking == "phq_1"


async def test_self_harm_item_leads_to_the_acuity_question() -> None:
    sim = await consented()
    await details(sim)
    await sim.say("Nearly every day")
    await sim.say("Nearly every day")
    for _ in range(3, 9):
        await sim.say("Not at all")
    await sim.say("Several days")  # item 9
    await sim.say("Not at all")
    await sim.say("Not at all")
    for _ in range(4):
        await sim.say("No")
    assert sim.asking == "asq_5"
    assert await sim.say("No") == ["utter_intake_asq_support", "utter_intake_summary"]
    assert sim.slots["intake_urgent"] is False and sim.slots["crisis_flag"] is False
    assert sim.asking == "intake_confirm"


async def test_acute_yes_sends_crisis_response_and_continues_to_the_summary() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim, asq=("Yes", "No", "No", "No"))
    assert sim.asking == "asq_5"
    said = await sim.say("Yes", intent="affirm")
    assert said[:2] == ["utter_crisis", "utter_intake_marked_urgent"]
    assert said[2] == "utter_intake_summary"
    assert sim.slots["crisis_flag"] is True and sim.slots["intake_urgent"] is True
    assert sim.slots["asq_5"] is True
    assert sim.asking == "intake_confirm"
    assert sim.acute_reports == 1


async def test_summary_lists_answers_but_no_scores() -> None:
    sim = await consented()
    await details(sim, contact="Either")
    await screening(sim, phq=("3", "3") + ("0",) * 7)
    summary = sim.messages[-1]
    assert summary["response"] == "utter_intake_summary"
    assert summary["summary_name"] == "Sam"
    assert summary["summary_contact"] == "email sam@example.com and phone +1 207-555-0123"
    assert summary["summary_format"] == "Online (secure video)"
    assert summary["summary_payment"] == "Self-pay"
    assert summary["summary_previous_therapy"] == "No"
    # Every placeholder of the response is filled; nothing about scores is passed.
    text = DOMAIN["responses"]["utter_intake_summary"][0]["text"]
    assert set(re.findall(r"{(\w+)}", text)) == {k for k in summary if k.startswith("summary_")}
    assert not any("phq" in k or "score" in k for k in summary)
    assert "completed" in text


async def test_confirm_completes_the_form() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    assert await sim.say("Yes", intent="affirm") == []
    assert sim.slots["intake_confirm"] is True and sim.asking is None


@pytest.mark.parametrize(
    ("request_", "cleared"),
    [
        ("change my email", ["email"]),
        ("edit phone", ["phone", "contact_method"]),  # phone was not chosen: choose again
        ("Change my name", ["preferred_name"]),
        ("my availability is wrong", ["availability"]),
        ("Change my contact details", ["contact_method", "email", "phone"]),
    ],
)
async def test_edit_at_summary_asks_again_and_comes_back(request_: str, cleared: list) -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    assert await sim.say(request_) == ["utter_intake_edit"]
    assert sim.slots["intake_confirm"] is None
    for slot in cleared:
        assert sim.slots[slot] is None
    assert sim.asking == next(s for s in FORM_SLOTS if s in cleared)
    answers = {
        "email": "new@example.com",
        "phone": "207-555-0199",
        "preferred_name": "Samira",
        "availability": "Saturday mornings",
        "contact_method": "Either",
    }
    while sim.asking != "intake_confirm":
        said = await sim.say(answers[sim.asking])
    assert said[-1] == "utter_intake_summary"  # back to the summary


async def test_no_at_summary_asks_which_answer() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    assert await sim.say("No", intent="deny") == ["utter_intake_which_change"]
    assert sim.asking == "intake_confirm"
    # Asked again without repeating the summary.
    assert await sim.say("blue") == ["utter_intake_invalid_confirm"]
    await sim.say("change my hopes")
    assert sim.asking == "hopes"


async def test_redo_screening_from_the_summary() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    await sim.say("I'd like to redo the questionnaire")
    assert all(sim.slots[s] is None for s in SCREENING_SLOTS)
    assert sim.asking == "phq_1"


async def test_resume_in_a_new_session_continues_at_the_next_question() -> None:
    sim = await consented()
    await details_until(sim, "previous_therapy")
    kept = {k: v for k, v in sim.slots.items() if v is not None and k != "requested_slot"}
    # A new session: slots carried over, the form inactive, nothing requested.
    later = FormSim(slots=kept)
    said = await later.start("continue intake")
    assert said == ["utter_intake_resume"]
    assert later.asking == "previous_therapy"
    # Stored answers survive re-validation unchanged, and nothing is said twice.
    for name in ("intake_consent", "preferred_name", "age", "contact_method", "email", "region"):
        assert later.slots[name] == kept[name]


async def test_resume_at_the_summary_shows_it_again() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    await sim.say("Yes")  # confirmed, but the submission failed and the person left
    kept = {k: v for k, v in sim.slots.items() if v is not None and k != "requested_slot"}
    later = FormSim(slots=kept)
    said = await later.start()
    assert said == ["utter_intake_resume", "utter_intake_summary"]
    assert later.asking == "intake_confirm" and later.slots["intake_confirm"] is None


async def test_resume_does_not_repeat_messages_for_stored_answers() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim, asq=("Yes", "No", "No", "No"))
    await sim.say("Yes")  # acute
    kept = {k: v for k, v in sim.slots.items() if v is not None and k != "requested_slot"}
    later = FormSim(slots={**kept, "region": "Oregon"})
    said = await later.start()
    assert "utter_crisis" not in said and "utter_intake_region_unlicensed" not in said
    assert later.acute_reports == 0
    assert later.slots["asq_5"] is True and later.slots["intake_urgent"] is True


async def test_stale_stop_is_cleared_on_resume() -> None:
    later = FormSim(slots={"intake_consent": False})
    await later.start()
    assert later.asking == "intake_consent" and later.slots["intake_consent"] is None


async def test_acute_report_runs_in_the_background(app_env) -> None:
    """The real staff alert: a crisis event without text, recorded after the reply."""
    import asyncio

    from secure_base.crisis.store import list_crisis_events
    from secure_base.db import get_engine, session_scope

    sim = await consented()
    await details(sim)
    await screening(sim, asq=("No", "No", "Yes", "No"))
    dispatcher = CollectingDispatcher()
    tracker = sim._tracker(
        {"text": "Yes", "intent": {"name": "affirm", "confidence": 0.99}}, {"asq_5": "Yes"}
    )
    await ValidateIntakeForm().run(dispatcher, tracker, DOMAIN)
    await asyncio.gather(*list(intake_actions._background_tasks))
    with session_scope(get_engine()) as session:
        (event,) = list_crisis_events(session)
    assert event.conversation_id == SENDER
    assert event.detection_layer == "intake_asq" and event.trigger_message is None


# ---- forgiving answers ---------------------------------------------------------------


async def until(sim: FormSim, slot: str, contact: str = "Email") -> None:
    """Answers plainly until ``slot`` is asked."""
    answers = {
        "preferred_name": "Sam",
        "age": "34",
        "contact_method": contact,
        "email": "sam@example.com",
        "phone": "207-555-0123",
        "region": "Maine",
        "reason": "Relationships keep ending.",
        "previous_therapy": "Yes",
        "hopes": "Feel less alone.",
        "session_format": "Online (secure video)",
        "availability": "Mornings",
        "payment": "Insurance",
    }
    while sim.asking != slot:
        await sim.say(answers[sim.asking])


@pytest.mark.parametrize(
    ("slot", "answer", "stored"),
    [
        ("preferred_name", "call me Sam", "Sam"),
        ("preferred_name", "hi! my name is Zoë-Anne, thanks", "Zoë-Anne"),
        ("age", "I'm 34 years old", 34),
        ("email", "thanks! it's jo.smith@example.com", "jo.smith@example.com"),
        ("email", "sure: <Jo@Example.com>.", "Jo@example.com"),
        ("phone", "sure, my number is 207 201 3344", "+12072013344"),
        ("phone", "my cell is +44 20 7946 0958, thanks", "+442079460958"),
        ("session_format", "video please, I think", "online"),
        ("payment", "I'll self pay I guess", "self_pay"),
        ("previous_therapy", "yes, a few years ago", True),
    ],
)
async def test_answers_inside_a_sentence_are_read(slot: str, answer: str, stored) -> None:
    sim = await consented()
    await until(sim, slot, contact="Phone" if slot == "phone" else "Email")
    assert await sim.say(answer) == []
    assert sim.slots[slot] == stored and sim.asking != slot


async def test_a_rejected_email_does_not_stick_to_later_questions() -> None:
    sim = await consented()
    await until(sim, "email")
    assert await sim.say("jo.smith at example") == ["utter_intake_invalid_email"]
    await sim.say("ok it's jo.smith@example.com")
    assert sim.asking == "region"
    assert await sim.say("Maine") == [] and sim.asking == "reason"


@pytest.mark.parametrize(
    "text", ["I'm not ready", "can we stop?", "forget it", "Stop", "never mind, quit"]
)
async def test_a_clear_stop_stops_at_once_and_discards(text: str) -> None:
    sim = await consented()
    await until(sim, "contact_method")
    assert await sim.say(text) == ["utter_intake_stopped"]
    assert sim.asking is None
    assert sim.slots["intake_stopped"] == "discarded"
    assert sim.slots["preferred_name"] is None and sim.slots["intake_consent"] is None


async def test_a_clear_stop_with_the_cancel_intent_fills_nothing_and_stops() -> None:
    sim = await consented()
    await until(sim, "email")
    said = await sim.say("I want to stop", intent="cancel_intake", confidence=0.97)
    assert said == ["utter_intake_stopped"] and sim.asking is None


async def test_an_unclear_cancel_intent_is_left_to_the_confirmation_rule() -> None:
    sim = await consented()
    await until(sim, "email")
    said = await sim.say("ugh, this again", intent="cancel_intake", confidence=0.6)
    # Nothing validated: Rasa rejects the form and the rule asks "stop the intake?".
    assert said == []
    assert [e["name"] for e in sim.events] == ["requested_slot"]
    assert sim.asking == "email" and sim.slots["preferred_name"] == "Sam"


async def test_an_unsure_answer_offers_to_stop_without_taking_it_as_the_answer() -> None:
    sim = await consented()
    assert await sim.say("do I have to?") == ["utter_intake_stop_offer"]
    assert sim.asking == "preferred_name" and sim.slots["preferred_name"] is None


async def test_stopping_before_consent_is_a_declined_consent() -> None:
    sim = FormSim()
    await sim.start()
    assert await sim.say("maybe later") == ["utter_intake_declined"]
    assert sim.slots["intake_consent"] is False and sim.asking is None


async def test_pause_keeps_the_answers_and_the_intake_resumes() -> None:
    sim = await consented()
    await until(sim, "region")
    assert await sim.say("can we do this later?") == ["utter_intake_paused"]
    assert sim.asking is None and sim.slots["intake_stopped"] == "paused"
    assert sim.slots["email"] == "sam@example.com" and sim.slots["region"] is None
    # "continue intake" (the pause flag is cleared by the submit action, or here).
    said = await sim.start("continue intake")
    assert said == ["utter_intake_resume"]
    assert sim.asking == "region" and sim.slots["intake_stopped"] is None


@pytest.mark.parametrize("slot", ["previous_therapy", "hopes", "availability"])
async def test_skip_an_optional_question(slot: str) -> None:
    sim = await consented()
    await until(sim, slot)
    assert await sim.say("skip") == ["utter_intake_skipped"]
    assert sim.slots[slot] == SKIPPED and sim.asking != slot


@pytest.mark.parametrize("slot", ["preferred_name", "reason", "payment", "phq_1"])
async def test_a_required_question_cannot_be_skipped(slot: str) -> None:
    sim = await consented()
    await until(sim, slot)
    assert await sim.say("I'd rather not say") == ["utter_intake_cannot_skip"]
    assert sim.asking == slot


async def test_skipping_email_or_phone_keeps_the_other_when_either_was_chosen() -> None:
    sim = await consented()
    await until(sim, "email", contact="Either")
    assert await sim.say("skip this one") == ["utter_intake_skipped"]
    assert sim.slots["contact_method"] == "phone" and sim.asking == "phone"
    assert await sim.say("skip") == ["utter_intake_cannot_skip_phone"]
    assert sim.asking == "phone"


async def test_skipped_answers_are_shown_and_stored_as_no_answer() -> None:
    from secure_base.intake.store import record_from_slots

    sim = await consented()
    await until(sim, "previous_therapy")
    await sim.say("pass")
    await sim.say("Feel less alone.")
    await sim.say("In person")
    await sim.say("skip")
    await sim.say("Insurance")
    await screening(sim)
    summary = sim.messages[-1]
    assert summary["summary_previous_therapy"] == SKIPPED
    assert summary["summary_availability"] == SKIPPED
    record = record_from_slots(sim.slots, SENDER)
    assert record.availability is None and record.answers["previous_therapy"] is None


async def test_a_correction_updates_the_earlier_answer_and_asks_the_same_question() -> None:
    sim = await consented()
    await sim.say("Batman")
    await until(sim, "region")
    said = await sim.say("actually my name is Dana, not Batman")
    assert said == ["utter_intake_corrected"]
    assert sim.messages[0]["field"] == "name" and sim.messages[0]["value"] == "Dana"
    assert sim.slots["preferred_name"] == "Dana"
    assert sim.asking == "region" and sim.slots["region"] is None
    await sim.say("sorry, I meant my email is dana@example.org")
    assert sim.slots["email"] == "dana@example.org" and sim.asking == "region"
    await sim.say("I'm actually 43, not 34")
    assert sim.slots["age"] == 43 and sim.asking == "region"


async def test_a_correction_at_the_summary_shows_the_summary_again() -> None:
    sim = await consented()
    await details(sim)
    await screening(sim)
    said = await sim.say("oops, my email should be sam.b@example.com")
    assert said == ["utter_intake_corrected", "utter_intake_summary"]
    assert sim.messages[1]["summary_contact"] == "email sam.b@example.com"
    assert sim.asking == "intake_confirm"


async def test_an_answer_that_only_looks_like_a_correction_is_kept() -> None:
    sim = await consented()
    await until(sim, "reason")
    await sim.say("Actually my name keeps coming up in arguments at home")
    assert sim.slots["reason"] == "Actually my name keeps coming up in arguments at home"
    assert sim.slots["preferred_name"] == "Sam"


async def test_a_format_preference_where_a_number_was_asked() -> None:
    sim = await consented()
    await until(sim, "phone", contact="Phone")
    # The same method: the number itself is needed (not counted as a failed try).
    assert await sim.say("text is better") == ["utter_intake_need_phone"]
    assert sim.asking == "phone" and not (sim.slots["intake_tries"] or {}).get("phone")
    # The other method: switch to it and ask for the address.
    assert await sim.say("can you email me instead") == ["utter_intake_contact_switched"]
    assert sim.messages[0]["method"] == "email"
    assert sim.slots["contact_method"] == "email" and sim.asking == "email"
    assert await sim.say("phone is better actually") == ["utter_intake_contact_switched"]
    assert sim.slots["contact_method"] == "phone" and sim.asking == "phone"


async def test_a_change_of_mind_after_the_number_switches_and_drops_the_number() -> None:
    sim = await consented()
    await until(sim, "phone", contact="Phone")
    said = await sim.say("My number is 614-555-0187. Actually, on reflection, I would rather "
                         "you used email after all, as I often miss calls.")
    assert said == ["utter_intake_contact_switched"]
    assert sim.slots["contact_method"] == "email" and sim.asking == "email"
    assert sim.slots["phone"] is None
    # A number with nothing after it that changes the method is simply kept.
    sim = await consented()
    await until(sim, "phone", contact="Phone")
    await sim.say("sure, 614-555-0187, call or text is fine")
    assert sim.slots["phone"] == "+16145550187" and sim.asking != "email"


@pytest.mark.parametrize(
    ("slot", "bad", "way_forward"),
    [
        ("email", "jo at example", "utter_intake_way_forward_email"),
        ("phone", "12345", "utter_intake_way_forward_phone"),
        ("availability", "...", "utter_intake_way_forward_skip"),
        ("age", "old enough", "utter_intake_way_forward_person"),
        ("payment", "shells", "utter_intake_way_forward_person"),
    ],
)
async def test_after_two_failed_tries_a_way_forward_is_offered(
    slot: str, bad: str, way_forward: str
) -> None:
    sim = await consented()
    await until(sim, slot, contact="Phone" if slot == "phone" else "Email")
    first = await sim.say(bad)
    assert way_forward not in first and sim.slots["intake_tries"] == {slot: 1}
    second = await sim.say(bad)
    assert second[-1] == way_forward and len(second) == 2
    assert second[0] == first[0]  # the plain explanation first
    assert sim.asking == slot


async def test_tries_are_forgotten_once_answered_and_reset_with_the_intake() -> None:
    sim = await consented()
    await until(sim, "email")
    await sim.say("nope")
    await sim.say("sam@example.com")
    assert "email" not in sim.slots["intake_tries"]
    assert await sim.say("stop") == ["utter_intake_stopped"]
    assert sim.slots["intake_tries"] is None


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        "https://example.com",
        "www.example.com",
        "12345",
        "sam@example.com",
        "x" * 60,
        "a b c d e f g",
    ],
)
async def test_names_must_be_names(name: str) -> None:
    sim = await consented()
    assert await sim.say(name) == ["utter_intake_invalid_name"]
    assert sim.slots["preferred_name"] is None and sim.asking == "preferred_name"


async def test_the_summary_shows_every_answer_exactly_as_stored() -> None:
    sim = await consented()
    await sim.say("  Renée O'Brien-Smith ")
    await until(sim, "reason")
    await sim.say("<b>I</b> keep pulling away & it hurts")
    await until(sim, "phq_1")
    await screening(sim)
    summary = sim.messages[-1]
    assert summary["summary_name"] == sim.slots["preferred_name"] == "Renée O'Brien-Smith"
    assert summary["summary_reason"] == sim.slots["reason"]
    for slot in ("region", "hopes", "availability"):
        assert summary[f"summary_{slot}"] == sim.slots[slot]


async def test_error_messages_are_plain_words() -> None:
    """No response of the intake shows a validator's reason or technical words."""
    technical = re.compile(r"\{reason\}|@-sign|E\.164|regex|invalid|syntax|domain", re.I)
    for name, variations in DOMAIN["responses"].items():
        if name.startswith(("utter_intake_", "utter_ask_intake")):
            for variation in variations:
                assert not technical.search(variation.get("text", "")), name


async def test_questions_mid_form_still_get_answers_with_the_new_reading() -> None:
    sim = await consented()
    await until(sim, "email")
    said = await sim.say(
        "can I ask whether this is confidential?",
        intent="faq",
        confidence=0.9,
        faq_key="confidentiality",
    )
    assert said == ["utter_faq/confidentiality"] and sim.asking == "email"
    assert not (sim.slots["intake_tries"] or {}).get("email")  # a question is no failed try


async def test_a_messy_but_valid_intake_completes() -> None:
    """The scripted sequence of an outside tester, start to submit."""
    sim = FormSim()
    await sim.start()
    script = [
        ("hmm what is this", "intake_consent"),
        ("yes that's fine", "preferred_name"),
        ("hey, call me Batman", "age"),
        ("I'm 34 years old", "contact_method"),
        ("phone I guess", "phone"),
        ("text is better", "phone"),
        ("sure, my number is (207) 201-3344", "region"),
        ("actually my name is Dana, not Batman", "region"),
        ("I live in Portland, Maine", "reason"),
        ("Is this confidential?", "reason"),
        ("I keep pulling away from people I love", "previous_therapy"),
        ("yeah, once, years ago", "hopes"),
        ("skip", "session_format"),
        ("video please, I think", "availability"),
        ("evenings after 6", "payment"),
        ("I'll self pay", "phq_1"),
        ("0 - Not at all", "phq_2"),
        ("1", "gad_1"),
        ("several days", "gad_2"),
        ("not at all", "asq_1"),
        ("No", "asq_2"),
        ("no", "asq_3"),
        ("nope", "asq_4"),
        ("no, never", "intake_confirm"),
        ("yes send it", None),
    ]
    for text, asked_next in script:
        faq = "confidentiality" if text.endswith("?") and sim.asking == "reason" else None
        await sim.say(text, intent="faq" if faq else "inform", faq_key=faq)
        assert sim.asking == asked_next, text
    assert sim.slots["intake_confirm"] is True
    assert sim.slots["preferred_name"] == "Dana" and sim.slots["phone"] == "+12072013344"
    assert sim.slots["hopes"] == SKIPPED and sim.slots["session_format"] == "online"


# ---- whole messages from outside testers ---------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("phone", "actually hold on i dont rly want to give my number out rn. can we stop"),
        (
            "contact_method",
            "hmm ok. actually lets stop here, i am too tired after shift. maybe another day",
        ),
        (
            "contact_method",
            "Forgive me, but I find I am not quite ready to do this. It is all rather more "
            "than I anticipated, and I think I shall stop here for now.",
        ),
    ],
)
async def test_a_stop_inside_a_longer_message_stops(slot: str, text: str) -> None:
    sim = await consented()
    await until(sim, slot, contact="Phone")
    assert await sim.say(text) == ["utter_intake_stopped"]
    assert sim.asking is None and sim.slots["intake_stopped"] == "discarded"


async def test_an_answer_that_mentions_stopping_is_an_answer() -> None:
    sim = await consented()
    await until(sim, "reason")
    assert await sim.say("I want to stop pushing people away") == []
    assert sim.slots["reason"] == "I want to stop pushing people away"
    assert await sim.say("Yes") == [] and sim.asking == "hopes"
    said = await sim.say("I'm not ready to trust people, that's why I'm here")
    assert said == [] and sim.slots["hopes"].startswith("I'm not ready to trust")


async def test_a_name_with_the_age_fills_both() -> None:
    sim = await consented()
    assert await sim.say("maya and im 19 if u need that") == []
    assert sim.slots["preferred_name"] == "maya" and sim.slots["age"] == 19
    assert sim.asking == "contact_method"


async def test_an_age_given_with_the_name_still_checks_the_minimum_age() -> None:
    sim = await consented()
    assert await sim.say("Sam, I'm 15") == ["utter_intake_under_age"]
    assert sim.slots["preferred_name"] == "Sam" and sim.slots["age"] == 15
    assert sim.asking is None


@pytest.mark.parametrize(
    ("text", "method", "detail"),
    [
        ("email pls its maya.okafor19@gmail.com", "email", ("email", "maya.okafor19@gmail.com")),
        ("phone, 207 201 3344", "phone", ("phone", "+12072013344")),
        ("jo@example.com", "email", ("email", "jo@example.com")),
    ],
)
async def test_a_contact_method_with_its_detail_fills_both(
    text: str, method: str, detail: tuple
) -> None:
    sim = await consented()
    await until(sim, "contact_method")
    assert await sim.say(text) == []
    assert sim.slots["contact_method"] == method and sim.slots[detail[0]] == detail[1]
    assert sim.asking == "region"


async def test_a_contact_method_with_an_invalid_detail_asks_for_the_detail() -> None:
    sim = await consented()
    await until(sim, "contact_method")
    assert await sim.say("email, it's maya at gmail") == []
    assert sim.slots["contact_method"] == "email" and sim.asking == "email"


@pytest.mark.parametrize(
    ("text", "method"),
    [
        (
            "I would prefer e-mail, if that is acceptable to you. "
            "I do not always hear the telephone.",
            "email",
        ),
        ("not email, phone please", "phone"),
        ("text is better than calling", "phone"),
        ("e mail", "email"),
    ],
)
async def test_a_contact_method_among_several_mentions(text: str, method: str) -> None:
    sim = await consented()
    await until(sim, "contact_method")
    assert await sim.say(text) == []
    assert sim.slots["contact_method"] == method


async def test_a_valid_answer_labelled_as_asking_for_a_person_is_the_answer() -> None:
    sim = await consented()
    await until(sim, "contact_method")
    said = await sim.say("Telephone, please.", intent="talk_to_human", confidence=0.8)
    assert said == [] and sim.slots["contact_method"] == "phone" and sim.asking == "phone"


@pytest.mark.parametrize("text", ["ME", "me", "Maine"])
async def test_a_state_code_read_as_asking_for_a_person_is_the_region(text: str) -> None:
    # "ME" lowercases to "me", which the NLU can read as asking for a person.
    sim = await consented()
    await until(sim, "region")
    said = await sim.say(text, intent="talk_to_human", confidence=0.7)
    assert "utter_handoff_mid_intake" not in said
    assert sim.slots["region"] == text and sim.asking == "reason"


@pytest.mark.parametrize("slot", ["preferred_name", "contact_method", "email", "reason"])
async def test_asking_for_a_person_mid_intake_gives_the_routes_and_asks_again(slot: str) -> None:
    sim = await consented()
    await until(sim, slot)
    said = await sim.say("can I just talk to a real person", intent="talk_to_human")
    assert said == ["utter_handoff_mid_intake"]
    assert sim.asking == slot and sim.slots[slot] is None
    assert sim.slots["intake_stopped"] is None and "intake_tries" not in {
        e["name"] for e in sim.events
    }


def test_the_mid_intake_handoff_is_honest_and_gives_the_practice_routes() -> None:
    profile = load_profile()
    (variation,) = DOMAIN["responses"]["utter_handoff_mid_intake"]
    text = variation["text"]
    assert "automated assistant" in text and "reads this chat live" in text
    for route in (profile.contact.phone, profile.contact.email, profile.contact.hours):
        assert route in text
    assert "stop" in text and "carry on with the intake" in text


def test_no_rule_or_mapping_takes_a_person_request_away_from_the_intake() -> None:
    rules = yaml.safe_load((PROJECT_ROOT / "data/rules/handoff.yml").read_text())["rules"]
    for rule in rules:
        loops = [c.get("active_loop") for c in rule.get("condition", [])]
        assert not ("intake_form" in loops and {"intent": "talk_to_human"} in rule["steps"])
    for name in FORM_SLOTS:
        mapping = DOMAIN["slots"][name]["mappings"][0]
        assert "talk_to_human" not in mapping["not_intent"]
        assert {"crisis", "cancel_intake", "delete_my_data"} <= set(mapping["not_intent"])


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        (
            "My email address is robert.hallworth@example.com, and I would prefer to be "
            "contacted in the afternoon.",
            "robert.hallworth@example.com",
        ),
        ("It is rhallworth58@example.net.", "rhallworth58@example.net"),
    ],
)
async def test_an_email_inside_a_sentence_is_accepted(text: str, stored: str) -> None:
    sim = await consented()
    await until(sim, "email")
    assert await sim.say(text) == []
    assert sim.slots["email"] == stored and sim.asking == "region"


async def test_a_name_given_with_the_consent_is_kept_and_not_asked() -> None:
    sim = FormSim()
    await sim.start()
    await sim.say("yes thats fine, name is dana", intent="affirm")
    assert sim.slots["preferred_name"] == "dana"
    assert sim.asking == "age"
    # Without a cue for a name, nothing but the consent is read.
    sim = FormSim()
    await sim.start()
    await sim.say("Yes, please go ahead. Forgive me if I am slow.", intent="affirm")
    assert sim.slots["preferred_name"] is None and sim.asking == "preferred_name"


async def test_a_region_with_a_question_after_it_keeps_the_region_and_answers() -> None:
    sim = await consented()
    await until(sim, "region")
    said = await sim.say(
        "Maine. One further question, if you will permit me: roughly what does a session "
        "cost?",
        intent="faq", faq_key="fees_and_insurance")
    assert sim.slots["region"] == "Maine."
    assert said == ["utter_faq/fees_and_insurance"]
    assert sim.asking == "reason"


async def test_a_contact_method_given_with_the_age_is_kept() -> None:
    sim = await consented()
    await until(sim, "age")
    await sim.say("38 and phone is best")
    assert sim.slots["age"] == 38 and sim.slots["contact_method"] == "phone"
    assert sim.asking == "phone"
