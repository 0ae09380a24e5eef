"""ReadingRequestIntent: a request for reading split between faq and request_articles."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from secure_base.nlu.reading_request_intent import ReadingRequestIntent, merged_ranking
from tests.pipeline_parts import fallback_classifier, intent_ranking

ROOT = Path(__file__).resolve().parents[1]
COMPONENT = "secure_base.nlu.reading_request_intent.ReadingRequestIntent"






def _run(text: str, ranking: List[Dict[str, Any]]) -> Message:
    """Our component then the real FallbackClassifier, configured as in config.yml."""
    message = Message(data={TEXT: text})
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    ReadingRequestIntent.create({}, None, None, None).process([message])
    fallback_classifier().process([message])
    return message


def test_registered_before_the_fallback_after_the_classifiers() -> None:
    registered = DefaultV1Recipe._from_registry(COMPONENT)
    assert registered.clazz is ReadingRequestIntent and registered.is_trainable is False
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    at = names.index(COMPONENT)
    assert names.index("secure_base.nlu.linear_classifiers.LinearResponseSelector") < at
    assert at < names.index("FallbackClassifier")


def test_a_split_reading_request_no_longer_falls_back() -> None:
    ranking = intent_ranking(("request_articles", 0.44), ("faq", 0.39), ("greet", 0.1))
    # Without the component the real fallback reads the close pair as ambiguous.
    plain = Message(data={TEXT: "x"})
    plain.set(INTENT, dict(ranking[0]))
    plain.set(INTENT_RANKING_KEY, [dict(e) for e in ranking])
    fallback_classifier().process([plain])
    assert plain.get(INTENT)[INTENT_NAME_KEY] == "nlu_fallback"

    message = _run("send me a link about anxious attachment, my ex is like that", ranking)
    assert message.get(INTENT)[INTENT_NAME_KEY] == "request_articles"
    assert message.get(INTENT)[PREDICTED_CONFIDENCE_KEY] == pytest.approx(0.83)
    names = [e[INTENT_NAME_KEY] for e in message.get(INTENT_RANKING_KEY)]
    assert names[:2] == ["request_articles", "greet"]


def test_the_faq_reading_keeps_its_retrieval_name() -> None:
    ranking = intent_ranking(("faq", 0.4), ("request_articles", 0.38))
    message = Message(data={TEXT: "any writing on the idea of a secure base"})
    message.set(INTENT, {**ranking[0], "full_retrieval_intent_name": "faq/secure_base"})
    message.set(INTENT_RANKING_KEY, ranking)
    ReadingRequestIntent.create({}, None, None, None).process([message])
    assert message.get(INTENT) == {INTENT_NAME_KEY: "faq", PREDICTED_CONFIDENCE_KEY: 0.78,
                                   "full_retrieval_intent_name": "faq/secure_base"}


@pytest.mark.parametrize(
    "text,ranking",
    [
        # Not a reading request: the doubt between an answer and articles is real.
        ("what is anxious attachment", (("faq", 0.44), ("request_articles", 0.4))),
        # A reading request, but the doubt is with another intent.
        ("send me an article on boundaries", (("faq", 0.44), ("start_intake", 0.4))),
        ("send me something, I want to die", (("crisis", 0.44), ("request_articles", 0.4))),
    ],
)
def test_anything_else_is_left_to_the_fallback(text, ranking) -> None:
    message = _run(text, intent_ranking(*ranking))
    assert message.get(INTENT)[INTENT_NAME_KEY] == "nlu_fallback"


def test_merged_ranking_only_merges_the_two_best() -> None:
    assert merged_ranking(intent_ranking(("faq", 0.5))) is None
    three = intent_ranking(("faq", 0.4), ("greet", 0.3), ("request_articles", 0.2))
    assert merged_ranking(three) is None
    merged = merged_ranking(intent_ranking(("faq", 0.6), ("request_articles", 0.5)))
    assert merged == [{INTENT_NAME_KEY: "faq", PREDICTED_CONFIDENCE_KEY: 1.0}]
