"""The crisis policy's sequence and the safety follow-up, on real trackers."""

from __future__ import annotations

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from secure_base.crisis import (
    CRISIS_RECORD_ACTION,
    CRISIS_RESPONSE,
    FOLLOW_UP_CONTINUE,
    FOLLOW_UP_QUESTION,
    FOLLOW_UP_SAFE,
    FOLLOW_UP_SAFE_CONTINUE,
    FOLLOW_UP_UNCLEAR,
    FOLLOW_UP_UNSAFE,
)
from secure_base.policies.crisis_policy import (
    INTAKE_FORM,
    follow_up_plan,
    last_bot_action,
    next_crisis_action,
)


def user(intent: str) -> UserUttered:
    return UserUttered(text=f"<{intent}>", intent={"name": intent, "confidence": 1.0})


def tracker(*events) -> DialogueStateTracker:  # type: ignore[no-untyped-def]
    return DialogueStateTracker.from_events("t", [ActionExecuted(ACTION_LISTEN_NAME), *events])


CRISIS_TURN = (
    user("crisis"),
    ActionExecuted(CRISIS_RESPONSE),
    ActionExecuted(CRISIS_RECORD_ACTION),
    ActionExecuted(ACTION_LISTEN_NAME),
)


def test_a_crisis_message_gets_the_sequence_step_by_step():
    assert next_crisis_action(tracker(user("crisis"))) == CRISIS_RESPONSE
    assert next_crisis_action(tracker(user("crisis"), ActionExecuted(CRISIS_RESPONSE))) == (
        CRISIS_RECORD_ACTION)
    assert next_crisis_action(tracker(*CRISIS_TURN)) is None


@pytest.mark.parametrize(
    "intent,expected",
    [
        ("affirm", FOLLOW_UP_SAFE),
        ("confirm_safe", FOLLOW_UP_SAFE),
        ("deny", FOLLOW_UP_UNSAFE),
        ("start_intake", FOLLOW_UP_CONTINUE),
        ("greet", FOLLOW_UP_UNCLEAR),
        ("faq", FOLLOW_UP_QUESTION),
        ("out_of_scope", FOLLOW_UP_UNCLEAR),
        ("nlu_fallback", FOLLOW_UP_UNCLEAR),
    ],
)
def test_the_turn_after_a_crisis_answers_the_safety_question(intent, expected):
    state = tracker(*CRISIS_TURN, user(intent))
    assert last_bot_action(state) == CRISIS_RECORD_ACTION
    assert next_crisis_action(state) == expected
    state.update(ActionExecuted(expected))
    if expected == FOLLOW_UP_QUESTION:
        # A question: the safety line first, then its answer.
        assert next_crisis_action(state) == "action_answer_faq"
        state.update(ActionExecuted("action_answer_faq"))
    # ...and then listens.
    assert next_crisis_action(state) == ACTION_LISTEN_NAME


def test_a_new_crisis_in_the_follow_up_turn_gets_the_crisis_response():
    assert next_crisis_action(tracker(*CRISIS_TURN, user("crisis"))) == CRISIS_RESPONSE


def test_the_follow_up_also_works_when_the_recording_action_did_not_run():
    # The action server was down: the response was still sent.
    state = tracker(user("crisis"), ActionExecuted(CRISIS_RESPONSE),
                    ActionExecuted(ACTION_LISTEN_NAME), user("deny"))
    assert next_crisis_action(state) == FOLLOW_UP_UNSAFE


def test_continue_then_safe_resumes_the_intake():
    state = tracker(*CRISIS_TURN, user("start_intake"), ActionExecuted(FOLLOW_UP_CONTINUE),
                    ActionExecuted(ACTION_LISTEN_NAME), user("confirm_safe"))
    assert next_crisis_action(state) == FOLLOW_UP_SAFE_CONTINUE
    state.update(ActionExecuted(FOLLOW_UP_SAFE_CONTINUE))
    assert next_crisis_action(state) == INTAKE_FORM
    state.update(ActionExecuted(INTAKE_FORM))
    assert next_crisis_action(state) is None  # the form takes over


@pytest.mark.parametrize(
    "previous,intent,expected",
    [
        # Asked twice: anything but yes/no/continue goes on normally.
        (FOLLOW_UP_UNCLEAR, "greet", None),
        (FOLLOW_UP_UNCLEAR, "deny", (FOLLOW_UP_UNSAFE, ACTION_LISTEN_NAME)),
        (FOLLOW_UP_UNCLEAR, "affirm", (FOLLOW_UP_SAFE, ACTION_LISTEN_NAME)),
        # "No" again after the guidance: the guidance again.
        (FOLLOW_UP_UNSAFE, "deny", (FOLLOW_UP_UNSAFE, ACTION_LISTEN_NAME)),
        (FOLLOW_UP_UNSAFE, "confirm_safe", (FOLLOW_UP_SAFE, ACTION_LISTEN_NAME)),
        (FOLLOW_UP_UNSAFE, "faq", None),
        (FOLLOW_UP_CONTINUE, "deny", (FOLLOW_UP_UNSAFE, ACTION_LISTEN_NAME)),
        (FOLLOW_UP_CONTINUE, "greet", None),
        # After an acknowledged "safe", or with no crisis at all, nothing special.
        (FOLLOW_UP_SAFE, "deny", None),
        ("utter_greet", "affirm", None),
        (None, "affirm", None),
        (CRISIS_RESPONSE, "crisis", None),
        # Asking to delete one's data is answered, even right after a crisis response.
        (CRISIS_RECORD_ACTION, "delete_my_data", None),
        # So is asking for a person (the handoff names the crisis lines too).
        (CRISIS_RECORD_ACTION, "talk_to_human", None),
        (FOLLOW_UP_UNCLEAR, "talk_to_human", None),
    ],
)
def test_follow_up_plan(previous, intent, expected):
    assert follow_up_plan(previous, intent) == expected


def test_last_bot_action_skips_listen_and_slot_extraction():
    state = tracker(user("greet"), ActionExecuted("utter_greet"),
                    ActionExecuted(ACTION_LISTEN_NAME), user("affirm"),
                    ActionExecuted("action_extract_slots"))
    assert last_bot_action(state) == "utter_greet"
    assert last_bot_action(tracker(user("greet"))) is None


def test_an_unsure_yes_is_asked_again_not_taken_as_safe():
    unsure = UserUttered(text="hmm", intent={"name": "affirm", "confidence": 0.55})
    state = tracker(*CRISIS_TURN, unsure)
    assert next_crisis_action(state) == FOLLOW_UP_UNCLEAR
    sure = UserUttered(text="yes", intent={"name": "affirm", "confidence": 0.97})
    assert next_crisis_action(tracker(*CRISIS_TURN, sure)) == FOLLOW_UP_SAFE


def flagged_reply(text: str, layer: str, rule: str | None) -> UserUttered:
    """A reply the safety net flagged as crisis, with its decision in the parse data."""
    decision = {"fired": True, "tier": "acute", "layer": layer, "rule": rule, "category": "self"}
    return UserUttered(text=text, intent={"name": "crisis", "confidence": 1.0},
                       parse_data={"crisis_safety_net": decision})


REASSURANCE = ("Oh, please don't worry, I am not going to do anything foolish. I have the cat "
               "to feed and my daughter to think of.")


@pytest.mark.parametrize("layer", ["risk_classifier", "classifier"])
def test_a_plain_reassurance_read_as_risk_by_a_classifier_is_taken_as_safe(layer: str):
    state = tracker(*CRISIS_TURN, flagged_reply(REASSURANCE, layer, None))
    assert next_crisis_action(state) == FOLLOW_UP_SAFE


@pytest.mark.parametrize(
    ("text", "layer", "rule", "turns"),
    [
        # A curated rule matched: the crisis response again, whatever else it says.
        (REASSURANCE, "patterns", "self_harm_plan", CRISIS_TURN),
        (REASSURANCE, "risk_classifier", "self_harm_plan", CRISIS_TURN),
        # A word of doubt beside the reassurance.
        ("i'm safe but not for long", "risk_classifier", None, CRISIS_TURN),
        ("i won't do anything tonight", "risk_classifier", None, CRISIS_TURN),
        # No safety question was open: a reassurance out of the blue is not excused.
        (REASSURANCE, "risk_classifier", None, ()),
    ],
)
def test_reassurances_never_excuse_a_rule_a_doubt_or_a_fresh_crisis(text, layer, rule, turns):
    state = tracker(*turns, flagged_reply(text, layer, rule))
    assert next_crisis_action(state) == CRISIS_RESPONSE

