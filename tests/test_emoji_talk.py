"""Emoji-, emoticon- and punctuation-only messages: the reading (secure_base/emoji_talk.py)
and the NLU component that applies it, run with the real FallbackClassifier and
CrisisSafetyNet after it, in the order of config.yml."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from secure_base.emoji_talk import (
    AGREEMENT,
    DISTRESS,
    INTENT_BY_KIND,
    KINDS,
    THANKS,
    UNCLEAR,
    classify,
    default_sets,
    intent_for,
    load_sets,
    strip_modifiers,
)
from secure_base.nlu.crisis_safety_net import SAFETY_NET_PROPERTY, CrisisSafetyNet
from secure_base.nlu.emoji_talk_classifier import EMOJI_TALK_PROPERTY, EmojiTalkClassifier
from tests.pipeline_parts import fallback_classifier, intent_ranking, options_in_config

ROOT = Path(__file__).resolve().parents[1]
COMPONENT = "secure_base.nlu.emoji_talk_classifier.EmojiTalkClassifier"


# ------------------------------------------------------------------------------ reading


@pytest.mark.parametrize(
    "text",
    ["😢", "😭😭😭", "💔", "😞", "😔", "🥺", "😰", "😩", "☹️", "☹", ":(", ":'(", ":(((",
     "T_T", "😢 ...", "🙂😢", "🙏💔"],
)
def test_distress_emoji_and_emoticons(text: str) -> None:
    assert classify(text) == DISTRESS


@pytest.mark.parametrize("text", ["🙏", "❤️", "❤", "🙂", "😊", "🥰", "<3", ":)", ":D", "🙏🙏"])
def test_warmth_reads_as_thanks(text: str) -> None:
    assert classify(text) == THANKS


@pytest.mark.parametrize("text", ["👍", "👍🏽", "👍🏿👍🏿", "👌", "✅", "✔️"])
def test_agreement_reads_as_ok_with_any_skin_tone(text: str) -> None:
    assert classify(text) == AGREEMENT


@pytest.mark.parametrize("text", ["...", "?", "??", "…", "!?", ".", "🤔", "😂", "🐶", " ? "])
def test_punctuation_and_other_emoji_are_unclear(text: str) -> None:
    assert classify(text) == UNCLEAR


@pytest.mark.parametrize(
    "text",
    ["", "   ", None, "hi", "ok 👍", "thanks 🙏", "sorry :(", "I'm sad 😢", "1", "?!a",
     "ok...", "¿qué?", "我很难过"],
)
def test_anything_with_words_is_left_to_the_classifiers(text: Any) -> None:
    assert classify(text) is None
    assert intent_for(text) is None


def test_thanks_and_agreement_map_to_the_existing_intents() -> None:
    assert intent_for("🙏") == "thanks"
    assert intent_for("👍") == "affirm"
    assert intent_for("😢") == "distress_emoji"
    assert intent_for("...") == "unclear_punctuation"
    assert set(INTENT_BY_KIND) == {*KINDS, UNCLEAR}


def test_the_data_file_holds_single_emoji_in_exactly_one_kind() -> None:
    sets = default_sets()
    for kind in KINDS:
        assert sets.emoji[kind], kind
        for other in KINDS:
            if other != kind:
                assert not sets.emoji[kind] & sets.emoji[other], (kind, other)
                assert not sets.emoticons[kind] & sets.emoticons[other], (kind, other)
    # The examples the brief names are all there.
    assert {strip_modifiers(e) for e in "😢😭💔😞😔🥺😰😩"} <= sets.emoji[DISTRESS]
    assert {"🙏", "🙂", "❤"} <= sets.emoji[THANKS]
    assert "👍" in sets.emoji[AGREEMENT]


def test_load_sets_rejects_an_entry_that_is_not_one_emoji(tmp_path: Path) -> None:
    data = {kind: {"emoji": ["🙂"], "emoticons": []} for kind in KINDS}
    data[DISTRESS]["emoji"] = ["😢😭"]
    path = tmp_path / "emoji.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="not one emoji"):
        load_sets(path)
    del data[DISTRESS]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="missing section"):
        load_sets(path)


def test_the_nlu_examples_of_the_emoji_intents_read_as_those_intents() -> None:
    """The examples exist for the classifier and validator; the reading must agree."""
    nlu = yaml.safe_load((ROOT / "data/nlu/conversation.yml").read_text(encoding="utf-8"))
    seen = set()
    for block in nlu["nlu"]:
        if block.get("intent") in {"distress_emoji", "unclear_punctuation"}:
            for line in block["examples"].splitlines():
                text = line.strip()[2:]
                assert intent_for(text) == block["intent"], text
                seen.add(block["intent"])
    assert seen == {"distress_emoji", "unclear_punctuation"}


# ---------------------------------------------------------------------------- component




@pytest.fixture(scope="module")
def spacy_parts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nlp = SpacyNLP.create(
            {**SpacyNLP.get_default_config(), "model": "en_core_web_sm"}, None, None, None
        )
    return nlp, nlp.provide()


@pytest.fixture(scope="module")
def pipeline_tail(spacy_parts):
    """The components from ours to the end, configured as in config.yml."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    start = names.index(COMPONENT)
    assert names[start + 1] == "FallbackClassifier"
    fallback = fallback_classifier()
    net_config = {**CrisisSafetyNet.get_default_config(),
                  **options_in_config(names[-1])}
    nlp, model = spacy_parts

    def run(text: str, ranking: List[Dict[str, Any]]) -> Message:
        message = Message(data={TEXT: text})
        nlp.process([message], model)
        # The way the intent classifier leaves a message.
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        EmojiTalkClassifier.create({}, None, None, None).process([message])
        fallback.process([message])
        # (The risk classifier needs a trained model; the safety net runs without it.)
        CrisisSafetyNet.create(net_config, None, None, None).process([message])
        return message

    return run


def test_registered_as_an_untrained_intent_classifier_before_the_fallback() -> None:
    registered = DefaultV1Recipe._from_registry(COMPONENT)
    assert registered.clazz is EmojiTalkClassifier
    assert registered.types == {DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER}
    assert registered.is_trainable is False
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    at = names.index(COMPONENT)
    assert names[at + 1] == "FallbackClassifier"
    assert names.index("secure_base.nlu.linear_classifiers.LinearIntentClassifier") < at
    assert names[-1] == "secure_base.nlu.crisis_safety_net.CrisisSafetyNet"


def test_a_distress_emoji_gets_the_check_in_intent_not_a_fallback(pipeline_tail) -> None:
    message = pipeline_tail("😢", intent_ranking(("faq", 0.2), ("greet", 0.15), ("crisis", 0.1)))
    assert message.get(INTENT) == {INTENT_NAME_KEY: "distress_emoji",
                                   PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = message.get(INTENT_RANKING_KEY)
    assert [e[INTENT_NAME_KEY] for e in ranking] == ["distress_emoji", "faq", "greet", "crisis"]
    assert message.get(EMOJI_TALK_PROPERTY) == {"kind": DISTRESS, "intent": "distress_emoji"}
    assert not (message.get(SAFETY_NET_PROPERTY) or {}).get("fired")


@pytest.mark.parametrize(
    "text,intent",
    [("🙏", "thanks"), ("👍", "affirm"), ("...", "unclear_punctuation"),
     ("?", "unclear_punctuation"), (":(", "distress_emoji")],
)
def test_each_kind_wins_over_a_low_confidence_guess(pipeline_tail, text, intent) -> None:
    message = pipeline_tail(text, intent_ranking(("out_of_scope", 0.25), ("faq", 0.2)))
    assert message.get(INTENT)[INTENT_NAME_KEY] == intent


def test_a_crisis_ranked_high_still_fires_the_safety_net(pipeline_tail) -> None:
    # The classifier's crisis score stays in the ranking, so the safety net still sees it.
    message = pipeline_tail("😭", intent_ranking(("sad_guess", 0.35), ("crisis", 0.6)))
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis"
    assert message.get(SAFETY_NET_PROPERTY)["fired"] is True


def test_a_crisis_top_intent_is_left_alone(pipeline_tail) -> None:
    message = pipeline_tail("💔", intent_ranking(("crisis", 0.45), ("faq", 0.2)))
    assert message.get(EMOJI_TALK_PROPERTY) is None
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis"
    assert message.get(SAFETY_NET_PROPERTY)["fired"] is True


def test_messages_with_words_are_untouched(pipeline_tail) -> None:
    message = pipeline_tail("thanks 🙏", intent_ranking(("thanks", 0.9), ("affirm", 0.05)))
    assert message.get(EMOJI_TALK_PROPERTY) is None
    assert message.get(INTENT) == {INTENT_NAME_KEY: "thanks", PREDICTED_CONFIDENCE_KEY: 0.9}
