"""Cross-channel rules: channel names, the profile's ``channels`` section, intake per channel.

The intake's start is tested with the real validation and submission actions on real
rasa-sdk Trackers whose user message came in on a given Rasa input channel, with the
practice profile (a copy of practice.yml with another ``channels`` section) read from
``SECURE_BASE_PROFILE``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake.submission import ActionSubmitIntake
from actions.intake.validation import ValidateIntakeForm
from secure_base.intake import INTAKE_SLOTS, STOPPED_SLOT
from secure_base.messaging.cross_channel import (
    disclosure_text,
    intake_elsewhere_text,
    intake_runs_on,
    profile_channel,
)
from secure_base.profile import ProfileError, load_profile, parse_profile
from secure_base.settings import PROJECT_ROOT
from tests.test_intake_form import DOMAIN

RAW = yaml.safe_load((PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8"))


def with_channels(tmp_path: Path, channels: Any) -> Path:
    raw = copy.deepcopy(RAW)
    if channels is None:
        raw.pop("channels", None)
    else:
        raw["channels"] = channels
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize("input_channel, sender, name", [
    ("socketio", "abc", "website"), ("rest", "abc", "website"), (None, "abc", "website"),
    ("cmdline", "abc", "website"), ("telegram", "42", "telegram"),
    ("twilio", "+15557654321", "sms"), ("twilio", "whatsapp:+15557654321", "whatsapp"),
    ("facebook", "123", "messenger"), ("slack", "U1", "slack"),
])
def test_each_input_channel_has_its_profile_name(input_channel, sender, name) -> None:
    assert profile_channel(input_channel, sender) == name


def test_the_intake_runs_on_the_website_only_by_default(tmp_path: Path) -> None:
    profile = parse_profile(with_channels(tmp_path, None))
    assert profile.channels.intake == ["website"]
    assert profile.website_url() == str(profile.contact.booking_url)
    assert intake_runs_on("socketio", "a", profile) and intake_runs_on("rest", "a", profile)
    for channel, sender in (("telegram", "1"), ("twilio", "+1555"), ("facebook", "1"),
                            ("slack", "U1"), ("twilio", "whatsapp:+1555")):
        assert not intake_runs_on(channel, sender, profile)


def test_channels_can_be_named_for_the_intake(tmp_path: Path) -> None:
    profile = parse_profile(with_channels(tmp_path, {
        "intake": ["website", "WhatsApp", "whatsapp"],
        "website_url": "https://example.org/chat"}))
    assert profile.channels.intake == ["website", "whatsapp"]
    assert intake_runs_on("twilio", "whatsapp:+1555", profile)
    assert not intake_runs_on("twilio", "+1555", profile)
    assert profile.website_url() == "https://example.org/chat"


@pytest.mark.parametrize("channels, named", [
    ({"intake": ["website", "signal"]}, "'signal' is not a channel"),
    ({"intake": "website"}, "must be a list"),
    ({"intake": []}, "at least one channel"),
    ({"intake": ["website"], "website": "https://x.org"}, "extra fields not permitted"),
    ({"intake": ["website"], "website_url": "not a url"}, "website_url"),
])
def test_a_wrong_channels_section_fails_naming_the_problem(tmp_path: Path, channels,
                                                           named) -> None:
    with pytest.raises(ProfileError, match=named):
        parse_profile(with_channels(tmp_path, channels))


def test_the_messages_give_the_crisis_lines_and_the_practice_routes() -> None:
    profile = load_profile()
    lines = profile.crisis.current().lines
    note = disclosure_text(profile)
    assert "automated assistant" in note and "reads this chat live" in note
    assert all(line in note for line in lines) and "\n\n" not in note
    elsewhere = intake_elsewhere_text(profile)
    for part in (profile.website_url(), profile.contact.phone, profile.contact.email, *lines):
        assert part in elsewhere


# --- the intake's start -------------------------------------------------------------

def start_tracker(input_channel: str | None, sender: str) -> Tracker:
    """The tracker the form's validation gets when "I'd like to book" starts the form."""
    message = {"text": "I'd like to book", "intent": {"name": "start_intake",
                                                     "confidence": 0.98}}
    slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    slots["crisis_flag"] = False
    user: dict[str, Any] = {"event": "user", "text": message["text"], "parse_data": message}
    if input_channel is not None:
        user["input_channel"] = input_channel
    return Tracker(
        sender_id=sender, slots=slots, latest_message=message,
        events=[{"event": "action", "name": "action_listen"}, user,
                {"event": "active_loop", "name": "intake_form"},
                {"event": "slot", "name": "requested_slot", "value": None},
                {"event": "action", "name": "intake_form"}],
        paused=False, followup_action=None, active_loop={"name": "intake_form"},
        latest_action_name="intake_form")


async def start(input_channel: str | None, sender: str = "conv-1"
                ) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateIntakeForm().run(dispatcher, start_tracker(input_channel, sender),
                                            DOMAIN)
    return events, dispatcher.messages


@pytest.fixture()
def profile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Points the actions at a copy of practice.yml with the given channels section."""
    def use(channels: Any) -> None:
        monkeypatch.setenv("SECURE_BASE_PROFILE", str(with_channels(tmp_path, channels)))
    return use


@pytest.mark.parametrize("input_channel, sender", [
    ("telegram", "42"), ("twilio", "+15557654321"), ("twilio", "whatsapp:+15557654321"),
    ("facebook", "123"), ("slack", "U1")])
async def test_booking_on_a_channel_without_the_intake_gets_the_website(
        profile_file, input_channel, sender) -> None:
    profile_file({"intake": ["website"], "website_url": "https://example.org/chat"})
    events, messages = await start(input_channel, sender)
    (message,) = messages
    assert "https://example.org/chat" in message["text"]
    assert load_profile().contact.phone in message["text"]
    assert {e["name"]: e["value"] for e in events} == {STOPPED_SLOT: "elsewhere",
                                                        "requested_slot": None}
    # The rule then runs action_submit_intake: it closes the form without a word.
    slots = {name: None for name in (*INTAKE_SLOTS, "intake_submission_id", "crisis_flag")}
    slots[STOPPED_SLOT] = "elsewhere"
    tracker = start_tracker(input_channel, sender)
    tracker.slots.update(slots)
    dispatcher = CollectingDispatcher()
    closed = await ActionSubmitIntake().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages == []
    assert {e["name"]: e["value"] for e in closed}[STOPPED_SLOT] is None


@pytest.mark.parametrize("input_channel", ["socketio", "rest", None])
async def test_the_website_starts_the_intake_with_the_consent_question(
        profile_file, input_channel) -> None:
    profile_file(None)
    events, messages = await start(input_channel)
    assert messages == []
    assert {e["name"]: e["value"] for e in events}["requested_slot"] == "intake_consent"


async def test_a_channel_named_in_the_profile_runs_the_intake(profile_file) -> None:
    profile_file({"intake": ["website", "telegram"]})
    events, messages = await start("telegram", "42")
    assert messages == []
    assert {e["name"]: e["value"] for e in events}["requested_slot"] == "intake_consent"
    events, messages = await start("slack", "U1")
    assert messages and {e["name"]: e["value"] for e in events}["requested_slot"] is None
