"""The feelings lexicon and detector (secure_base/feelings.py) and its responses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secure_base.feelings import GENERIC, LEXICON, detect_feeling, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = yaml.safe_load(
    (ROOT / "data" / "responses" / "follow_ups.yml").read_text(encoding="utf-8")
)["responses"]


@pytest.mark.parametrize(
    ("text", "feeling"),
    [
        ("I feel so lonely, why do I push people away", "lonely"),
        ("I'm scared of starting therapy", "scared"),
        ("i'm anxious my partner will leave me", "scared"),
        ("I'm so ashamed of how I act when I'm jealous", "ashamed"),
        ("honestly I'm furious with my mum and I don't know why", "angry"),
        ("I've been crying all week since the breakup", "sad"),
        ("I'm completely overwhelmed, what does co-regulation mean", "overwhelmed"),
        ("my partner left me and I feel rejected", "hurt"),
        ("I feel lost about what I even want", "confused"),
        ("I've been struggling with this for years", GENERIC),
        # Long first-person messages are personal throughout.
        (
            "every time someone gets close I pull away and then later I sit at home alone "
            "wondering why I did it again and whether I will ever be able to stop",
            "lonely",
        ),
    ],
)
def test_detects_feelings_said_about_oneself(text: str, feeling: str) -> None:
    found = detect_feeling(text)
    assert found is not None and found.name == feeling
    assert found.response == f"utter_acknowledge_{feeling}"


@pytest.mark.parametrize(
    "text",
    [
        "what is anxious attachment",  # a topic name, not a feeling
        "is anxious attachment the same as anxiety",
        "I'm not angry, just curious about boundaries",  # negated
        "is it normal to feel lonely in a relationship",  # a general question
        "why do people get angry in arguments",
        "how much does therapy cost",
        "/faq{\"topic\": \"attunement\"}",
        "",
    ],
)
def test_no_feeling_in_questions_and_topic_names(text: str) -> None:
    assert detect_feeling(text) is None


def test_the_most_frequent_feeling_wins_and_named_feelings_beat_generic() -> None:
    found = detect_feeling("I'm struggling. I feel sad and I'm crying, and I feel alone")
    assert found is not None and found.name == "sad"
    assert found.words == ("struggling", "sad", "crying", "alone")


def test_every_feeling_has_an_acknowledgement_with_variations() -> None:
    assert GENERIC in LEXICON
    for feeling in LEXICON:
        variations = RESPONSES.get(f"utter_acknowledge_{feeling}")
        assert variations, feeling
        for variation in variations:
            text = variation["text"].lower()
            # Reflect, never diagnose or promise.
            for word in ("diagnos", "disorder", "you have ", "will get better", "promise"):
                assert word not in text, (feeling, word)


def test_lexicon_rejects_a_malformed_group(tmp_path: Path) -> None:
    bad = tmp_path / "feelings.yml"
    bad.write_text("lonely: lonely\ngeneric: [struggling]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lonely"):
        load_lexicon(bad)
    bad.write_text("lonely: [lonely]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="generic"):
        load_lexicon(bad)


@pytest.mark.parametrize(
    "text",
    ["My husband died two years ago this March and the house is very quiet",
     "12 hour shift, we lost a patient around 4am and the family was screaming at us. I did "
     "everything right but still, I came home and locked myself in the bathroom for an hour",
     "a guy at my work killed himself last month and my son keeps asking about it",
     "My wife passed away in March after a long illness"],
)
def test_a_loss_is_met_as_a_loss(text: str) -> None:
    feeling = detect_feeling(text)
    assert feeling is not None and feeling.name == "loss"


@pytest.mark.parametrize("text", ["my phone died lol", "what is grief therapy like"])
def test_no_loss_in_a_dead_phone_or_a_question_about_grief(text: str) -> None:
    feeling = detect_feeling(text)
    assert feeling is None or feeling.name != "loss"
