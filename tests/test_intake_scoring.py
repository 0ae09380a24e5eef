"""PHQ-2/PHQ-9, GAD-2/GAD-7 and ASQ scoring (secure_base.intake.scoring)."""

from __future__ import annotations

import pytest

from secure_base.intake import scoring
from secure_base.intake.scoring import (
    FREQUENCY_LABELS,
    acuity_question_needed,
    frequency_payload,
    gad_extension_needed,
    parse_frequency,
    phq_extension_needed,
    score_screening,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not at all", 0),
        ("several days", 1),
        ("More than half the days", 2),
        ("Nearly every day", 3),
        ("nearly every day.", 3),
        ("almost every day", 3),
        ("0", 0),
        (" 3 ", 3),
        ("two", 2),
        ("4", None),
        ("sometimes", None),
        ("", None),
        (True, None),
        (2, 2),
    ],
)
def test_frequency_answers(text: object, expected: int | None) -> None:
    assert parse_frequency(text) == expected


def test_labels_score_in_order() -> None:
    assert [parse_frequency(label) for label in FREQUENCY_LABELS] == [0, 1, 2, 3]


def test_button_payloads_carry_the_score() -> None:
    assert frequency_payload(0) == "0 - Not at all"
    assert [parse_frequency(frequency_payload(i)) for i in range(4)] == [0, 1, 2, 3]
    assert parse_frequency("Nearly every day (3)") == 3
    assert parse_frequency("2 - Not at all") is None  # score and label disagree


def test_rendered_buttons_use_the_payloads() -> None:
    from secure_base.importer import render_profile_responses
    from secure_base.profile import load_profile

    responses = render_profile_responses(load_profile())
    for name in [f"utter_ask_phq_{i}" for i in range(1, 10)] + [
        f"utter_ask_gad_{i}" for i in range(1, 8)
    ]:
        buttons = responses[name][0]["buttons"]
        assert [b["title"] for b in buttons] == list(FREQUENCY_LABELS)
        assert [b["payload"] for b in buttons] == [frequency_payload(i) for i in range(4)]


def answers(phq=(), gad=(), asq=()) -> dict:
    slots: dict = {}
    slots.update({f"phq_{i}": v for i, v in enumerate(phq, start=1)})
    slots.update({f"gad_{i}": v for i, v in enumerate(gad, start=1)})
    slots.update({f"asq_{i}": v for i, v in enumerate(asq, start=1)})
    return slots


def test_short_screens_extend_from_three() -> None:
    assert phq_extension_needed(answers(phq=(1,))) is None  # not decided yet
    assert phq_extension_needed(answers(phq=(1, 1))) is False
    assert phq_extension_needed(answers(phq=(1, 2))) is True
    assert gad_extension_needed(answers(gad=(0, 2))) is False
    assert gad_extension_needed(answers(gad=(3, 0))) is True
    # Raw (unvalidated) text never decides anything.
    assert phq_extension_needed({"phq_1": "3", "phq_2": "3"}) is None


def test_full_scores_only_when_extended() -> None:
    short = score_screening(answers(phq=(1, 1), gad=(0, 1), asq=(False,) * 4))
    assert (short.phq2, short.phq9, short.gad2, short.gad7) == (2, None, 1, None)
    assert short.asq_positive is False and short.asq_acute is False

    full = score_screening(
        answers(phq=(2, 2, 1, 1, 0, 3, 2, 1, 0), gad=(3, 3, 2, 2, 1, 1, 0), asq=(False,) * 4)
    )
    assert (full.phq2, full.phq9, full.gad2, full.gad7) == (4, 12, 6, 12)


def test_acuity_question() -> None:
    assert acuity_question_needed(answers(asq=(False, False))) is None
    assert acuity_question_needed(answers(asq=(False,) * 4)) is False
    assert acuity_question_needed(answers(asq=(False, True))) is True
    # PHQ-9 item 9 above 0 leads there too, whatever the ASQ answers.
    self_harm = answers(phq=(2, 2, 0, 0, 0, 0, 0, 0, 1), asq=(False,) * 4)
    assert acuity_question_needed(self_harm) is True
    acute = score_screening(
        {**answers(asq=(True, False, False, False)), scoring.ASQ_ACUITY_SLOT: True}
    )
    assert acute.asq_positive and acute.asq_acute
