"""Answer or ask (secure_base/faq_choice.py): thresholds, named topics, payloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_base.faq_choice import (
    SETTINGS,
    Choice,
    ClarifySettings,
    choose,
    faq_ranking,
    load_settings,
    title,
)
from secure_base.topics import TOPIC_KEYS

STRICT = ClarifySettings(min_confidence=0.4, min_margin=0.1)


def selector(*ranked: tuple[str, float]) -> dict:
    top_key, top = ranked[0]
    return {
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": f"faq/{top_key}", "confidence": top},
                "ranking": [
                    {"id": i, "intent_response_key": f"faq/{k}", "confidence": c}
                    for i, (k, c) in enumerate(ranked)
                ],
            },
        }
    }


def test_ranking_is_read_from_rasas_response_selector_output() -> None:
    parse = selector(("secure_base", 0.7), ("attunement", 0.2))
    assert faq_ranking(parse) == [("secure_base", 0.7), ("attunement", 0.2)]
    assert faq_ranking({}) == []
    # Only a prediction, no ranking (older output): trusted as it stands.
    only = {"response_selector": {"faq": {"response": {"intent_response_key": "faq/consistency"}}}}
    assert faq_ranking(only) == [("consistency", 1.0)]


def test_a_clear_winner_is_answered() -> None:
    assert choose([("secure_base", 0.8), ("attunement", 0.1)], settings=STRICT).key == "secure_base"


@pytest.mark.parametrize(
    "ranking",
    [
        [("secure_base", 0.35), ("attunement", 0.1)],  # weak
        [("secure_base", 0.5), ("attunement", 0.45)],  # close
    ],
)
def test_unsure_asks_between_the_two_likeliest(ranking) -> None:  # type: ignore[no-untyped-def]
    choice = choose(ranking + [("consistency", 0.05)], settings=STRICT)
    assert choice.key is None
    assert choice.options == ("secure_base", "attunement")


def test_a_named_topic_settles_a_close_call() -> None:
    ranking = [("anxious_attachment", 0.45), ("avoidant_attachment", 0.42)]
    assert choose(ranking, ["avoidant_attachment"], STRICT).key == "avoidant_attachment"
    # A named topic outside the two likeliest does not override the ranking.
    assert choose(ranking, ["consistency"], STRICT).key is None


def test_nothing_ranked_uses_a_named_topic_or_asks() -> None:
    assert choose([], ["co_regulation"], STRICT).key == "co_regulation"
    assert choose([], [], STRICT).key is None


def test_settings_file_is_complete() -> None:
    assert 0 < SETTINGS.min_confidence < 1 and 0 < SETTINGS.min_margin < 1
    assert set(SETTINGS.titles) == set(TOPIC_KEYS)
    assert all(len(title(key)) <= 40 for key in TOPIC_KEYS)


def test_settings_reject_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "faq_choice.yml"
    titles = "\n".join(f"  {k}: x" for k in TOPIC_KEYS)
    path.write_text(f"clarify:\n  min_confidence: 1.5\n  min_margin: 0.1\ntitles:\n{titles}\n")
    with pytest.raises(ValueError, match="min_confidence"):
        load_settings(path)
    path.write_text("clarify:\n  min_confidence: 0.4\n  min_margin: 0.1\ntitles:\n  x: y\n")
    with pytest.raises(ValueError, match="titles"):
        load_settings(path)


@pytest.mark.parametrize(
    "text",
    ["can you tell me about boundaries", "what about the boundaries thing",
     "my daughter says I should learn about boundaries"],
)
def test_an_unsettled_ambiguous_word_asks_even_when_the_picker_is_sure(text: str) -> None:
    ranking = [("boundaries_without_guilt", 0.9), ("therapy_boundaries", 0.05)]
    assert choose(ranking, text=text) == Choice(
        None, ("boundaries_without_guilt", "therapy_boundaries")
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [("how do I set boundaries with my mom without guilt", "boundaries_without_guilt"),
     ("what boundaries does my therapist keep", "therapy_boundaries")],
)
def test_a_settling_word_or_the_topic_under_discussion_answers(text: str, key: str) -> None:
    ranking = [(key, 0.9), ("self_worth", 0.05)]
    assert choose(ranking, text=text) == Choice(key)
    ranking = [("boundaries_without_guilt", 0.9), ("therapy_boundaries", 0.05)]
    assert choose(ranking, text="tell me about boundaries",
                  last_topic="boundaries_without_guilt") == Choice("boundaries_without_guilt")


def test_the_topic_under_discussion_settles_a_close_call() -> None:
    ranking = [("attunement", 0.30), ("internal_working_model", 0.28)]
    assert choose(ranking, text="why?") == Choice(None, ("attunement", "internal_working_model"))
    assert choose(ranking, text="why?", last_topic="internal_working_model") == Choice(
        "internal_working_model"
    )


@pytest.mark.parametrize(
    "text",
    ["tell me about the secure thing", "can u explain the secure stuff my prof mentions",
     "what is that secure idea everyone talks about"],
)
def test_a_vague_pointer_at_secure_asks_between_the_three_secure_topics(text: str) -> None:
    ranking = [("secure_attachment", 0.8), ("secure_base", 0.1)]
    assert choose(ranking, text=text) == Choice(
        None, ("secure_attachment", "secure_base", "earned_secure_attachment"))


@pytest.mark.parametrize(
    ("text", "key"),
    [("the secure thing you can earn later in life", "earned_secure_attachment"),
     ("the secure base thing therapists talk about", "secure_base"),
     ("what does secure attachment mean", "secure_attachment")],
)
def test_words_that_settle_which_secure_topic_answer_it(text: str, key: str) -> None:
    assert choose([(key, 0.8), ("self_worth", 0.1)], text=text) == Choice(key)


@pytest.mark.parametrize(
    "text",
    ["why do people end up like that tho",
     "Why is that? Why would a man keep others at arm's length when he plainly cares for them?"],
)
def test_a_follow_up_that_points_back_stays_on_the_topic(text: str) -> None:
    ranking = [("adult_relationship_patterns", 0.6), ("avoidant_attachment", 0.2)]
    assert choose(ranking, text=text, last_topic="avoidant_attachment") == Choice(
        "avoidant_attachment")
    # Without a topic under discussion, the ranking decides as usual.
    assert choose(ranking, text=text) == Choice("adult_relationship_patterns")
    # A topic named in the message wins.
    assert choose(ranking, ["self_worth"], text=text,
                  last_topic="avoidant_attachment") != Choice("avoidant_attachment")


@pytest.mark.parametrize(
    "text",
    ["ty!! also is it possible to change ur attachment style or am i just stuck like this",
     "why is it so hard to trust people"],
)
def test_a_question_of_its_own_is_not_a_pointer_back(text: str) -> None:
    ranking = [("can_attachment_change", 0.7), ("anxious_attachment", 0.2)]
    assert choose(ranking, text=text, last_topic="anxious_attachment") == Choice(
        "can_attachment_change")
