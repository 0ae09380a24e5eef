"""Small talk: action_give_example with real rasa_sdk trackers and dispatchers, the example
responses (one per topic key, in our own words), the rendered welcome-back and check-in
responses, and the NLU data and rules that lead to them."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionGiveExample, current_topic
from scripts.content_report import find_seed_dir, grade, seed_text, shared_runs
from secure_base.importer import render_profile_responses, with_safety_lines
from secure_base.profile import load_profile
from secure_base.topics import TOPIC_KEYS

ROOT = Path(__file__).resolve().parent.parent
RESPONSES_DIR = ROOT / "data" / "responses"


def _static_responses() -> Dict[str, List[Dict[str, Any]]]:
    responses: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(RESPONSES_DIR.glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    return responses


def action_domain() -> Dict[str, Any]:
    """The domain as the action server gets it: domain.yml, data/responses, templates."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"] = {
        **domain.get("responses", {}),
        **_static_responses(),
        **render_profile_responses(load_profile()),
    }
    return domain


DOMAIN = action_domain()
UK_SPELLING = re.compile(r"\b(colour|behaviour|apologis|realis|organis|mum)\w*", re.I)
DIAGNOSIS = re.compile(r"\byou (have|are) (an? )?(anxious|avoidant|disorganized)", re.I)
# examples.yml holds most; topic groups added later keep theirs beside their answers.
EXAMPLES = {
    name: variations
    for name, variations in _static_responses().items()
    if name.startswith("utter_example_")
}


def user_event(text: str, intent: str, entities=(), faq_key: Optional[str] = None) -> dict:  # type: ignore[no-untyped-def]
    parse_data: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": list(entities),
    }
    if faq_key:
        parse_data["response_selector"] = {
            "faq": {"response": {"intent_response_key": f"faq/{faq_key}"}}
        }
    return {"event": "user", "text": text, "parse_data": parse_data}


def make_tracker(events: List[dict], slots: Optional[dict] = None) -> Tracker:
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="talk-1",
        slots={"topic": None, "last_topic": None, "intake_submission_id": None,
               **(slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, tracker: Tracker):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return [m.get("response") for m in dispatcher.messages], events


# ----------------------------------------------------------------------------- examples


def test_every_topic_key_has_exactly_one_example() -> None:
    assert set(EXAMPLES) == {f"utter_example_{key}" for key in TOPIC_KEYS}
    for name, variations in EXAMPLES.items():
        assert len(variations) == 1 and variations[0].get("text"), name


def test_examples_are_short_plain_and_new() -> None:
    more = _static_responses() | render_profile_responses(load_profile())
    for key in TOPIC_KEYS:
        text = EXAMPLES[f"utter_example_{key}"][0]["text"]
        sentences = [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z\"])", text) if s]
        assert 2 <= len(sentences) <= 5, (key, len(sentences))
        assert len(text.split()) <= 75, key
        assert grade(text) <= 9.0, (key, round(grade(text), 1))
        assert text not in more[f"utter_more_{key}"][0]["text"], key
        # US spelling, and no diagnosis of the reader.
        assert not UK_SPELLING.search(text), key
        assert not DIAGNOSIS.search(text), key


def test_examples_share_no_eight_word_run_with_the_seed() -> None:
    seed_dir = find_seed_dir()
    if seed_dir is None:
        pytest.skip("the practice's seed folder is not beside this checkout")
    seed = seed_text(seed_dir)
    texts = {n: v[0]["text"] for n, v in _static_responses().items()
             if n.startswith("utter_example_")}
    found = [(n, run_) for n, t in texts.items() for run_ in shared_runs(t, seed, 8)]
    assert found == []


def test_an_example_of_the_last_answered_topic() -> None:
    tracker = make_tracker([
        user_event("what is avoidant attachment", "faq", faq_key="avoidant_attachment"),
        {"event": "bot", "text": "..."},
        user_event("like what?", "ask_example"),
    ])
    responses, events = run(ActionGiveExample(), tracker)
    assert responses == ["utter_example_avoidant_attachment"]
    assert events == [SlotSet("last_topic", "avoidant_attachment")]


def test_a_topic_named_now_wins_over_the_last_answer() -> None:
    tracker = make_tracker([
        user_event("what is avoidant attachment", "faq", faq_key="avoidant_attachment"),
        user_event("give me an example of co-regulation", "ask_example",
                   entities=[{"entity": "topic", "value": "co_regulation"}]),
    ])
    assert run(ActionGiveExample(), tracker)[0] == ["utter_example_co_regulation"]


def test_the_last_topic_slot_when_no_faq_question_was_asked() -> None:
    tracker = make_tracker([user_event("like what?", "ask_example")],
                           slots={"last_topic": "secure_base"})
    assert run(ActionGiveExample(), tracker)[0] == ["utter_example_secure_base"]
    tracker = make_tracker([user_event("like what?", "ask_example")],
                           slots={"topic": "attunement"})
    assert current_topic(tracker) == "attunement"


def test_no_topic_yet_asks_which_one() -> None:
    tracker = make_tracker([user_event("can you give me an example", "ask_example")],
                           slots={"topic": "not_a_topic"})
    responses, events = run(ActionGiveExample(), tracker)
    assert responses == ["utter_ask_example_topic"]
    assert events == []
    assert "utter_ask_example_topic" in DOMAIN["responses"]


# ------------------------------------------------------------------------- welcome back


def test_welcome_back_about_an_intake_gives_the_practice_contact() -> None:
    profile = load_profile()
    text = DOMAIN["responses"]["utter_welcome_back_intake"][0]["text"]
    for value in (profile.practice.name, profile.contact.email, profile.contact.phone,
                  profile.contact.response_time):
        assert value in text


def test_distress_check_in_names_the_crisis_lines_once() -> None:
    profile = load_profile()
    rendered = render_profile_responses(profile)["utter_distress_check_in"]
    assert len(rendered) >= 2
    for variation in rendered:
        for line in profile.crisis.current().lines:
            assert variation["text"].count(line) == 1
    # It already carries the lines: the importer adds no reminder copies.
    assert with_safety_lines({"utter_distress_check_in": rendered}, profile)[
        "utter_distress_check_in"] == rendered


# ------------------------------------------------------------------------ NLU and rules


def _examples_by_intent() -> Dict[str, set]:
    found: Dict[str, set] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                texts = {re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", line.strip()[2:]).lower()
                         for line in block["examples"].splitlines() if line.strip()}
                found.setdefault(block["intent"], set()).update(texts)
    return found


def test_new_intents_share_no_example_with_another_intent() -> None:
    found = _examples_by_intent()
    new = ("ask_example", "nothing_else", "apologize", "greet_again", "greet_after_intake",
           "distress_emoji", "unclear_punctuation")
    for intent in new:
        assert len(found[intent]) >= 8 or intent in {"distress_emoji", "unclear_punctuation"}
        for other, texts in found.items():
            if other != intent:
                assert not found[intent] & texts, (intent, other, found[intent] & texts)


def test_no_welcome_back_starts_an_intake() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "core.yml").read_text(encoding="utf-8"))
    for rule in rules["rules"]:
        intents = [s["intent"] for s in rule["steps"] if "intent" in s]
        if {"greet_again", "greet_after_intake"} & set(intents):
            actions = [s.get("action") for s in rule["steps"] if "action" in s]
            assert all(a.startswith("utter_") for a in actions), rule["rule"]
            assert "intake_form" not in str(rule)


def test_each_new_intent_has_its_rule() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "core.yml").read_text(encoding="utf-8"))
    first = {}
    for rule in rules["rules"]:
        steps = rule["steps"]
        if "intent" in steps[0]:
            first[steps[0]["intent"]] = steps[1]["action"]
    assert first["ask_example"] == "action_give_example"
    assert first["greet_again"] == "utter_welcome_back"
    assert first["greet_after_intake"] == "utter_welcome_back_intake"
    assert first["nothing_else"] == "utter_closing"
    assert first["apologize"] == "utter_no_need_to_apologize"
    assert first["distress_emoji"] == "utter_distress_check_in"
    assert first["unclear_punctuation"] == "utter_take_your_time"
    assert first["thanks"] == "utter_thanks"
    for name in first.values():
        assert name in DOMAIN["responses"] or name in DOMAIN["actions"], name


def test_thanks_is_brief_and_varied() -> None:
    variations = DOMAIN["responses"]["utter_thanks"]
    assert len(variations) >= 3
    for variation in variations:
        assert len(variation["text"].split()) <= 15
        assert "anything else" not in variation["text"].lower()
