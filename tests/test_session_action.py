"""action_session_start: slot carry-over, the crisis flag and the intake welcome back."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from secure_base.intake import INTAKE_SLOTS

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_WITH_WELCOME = {"responses": {"utter_intake_welcome_back": [{"text": "Welcome back"}]}}


def previous_session(slots: dict) -> Tracker:
    """A tracker at the moment Rasa starts a new session after an expired one."""
    return Tracker(
        sender_id="conv-1",
        slots=slots,
        latest_message={"text": "earlier message", "intent": {"name": "greet"}},
        events=[
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": "earlier message", "input_channel": "rest"},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def start(slots: dict, domain: dict | None = None) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, previous_session(slots), domain or {})
    return events, dispatcher


def slot_sets(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_pattern_and_carry_over() -> None:
    events, dispatcher = await start(
        {
            "crisis_flag": False,
            "last_topic": "secure_base",
            "shown_articles": ["a", "b"],
            "intake_urgent": False,
            "email": "sam@example.org",
            "reason": "panic attacks",
            "intake_submission_id": "7",
            "topic": None,
            "requested_slot": "preferred_name",
            "session_started_metadata": {"page": "/contact"},
        }
    )

    assert events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")
    assert all(e["event"] == "slot" for e in events[1:-1])
    assert slot_sets(events) == {
        "crisis_flag": False,
        "last_topic": "secure_base",
        "shown_articles": ["a", "b"],
        # Intake answers stay behind (health data); the last submission's ID is no answer.
        "intake_submission_id": "7",
        "session_started_metadata": {"page": "/contact"},
    }
    assert dispatcher.messages == []


async def test_crisis_flag_survives_the_session() -> None:
    events, _ = await start({"crisis_flag": True, "last_topic": None})

    assert SlotSet("crisis_flag", True) in events
    assert slot_sets(events) == {"crisis_flag": True}


async def test_first_session_has_nothing_to_carry() -> None:
    events, dispatcher = await start({})

    assert events == [SessionStarted(), ActionExecuted("action_listen")]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("slots", "domain", "welcomed"),
    [
        ({"intake_consent": True, "preferred_name": "Sam"}, DOMAIN_WITH_WELCOME, True),
        ({"intake_consent": True, "intake_submission_id": ""}, DOMAIN_WITH_WELCOME, True),
        # Submitted already: nothing to resume.
        ({"intake_consent": True, "intake_submission_id": "s-1"}, DOMAIN_WITH_WELCOME, False),
        ({"intake_consent": False}, DOMAIN_WITH_WELCOME, False),
        ({"preferred_name": "Sam"}, DOMAIN_WITH_WELCOME, False),
        # The response is not in this domain (yet): say nothing rather than fail.
        ({"intake_consent": True}, {"responses": {}}, False),
        ({"intake_consent": True}, {}, False),
    ],
)
async def test_welcome_back_for_unfinished_intake(slots, domain, welcomed) -> None:
    events, dispatcher = await start(slots, domain)

    expected = [{"response": "utter_intake_welcome_back"}] if welcomed else []
    assert [{"response": m["response"]} for m in dispatcher.messages] == expected
    # Intake answers are never carried into the new session; the submission ID is.
    assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")
    assert slot_sets(events) == {
        k: v for k, v in slots.items() if v is not None and k not in INTAKE_SLOTS
    }


async def test_events_apply_to_a_real_rasa_tracker() -> None:
    """Rasa itself accepts the events: the new session has the old slots and the flag."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    old = DialogueStateTracker.from_events(
        "conv-1",
        [
            Event.from_parameters(e)
            for e in [
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": "help", "parse_data": {"intent": {"name": "crisis"}}},
                {"event": "slot", "name": "crisis_flag", "value": True},
                {"event": "slot", "name": "last_topic", "value": "attunement"},
                {"event": "active_loop", "name": "intake_form"},
                {"event": "slot", "name": "requested_slot", "value": "age"},
            ]
        ],
        domain.slots,
    )
    sdk_tracker = Tracker.from_dict(old.current_state())

    events = await ActionSessionStart().run(CollectingDispatcher(), sdk_tracker, domain.as_dict())
    for event in events:
        old.update(Event.from_parameters(event), domain)

    assert old.get_slot("crisis_flag") is True
    assert old.get_slot("last_topic") == "attunement"
    assert old.get_slot("requested_slot") is None
    assert old.active_loop_name is None
    assert old.latest_action_name == "action_listen"
