"""The intake form run by Rasa's own FormAction and slot extraction, against the real
domain (rendered from practice.yml) and the real action code.

Only the HTTP hop is replaced: the action endpoint calls rasa_sdk's ActionExecutor in
process. Slot mappings, form activation and validation, the requested-slot logic, the
asked questions and the rendering of every response (buttons, summary placeholders) are
Rasa's. Needs no trained model.
"""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet
from rasa.core.actions.action import (
    ActionExecutionRejection,
    ActionExtractSlots,
    RemoteAction,
)
from rasa.core.actions.forms import FormAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from actions.intake import validation as intake_actions
from secure_base import crypto, db
from secure_base.crisis.store import list_crisis_events
from secure_base.db import get_engine, session_scope
from secure_base.importer import PracticeProfileImporter
from secure_base.settings import PROJECT_ROOT

ENDPOINT = EndpointConfig("http://action-server.invalid/webhook")


@pytest.fixture(scope="module")
def domain():
    importer = PracticeProfileImporter(
        config_file=str(PROJECT_ROOT / "config.yml"),
        domain_path=str(PROJECT_ROOT / "domain.yml"),
        training_data_paths=[str(PROJECT_ROOT / "data")],
    )
    return importer.get_domain()


@pytest.fixture
def in_process_actions(monkeypatch, tmp_path):
    executor = ActionExecutor()
    executor.register_package("actions")

    async def request(
        self, method="post", subpath=None, content_type="application/json", compress=False, **kwargs
    ):
        return await executor.run(kwargs["json"])

    monkeypatch.setattr(EndpointConfig, "request", request)
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    db.dispose_engines()
    yield
    db.dispose_engines()
    crypto.clear_cipher_cache()


class Conversation:
    """Plays Rasa's processor for one conversation with the intake form."""

    def __init__(self, domain) -> None:
        self.domain = domain
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.tracker = DialogueStateTracker.from_events(
            "conv-rasa", [ActionExecuted("action_listen")], slots=domain.slots
        )
        self.form = FormAction("intake_form", ENDPOINT)

    async def _run(self, action, name: str) -> list:
        out = CollectingOutputChannel()
        try:
            events = await action.run(out, self.nlg, self.tracker, self.domain)
        except ActionExecutionRejection:
            self.tracker.update(ActionExecutionRejected(name))
            return []
        self.tracker.update(ActionExecuted(name))
        self.tracker.update_with_events(events, self.domain)
        return [e for e in events if isinstance(e, BotUttered)]

    async def say(
        self,
        text: str,
        intent: str = "nlu_fallback",
        confidence: float = 0.9,
        parse: dict | None = None,
    ) -> list[BotUttered]:
        parse_data = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            **(parse or {}),
        }
        if self.tracker.latest_action_name != "action_listen":
            self.tracker.update(ActionExecuted("action_listen"))
        self.tracker.update(UserUttered(text, parse_data["intent"], [], parse_data))
        extracted = await ActionExtractSlots(ENDPOINT).run(
            CollectingOutputChannel(), self.nlg, self.tracker, self.domain
        )
        # Rasa's processor applies these without logging an ActionExecuted.
        self.tracker.update_with_events(extracted, self.domain)
        if intent == "start_intake" or self.tracker.active_loop_name == "intake_form":
            return await self._run(self.form, "intake_form")
        return []

    @property
    def asking(self):
        return self.tracker.get_slot("requested_slot")

    def slot(self, name: str):
        return self.tracker.get_slot(name)


def texts(messages: list[BotUttered]) -> list[str]:
    return [m.text for m in messages]


async def test_full_intake_through_rasa(domain, in_process_actions) -> None:
    c = Conversation(domain)
    (consent,) = await c.say("I'd like to book", "start_intake", 0.98)
    assert c.tracker.active_loop_name == "intake_form" and c.asking == "intake_consent"
    assert "not an emergency service" in consent.text and "988" in consent.text
    assert [b["payload"] for b in consent.data["buttons"]] == ["Yes", "No"]

    await c.say("Yes", "affirm")
    assert len(c.slot("intake_consent")) == 12 and c.slot("intake_started_at")
    (ask,) = await c.say("Sam")
    assert c.asking == "age" and "How old are you?" in ask.text
    await c.say("34")
    (ask,) = await c.say("Either")
    assert c.asking == "email"
    (problem, again) = await c.say("sam@example")
    assert "couldn't read an email address" in problem.text and "What's your email" in again.text
    assert "@-sign" not in problem.text  # plain words, not the validator's
    await c.say("sam@example.com")
    await c.say("+44 20 7946 0958")
    assert c.slot("phone") == "+442079460958"
    (kind, ask) = await c.say("Oregon")
    assert "licensed in Maine and Massachusetts" in kind.text and c.asking == "reason"

    # A question mid-form: answered, then the same question again.
    faq = {
        "response_selector": {
            "faq": {"response": {"intent_response_key": "faq/confidentiality", "confidence": 0.9}}
        }
    }
    (answer, again) = await c.say("Is this confidential?", "faq", 0.92, faq)
    assert c.asking == "reason" and again.text == ask.text
    assert answer.text != ask.text

    await c.say("I keep pulling away from people.")
    await c.say("No", "deny")
    await c.say("To trust people.")
    (problem, ask) = await c.say("Weekday evenings")  # not a format: asked again
    assert c.asking == "session_format"
    assert problem.text == (
        "Please choose one of the options: Online (secure video), In person or No preference."
    )
    assert [b["payload"] for b in ask.data["buttons"]] == [
        "Online (secure video)",
        "In person",
        "No preference",
    ]
    await c.say("Online (secure video)")
    await c.say("Weekday evenings")
    (phq1,) = await c.say("Self-pay")
    assert "Pfizer" in phq1.text and "Over the last 2 weeks" in phq1.text
    assert [b["title"] for b in phq1.data["buttons"]] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    for answer in ("Several days", "Not at all", "0", "1"):
        await c.say(answer)
    assert c.asking == "asq_1"
    await c.say("Yes", "affirm")
    for _ in range(3):
        await c.say("No", "deny")
    assert c.asking == "asq_5"
    said = await c.say("Yes", "affirm")
    crisis_text = domain.responses["utter_crisis"][0]["text"]
    assert said[0].text == crisis_text
    assert c.slot("crisis_flag") is True and c.slot("intake_urgent") is True
    summary = said[2]
    assert "• Name: Sam" in summary.text
    assert "email sam@example.com and phone +44 20 7946 0958" in summary.text
    assert "Wellbeing questions: completed" in summary.text
    assert "{" not in summary.text
    assert c.asking == "intake_confirm"
    # After the crisis, responses carry the crisis reminder (the importer's variations).
    assert "If you are not safe right now" in said[-1].text

    (edit, ask) = await c.say("change my name")
    assert c.asking == "preferred_name"
    said = await c.say("Samira")
    assert "• Name: Samira" in said[0].text and c.asking == "intake_confirm"

    await c.say("Yes", "affirm")
    assert c.asking is None and c.tracker.active_loop_name is None
    assert c.slot("intake_confirm") is True

    # The submit rule's action, through the action server.
    (done,) = await c._run(RemoteAction("action_submit_intake", ENDPOINT), "action_submit_intake")
    assert "marked as urgent" in done.text and "988" in done.text
    assert c.slot("intake_submission_id") == "1"
    assert c.slot("intake_consent") is None and c.slot("email") is None
    assert c.slot("crisis_flag") is True  # never cleared

    # The staff alert for the acute answer ran in the background.
    await asyncio.gather(*list(intake_actions._background_tasks))
    with session_scope(get_engine()) as session:
        (event,) = list_crisis_events(session)
    assert event.detection_layer == "intake_asq" and event.conversation_id == "conv-rasa"


async def test_cancel_is_never_an_answer(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    # Not a clear wish to stop (only the intent says so): the rule asks to confirm.
    said = await c.say("I don't like this bit", "cancel_intake", 0.7)
    assert said == [] and c.slot("preferred_name") is None
    assert c.tracker.is_active_loop_rejected
    # While the confirmation question is pending, a "yes" fills nothing either.
    c.tracker.update(ActionExecuted("utter_ask_confirm_cancel"))
    await ActionExtractSlots(ENDPOINT).run(CollectingOutputChannel(), c.nlg, c.tracker, domain)
    c.tracker.update(UserUttered("No", {"name": "deny", "confidence": 0.99}))
    extracted = await ActionExtractSlots(ENDPOINT).run(
        CollectingOutputChannel(), c.nlg, c.tracker, domain
    )
    assert not [e for e in extracted if isinstance(e, SlotSet) and e.key == "preferred_name"]


async def test_crisis_message_is_not_an_answer(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    await c.say("I want to die", "crisis", 0.99)
    assert c.slot("preferred_name") is None and c.slot("crisis_flag") is True


async def test_resume_after_the_form_was_left(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    await c.say("Sam")
    # Left the form (as CrisisPolicy or a new session does).
    c.tracker.update_with_events([ActiveLoop(None), SlotSet("requested_slot", None)], domain)
    said = await c.say("continue intake", "start_intake")
    assert texts(said)[0] == "Let's pick up your intake where you left off."
    assert c.asking == "age" and c.slot("preferred_name") == "Sam"


async def test_consent_text_is_shown_once_then_a_short_re_ask(domain, in_process_actions) -> None:
    c = Conversation(domain)
    (consent,) = await c.say("I'd like to book", "start_intake", 0.98)
    assert "not an emergency service" in consent.text
    (again,) = await c.say("what?? hmm")
    assert c.asking == "intake_consent"
    assert again.text == domain.responses["utter_ask_intake_consent_short"][0]["text"]
    assert [b["payload"] for b in again.data["buttons"]] == ["Yes", "No"]
    assert len(again.text) < len(consent.text) / 3
    said = await c.say("umm")
    assert "not an emergency service" not in " ".join(texts(said))
    # A second unclear answer also offers a person to talk to.
    assert "hello@harbor-therapy.example" in said[0].text and said[1].text == again.text


async def test_clear_stop_ends_the_form_at_once_and_discards(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    await c.say("call me Sam")
    assert c.slot("preferred_name") == "Sam"
    (stopped,) = await c.say("I'm not ready", "nlu_fallback")
    assert "deleted" in stopped.text and "start intake" in stopped.text
    assert "hello@harbor-therapy.example" in stopped.text  # a person to reach instead
    assert c.tracker.active_loop_name is None and c.asking is None
    assert c.slot("preferred_name") is None and c.slot("intake_consent") is None
    # The submit rule runs next: it stores nothing and says nothing more.
    said = await c._run(RemoteAction("action_submit_intake", ENDPOINT), "action_submit_intake")
    assert said == [] and c.slot("intake_stopped") is None


async def test_stop_by_intent_and_text_is_not_confirmed(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    said = await c.say("can we stop?", "cancel_intake", 0.95)
    assert "deleted" in texts(said)[0]
    assert not c.tracker.is_active_loop_rejected and c.tracker.active_loop_name is None


async def test_pause_keeps_the_answers_for_later(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("start intake", "start_intake")
    await c.say("Yes", "affirm")
    await c.say("Sam")
    (paused,) = await c.say("maybe later")
    assert "continue intake" in paused.text and c.tracker.active_loop_name is None
    said = await c._run(RemoteAction("action_submit_intake", ENDPOINT), "action_submit_intake")
    assert said == [] and c.slot("intake_stopped") is None
    assert c.slot("preferred_name") == "Sam" and c.slot("age") is None
    said = await c.say("continue intake", "start_intake")
    assert texts(said)[0] == "Let's pick up your intake where you left off."
    assert c.asking == "age"


async def test_messy_answers_through_rasa(domain, in_process_actions) -> None:
    c = Conversation(domain)
    await c.say("I'd like to book", "start_intake")
    await c.say("yes that's fine", "affirm")
    await c.say("hi! you can call me Batman")
    await c.say("I'm 34 years old")
    await c.say("email is best")
    await c.say("thanks! it's jo.smith@example.com")
    assert c.slot("email") == "jo.smith@example.com" and c.asking == "region"
    (fixed, ask) = await c.say("actually my name is Dana, not Batman")
    assert fixed.text == "Thanks, I've changed your name to Dana."
    assert c.slot("preferred_name") == "Dana" and c.asking == "region"
    await c.say("Portland, Maine")
    await c.say("I keep pushing people away")
    await c.say("skip")
    assert c.slot("previous_therapy") == "(skipped)" and c.asking == "hopes"
    await c.say("feel closer to people")
    await c.say("video please, I think")
    assert c.slot("session_format") == "online"
    await c.say("pass")
    await c.say("self pay")
    for answer in ("Not at all", "Not at all", "Not at all", "Not at all"):
        await c.say(answer)
    for _ in range(3):
        await c.say("No", "deny")
    (summary, confirm) = await c.say("nope", "deny")
    assert c.asking == "intake_confirm"
    assert "• Name: Dana" in summary.text and "• Therapy before: (skipped)" in summary.text
    assert "• Availability: (skipped)" in summary.text
    await c.say("yes, send it", "affirm")
    assert c.asking is None and c.slot("intake_confirm") is True


async def test_asking_for_a_person_mid_intake_through_rasa(domain, in_process_actions) -> None:
    """Valid answer first: the slot mapping takes talk_to_human, the validation decides."""
    c = Conversation(domain)
    await c.say("I'd like to book", "start_intake")
    await c.say("Yes", "affirm")
    await c.say("maya and im 19 if u need that")
    assert c.slot("preferred_name") == "maya" and c.slot("age") == 19
    assert c.asking == "contact_method"
    (handoff, ask) = await c.say("can I just talk to a real person", "talk_to_human", 0.95)
    assert "automated assistant" in handoff.text and "nobody" in handoff.text
    assert c.asking == "contact_method" and c.tracker.active_loop_name == "intake_form"
    assert ask.text == domain.responses["utter_ask_contact_method"][0]["text"]
    assert c.slot("contact_method") is None
    await c.say("Telephone, please.", "talk_to_human", 0.8)
    assert c.slot("contact_method") == "phone" and c.asking == "phone"
