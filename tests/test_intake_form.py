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
from secure_base.intake import FORM_SLOTS, SCREENING_SLOTS
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
