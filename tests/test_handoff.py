"""Handoff to a person: the profile's opening hours, utter_handoff as rendered from the
profile, action_talk_to_human, and validate_callback_form with real rasa_sdk Trackers.

:class:`CallbackSim` plays Rasa's part of ``callback_form`` (as ``FormSim`` does for the
intake): it fills the requested slot from the text of each answer, builds the tracker
the form sends to the validation action, runs the real action and applies its events.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionTalkToHuman, ValidateCallbackForm, office_now_text
from actions.intake.state import consent_version
from secure_base.callback import FORM_SLOTS
from secure_base.importer import render_profile_responses
from secure_base.profile import (
    OpeningHours,
    PracticeProfile,
    ProfileError,
    load_profile,
    parse_profile,
)
from secure_base.settings import PROJECT_ROOT
from tests.test_intake_form import DOMAIN

SENDER = "conv-handoff-1"
PROFILE = load_profile()
CONSENT = "utter_ask_callback_consent"


# ---- opening hours in the profile ----------------------------------------------------


def hours(**weekly: str) -> OpeningHours:
    return OpeningHours(timezone="America/New_York", weekly=weekly or {"monday": "09:00-17:00"})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_office_status_open_closed_and_next_opening() -> None:
    week = hours(monday="09:00-19:00", friday="09:00-15:00")
    # Monday 2026-12-07 16:00 UTC is 11am in New York: open until 7pm.
    status = week.status_at(at("2026-12-07T16:00"))
    assert status.open_now and status.closes_at.hour == 19
    # Monday 13:00 UTC is 8am: opens later today.
    status = week.status_at(at("2026-12-07T13:00"))
    assert not status.open_now and status.opens_at.day == 7 and status.opens_at.hour == 9
    # Friday 20:30 UTC is 3:30pm, closed: next opening is Monday.
    status = week.status_at(at("2026-12-11T20:30"))
    assert not status.open_now and status.opens_at.strftime("%A %H:%M") == "Monday 09:00"
    # Summer time: 13:30 UTC on a June Monday is 9:30am EDT, so open.
    assert week.status_at(at("2026-06-01T13:30")).open_now
    with pytest.raises(ValueError):
        week.status_at(datetime(2026, 12, 7, 12, 0))  # naive: zone unknown


@pytest.mark.parametrize(
    "opening_hours",
    [
        {"timezone": "Eastern", "weekly": {"monday": "09:00-17:00"}},
        {"timezone": "America/New_York", "weekly": {"mondays": "09:00-17:00"}},
        {"timezone": "America/New_York", "weekly": {"monday": "9am-5pm"}},
        {"timezone": "America/New_York", "weekly": {"monday": "17:00-09:00"}},
        {"timezone": "America/New_York", "weekly": {"monday": "09:00-25:00"}},
        {"timezone": "America/New_York", "weekly": {}},
        {"timezone": "America/New_York", "weekly": {"monday": "09:00-17:00"}, "days": 1},
    ],
)
def test_unusable_opening_hours_fail_loudly(tmp_path, opening_hours: dict) -> None:
    import yaml

    raw = yaml.safe_load((PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8"))
    raw["contact"]["opening_hours"] = opening_hours
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ProfileError, match="opening_hours"):
        parse_profile(path)


def test_opening_hours_are_optional() -> None:
    raw = PROFILE.dict()
    raw["contact"]["opening_hours"] = None
    profile = PracticeProfile.parse_obj(raw)
    assert profile.contact.opening_hours is None
    assert office_now_text(profile, at("2026-12-07T16:00")) == (
        "Calls and messages are answered during office hours."
    )


def test_office_now_text_says_open_or_when_it_opens() -> None:
    open_now = office_now_text(PROFILE, at("2026-12-07T16:00"))
    assert open_now.startswith("The office is open right now, until 7pm today (EST)")
    evening = office_now_text(PROFILE, at("2026-12-08T01:00"))  # Monday 8pm in New York
    assert "closed right now. It opens again tomorrow at 9am (EST)" in evening
    early = office_now_text(PROFILE, at("2026-12-08T12:00"))  # Tuesday 7am
    assert "opens again later today at 9am" in early
    weekend = office_now_text(PROFILE, at("2026-12-12T15:00"))  # Saturday
    assert "opens again on Monday at 9am (EST)" in weekend


# ---- utter_handoff and action_talk_to_human ------------------------------------------


def test_utter_handoff_is_rendered_from_the_profile() -> None:
    (variation,) = render_profile_responses(PROFILE)["utter_handoff"]
    text = variation["text"]
    contact = PROFILE.contact
    for fact in (contact.phone, contact.email, contact.hours, contact.response_time,
                 PROFILE.practice.name, *PROFILE.crisis.current().lines):
        assert fact in text, fact
    assert "automated assistant" in text and "nobody at" in text and "reads this chat live" in text
    assert "{office_now}" in text  # filled by action_talk_to_human
    assert [b["payload"] for b in variation["buttons"]] == ["/affirm", "/deny"]


def test_utter_handoff_follows_a_changed_profile() -> None:
    raw = PROFILE.dict()
    raw["contact"]["phone"] = "+1 555 999 0000"
    raw["contact"]["email"] = "desk@other.example"
    text = render_profile_responses(PracticeProfile.parse_obj(raw))["utter_handoff"][0]["text"]
    assert "+1 555 999 0000" in text and "desk@other.example" in text
    assert PROFILE.contact.phone not in text


def test_callback_consent_says_what_why_how_long_and_crisis_lines() -> None:
    text = render_profile_responses(PROFILE)[CONSENT][0]["text"]
    assert f"{PROFILE.retention.callback_requests_days} days" in text
    assert "encrypted" in text and "not for emergencies" in text
    assert "don't include anything about your health" in text
    for line in PROFILE.crisis.current().lines:
        assert line in text


async def test_talk_to_human_fills_office_now() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(SENDER, {}, {"text": "human pls", "intent": {"name": "talk_to_human"}},
                      [], False, None, {}, "action_listen")  # fmt: skip
    assert await ActionTalkToHuman().run(dispatcher, tracker, DOMAIN) == [
        SlotSet("callback_wanted", False)
    ]
    (message,) = dispatcher.messages
    assert message["response"] == "utter_handoff"
    assert message["office_now"].startswith("The office is")


@pytest.mark.parametrize(
    "text",
    ["can someone call me?", "ok can u have someone ring me back", "Could the practice "
     "telephone me instead?", "i'd like a callback", "please give me a call tomorrow"],
)
async def test_asking_to_be_called_back_starts_the_callback_request(text: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(SENDER, {}, {"text": text, "intent": {"name": "talk_to_human"}},
                      [], False, None, {}, "action_listen")  # fmt: skip
    events = await ActionTalkToHuman().run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("callback_wanted", True)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_callback"]


@pytest.mark.parametrize("text", ["human pls", "can I speak to a real person", "operator",
                                  "is anyone there?", "who do I call about billing"])
def test_other_requests_for_a_person_only_offer_the_callback(text: str) -> None:
    from actions.handoff import asks_for_callback

    assert not asks_for_callback(text)


# ---- callback_form ------------------------------------------------------------------


def test_callback_slots_never_fill_from_crisis_cancel_or_delete_messages() -> None:
    for slot in FORM_SLOTS:
        (mapping,) = DOMAIN["slots"][slot]["mappings"]
        assert mapping["type"] == "from_text"
        assert {"crisis", "cancel_intake", "delete_my_data"} <= set(mapping["not_intent"])
        assert mapping["conditions"] == [{"active_loop": "callback_form", "requested_slot": slot}]
    assert DOMAIN["forms"]["callback_form"]["required_slots"] == list(FORM_SLOTS)


class CallbackSim:
    """The Rasa side of ``callback_form``, around the real validation action."""

    def __init__(self, slots: dict | None = None) -> None:
        self.slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
        self.slots.update(crisis_flag=False, requested_slot=None, **(slots or {}))
        self.active = False
        self.asked: list[str] = []

    def _tracker(self, message: dict, candidates: dict) -> Tracker:
        events = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": message.get("text"), "parse_data": message},
        ]
        if not self.active:
            events.append({"event": "active_loop", "name": "callback_form"})
        events.append(
            {"event": "slot", "name": "requested_slot", "value": self.slots["requested_slot"]}
        )
        events.append({"event": "action", "name": "callback_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        return Tracker(
            sender_id=SENDER,
            slots={**self.slots, **candidates},
            latest_message=message,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": "callback_form"},
            latest_action_name="callback_form",
        )

    async def _run(self, message: dict, candidates: dict) -> list[str]:
        dispatcher = CollectingDispatcher()
        events = await ValidateCallbackForm().run(
            dispatcher, self._tracker(message, candidates), DOMAIN
        )
        self.slots.update(candidates)
        for event in events:
            assert event["event"] == "slot", event
            self.slots[event["name"]] = event["value"]
        self.active = self.slots["requested_slot"] is not None
        if self.active:
            self.asked.append(self.slots["requested_slot"])
        return [m.get("response") for m in dispatcher.messages]

    async def start(self) -> list[str]:
        prefilled = {n: v for n, v in self.slots.items() if n in FORM_SLOTS and v is not None}
        self.slots["requested_slot"] = None
        message = {"text": "/affirm", "intent": {"name": "affirm", "confidence": 1.0}}
        return await self._run(message, prefilled)

    async def say(self, text: str, intent: str = "inform", faq_key: str | None = None):
        requested = self.slots["requested_slot"]
        assert requested, "the form is not asking anything"
        message: dict[str, Any] = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [],
        }
        if faq_key:
            message["response_selector"] = {
                "faq": {"response": {"intent_response_key": f"faq/{faq_key}", "confidence": 0.9}}
            }
        return await self._run(message, {requested: text})

    @property
    def asking(self) -> str | None:
        return self.slots["requested_slot"]


async def test_consent_first_then_name_phone_and_times() -> None:
    sim = CallbackSim()
    assert await sim.start() == []
    assert sim.asking == "callback_consent"
    assert await sim.say("Yes", intent="affirm") == []
    assert re.fullmatch(r"[0-9a-f]{12}", sim.slots["callback_consent"])
    assert sim.slots["callback_consent"] == consent_version(DOMAIN, CONSENT)
    assert sim.slots["callback_consent"] != consent_version(DOMAIN)  # not the intake's
    assert sim.slots["callback_started_at"]
    await sim.say("Robin")
    await sim.say("a phone call please")
    assert sim.slots["callback_contact_method"] == "phone"
    assert await sim.say("12") == ["utter_intake_invalid_phone"]
    assert sim.asking == "callback_phone"
    assert await sim.say("(207) 555-0187") == []
    assert sim.slots["callback_phone"] == "+12075550187"
    await sim.say("Weekday mornings")
    assert sim.asking is None and sim.slots["callback_times"] == "Weekday mornings"
    assert sim.asked == [
        "callback_consent", "callback_name", "callback_contact_method",
        "callback_phone", "callback_phone", "callback_times",
    ]  # fmt: skip
    assert "callback_email" not in sim.asked


@pytest.mark.parametrize(
    ("answer", "method", "slot", "stored"),
    [("207 555 0187", "phone", "callback_phone", "+12075550187"),
     ("you can email me at robin@example.com", "email", "callback_email", "robin@example.com")],
)
async def test_a_number_or_address_given_for_the_method_names_it_and_is_kept(
    answer: str, method: str, slot: str, stored: str
) -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    await sim.say("Robin")
    assert sim.asking == "callback_contact_method"
    assert await sim.say(answer) == []
    assert sim.slots["callback_contact_method"] == method and sim.slots[slot] == stored
    assert sim.asking == "callback_times"


@pytest.mark.parametrize(
    ("answer", "said", "asking", "stored"),
    [("cell 207 555 0187 dont leave a voicemail tho", [], "callback_times", "+12075550187"),
     # A number that cannot be real: the method is kept and the number asked again.
     ("cell 555 867 2040 dont leave a voicemail tho", ["utter_intake_invalid_phone"],
      "callback_phone", None),
     ("text me", [], "callback_phone", None)],
)
async def test_a_word_for_the_phone_names_the_method_with_or_without_a_good_number(
    answer: str, said: list, asking: str, stored: str | None
) -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    await sim.say("Dana")
    assert await sim.say(answer) == said
    assert sim.slots["callback_contact_method"] == "phone"
    assert sim.slots.get("callback_phone") == stored
    assert sim.asking == asking


@pytest.mark.parametrize("step", ["method", "detail"])
async def test_best_times_given_with_the_address_are_kept_and_not_asked(step: str) -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    await sim.say("Robert")
    if step == "detail":
        await sim.say("Email")
    await sim.say("By email at robert@example.com, please, and I would prefer to be "
                  "contacted in the afternoon.")
    assert sim.slots["callback_email"] == "robert@example.com"
    assert sim.slots["callback_times"] == "I would prefer to be contacted in the afternoon"
    assert sim.asking is None and "callback_times" not in sim.asked


async def test_a_number_without_times_still_asks_for_them() -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    await sim.say("Robin")
    await sim.say("cell 207 555 0187 dont leave a voicemail tho")
    assert sim.asking == "callback_times" and not sim.slots.get("callback_times")


async def test_email_route_validates_the_address_and_skips_the_phone() -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    await sim.say("Robin")
    await sim.say("Email")
    assert sim.asking == "callback_email"
    assert await sim.say("robin at example") == ["utter_intake_invalid_email"]
    await sim.say("Robin@Example.com")
    assert sim.slots["callback_email"] == "Robin@example.com"
    assert sim.asking == "callback_times"
    assert "callback_phone" not in sim.asked


async def test_declining_consent_ends_the_form_and_keeps_nothing() -> None:
    sim = CallbackSim()
    await sim.start()
    assert await sim.say("No thanks", intent="deny") == ["utter_callback_declined"]
    assert sim.slots["callback_consent"] is False and sim.asking is None
    assert sim.slots["callback_started_at"] is None


async def test_unclear_consent_and_stray_payloads_are_asked_again() -> None:
    sim = CallbackSim()
    await sim.start()
    assert await sim.say("maybe later?") == ["utter_callback_invalid_consent"]
    # "No, let's continue" after "stop?" sends /deny: not an answer to the question.
    assert await sim.say("/deny", intent="deny") == []
    assert sim.asking == "callback_consent" and sim.slots["callback_consent"] is None
    await sim.say("Yes", intent="affirm")
    assert await sim.say("/deny", intent="deny") == []
    assert sim.asking == "callback_name" and sim.slots["callback_name"] is None


async def test_a_question_mid_form_is_answered_and_asked_again() -> None:
    sim = CallbackSim()
    await sim.start()
    await sim.say("Yes", intent="affirm")
    said = await sim.say("what are your fees?", intent="faq", faq_key="fees_and_insurance")
    assert said == ["utter_faq/fees_and_insurance"]
    assert sim.asking == "callback_name" and sim.slots["callback_name"] is None


async def test_resuming_keeps_valid_answers_and_drops_bad_ones() -> None:
    version = consent_version(DOMAIN, CONSENT)
    sim = CallbackSim({
        "callback_consent": version, "callback_name": "Robin",
        "callback_contact_method": "phone", "callback_phone": "not a number",
    })  # fmt: skip
    assert await sim.start() == []
    assert sim.slots["callback_consent"] == version and sim.slots["callback_name"] == "Robin"
    assert sim.slots["callback_phone"] is None and sim.asking == "callback_phone"


def test_changed_consent_text_changes_the_version() -> None:
    changed = copy.deepcopy(DOMAIN)
    changed["responses"][CONSENT][0]["text"] += " (updated)"
    assert consent_version(changed, CONSENT) != consent_version(DOMAIN, CONSENT)


def test_an_unfinished_callback_request_is_not_carried_into_a_new_session() -> None:
    from actions.session import carried_over_slots

    slots = {"callback_name": "Robin", "callback_phone": "+12075550187",
             "callback_consent": "0a1b2c3d4e5f", "last_topic": "secure_base"}  # fmt: skip
    tracker = Tracker(SENDER, slots, {}, [], False, None, {}, "action_listen")
    kept = {event["name"] for event in carried_over_slots(tracker)}
    assert kept == {"last_topic"}


# ---- the intent's training data -------------------------------------------------------


def _examples(path) -> dict[str, list[str]]:
    import yaml

    found: dict[str, list[str]] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        if "intent" in block:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
            found.setdefault(block["intent"], []).extend(lines)
    return found


def test_talk_to_human_has_many_short_and_long_phrasings_and_no_crisis_text() -> None:
    import spacy

    from secure_base.crisis.detector import CrisisDetector

    own = _examples(PROJECT_ROOT / "data" / "nlu" / "handoff.yml")["talk_to_human"]
    assert len(own) >= 80 and len({text.lower() for text in own}) == len(own)
    assert sum(len(text.split()) <= 2 for text in own) >= 15  # "human", "agent", ...
    # No phrasing is also an example of another intent.
    others = {
        text.lower(): intent
        for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))
        if path.name != "handoff.yml"
        for intent, texts in _examples(path).items()
        for text in texts
    }
    assert [text for text in own if text.lower() in others] == []
    # None of them would be taken for a crisis by the rule-based safety net.
    detector = CrisisDetector(spacy.blank("en"))
    assert [text for text in own if detector.detect_text(text)] == []


async def test_changing_ones_mind_at_the_consent_question_ends_the_request() -> None:
    sim = CallbackSim()
    await sim.start()
    said = await sim.say("wait actually nvm ill just email them. thats all thx")
    assert said == ["utter_callback_declined"]
    assert sim.slots["callback_consent"] is False and sim.asking is None
