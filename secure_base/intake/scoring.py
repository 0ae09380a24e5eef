"""Scoring of the intake screening questionnaires (PHQ-2/PHQ-9, GAD-2/GAD-7, ASQ).

Everything here is arithmetic for staff: the person is never told a score or what it
might mean. Answers are the standard response options, scored 0-3:

    Not at all = 0, Several days = 1, More than half the days = 2, Nearly every day = 3

PHQ-2 and GAD-2 are the first two items of PHQ-9 and GAD-7. A PHQ-2 (or GAD-2) total of
3 or more extends the screen to the full PHQ-9 (or GAD-7). The ASQ (Ask Suicide-Screening
Questions, NIMH) asks four yes/no questions; any "yes", or a PHQ-9 item 9 answer above
0, leads to the acuity question (ASQ 5), and "yes" to that is an acute positive screen.

Instrument attribution (shown to the person before the questions):
PHQ-9/GAD-7: Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and
colleagues, with an educational grant from Pfizer Inc. No permission required to
reproduce, translate, display or distribute.
ASQ: Ask Suicide-Screening Questions (ASQ) toolkit, National Institute of Mental Health
(NIMH).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

PHQ_SLOTS = tuple(f"phq_{i}" for i in range(1, 10))
GAD_SLOTS = tuple(f"gad_{i}" for i in range(1, 8))
ASQ_SCREEN_SLOTS = tuple(f"asq_{i}" for i in range(1, 5))
ASQ_ACUITY_SLOT = "asq_5"
ASQ_SLOTS = ASQ_SCREEN_SLOTS + (ASQ_ACUITY_SLOT,)
SCREENING_SLOTS = PHQ_SLOTS + GAD_SLOTS + ASQ_SLOTS

# The short screens are extended to the full questionnaire from this total on.
SHORT_SCREEN_THRESHOLD = 3
SELF_HARM_ITEM = "phq_9"

# The four standard answers, in score order.
FREQUENCY_LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

# Accepted spellings of each answer (compared after normalisation, see _norm).
_FREQUENCY_WORDS: dict[str, int] = {
    "not at all": 0,
    "zero": 0,
    "none": 0,
    "several days": 1,
    "one": 1,
    "more than half the days": 2,
    "more than half of the days": 2,
    "more than half": 2,
    "two": 2,
    "nearly every day": 3,
    "nearly everyday": 3,
    "almost every day": 3,
    "three": 3,
}


def frequency_payload(score: int) -> str:
    """Return the button payload of an answer: ``"0 - Not at all"``.

    The score comes first so that the NLU reads the payload as a plain answer (a bare
    "Not at all" can look like a crisis message to a classifier); the validator accepts
    it like the label itself.
    """
    return f"{score} - {FREQUENCY_LABELS[score]}"


@dataclass(frozen=True)
class ScreeningScores:
    """Scores of one completed screening, for the clear (sortable) columns.

    Attributes:
        phq2: Sum of PHQ items 1-2.
        phq9: Sum of PHQ items 1-9, or ``None`` when the screen was not extended.
        gad2: Sum of GAD items 1-2.
        gad7: Sum of GAD items 1-7, or ``None`` when the screen was not extended.
        asq_positive: Any "yes" to ASQ 1-4 (or to the acuity question).
        asq_acute: "Yes" to ASQ 5 (thoughts of killing oneself right now).

    """

    phq2: Optional[int]
    phq9: Optional[int]
    gad2: Optional[int]
    gad7: Optional[int]
    asq_positive: bool
    asq_acute: bool


def _norm(text: str) -> str:
    text = text.strip().lower()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def parse_frequency(text: Any) -> Optional[int]:
    """Score (0-3) an answer to a PHQ or GAD item; ``None`` if unclear.

    Accepts the four standard answers (any case and punctuation), a digit 0-3, both
    together ("0 - Not at all", the button payloads) and a few close spellings
    ("almost every day", "more than half"). Free descriptions
    ("sometimes", "a lot") are not guessed at: the person is asked to choose.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= 3 else None
    if not isinstance(text, str):
        return None
    norm = _norm(text)
    if norm in {"0", "1", "2", "3"}:
        return int(norm)
    if norm in _FREQUENCY_WORDS:
        return _FREQUENCY_WORDS[norm]
    # A score and a label together ("0 - Not at all", "Not at all (0)") must agree.
    match = re.fullmatch(r"([0-3]) (.+)|(.+) ([0-3])", norm)
    if match:
        digit = match.group(1) or match.group(4)
        label = match.group(2) or match.group(3)
        if _FREQUENCY_WORDS.get(label) == int(digit):
            return int(digit)
    return None


def item_score(value: Any) -> Optional[int]:
    """Return a stored (validated) item score, or ``None`` if missing or not validated."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= 3 else None


def _sum(slots: Mapping[str, Any], names: Sequence[str]) -> Optional[int]:
    scores = [item_score(slots.get(name)) for name in names]
    if any(score is None for score in scores):
        return None
    return sum(scores)  # type: ignore[arg-type]


def phq2_score(slots: Mapping[str, Any]) -> Optional[int]:
    """PHQ-2 total, or ``None`` until both items are answered."""
    return _sum(slots, PHQ_SLOTS[:2])


def phq9_score(slots: Mapping[str, Any]) -> Optional[int]:
    """PHQ-9 total, or ``None`` unless all nine items are answered."""
    return _sum(slots, PHQ_SLOTS)


def gad2_score(slots: Mapping[str, Any]) -> Optional[int]:
    """GAD-2 total, or ``None`` until both items are answered."""
    return _sum(slots, GAD_SLOTS[:2])


def gad7_score(slots: Mapping[str, Any]) -> Optional[int]:
    """GAD-7 total, or ``None`` unless all seven items are answered."""
    return _sum(slots, GAD_SLOTS)


def phq_extension_needed(slots: Mapping[str, Any]) -> Optional[bool]:
    """Whether PHQ items 3-9 are asked; ``None`` while the PHQ-2 is incomplete."""
    total = phq2_score(slots)
    return None if total is None else total >= SHORT_SCREEN_THRESHOLD


def gad_extension_needed(slots: Mapping[str, Any]) -> Optional[bool]:
    """Whether GAD items 3-7 are asked; ``None`` while the GAD-2 is incomplete."""
    total = gad2_score(slots)
    return None if total is None else total >= SHORT_SCREEN_THRESHOLD


def asq_answer(value: Any) -> Optional[bool]:
    """Return a stored ASQ answer: ``True`` for yes, ``False`` for no, else ``None``."""
    return value if isinstance(value, bool) else None


def acuity_question_needed(slots: Mapping[str, Any]) -> Optional[bool]:
    """Whether ASQ 5 is asked; ``None`` while that cannot be decided yet.

    Any "yes" to ASQ 1-4, or a PHQ-9 item 9 (self-harm thoughts) answer above 0, leads
    to the acuity question.
    """
    answers = [asq_answer(slots.get(name)) for name in ASQ_SCREEN_SLOTS]
    self_harm = item_score(slots.get(SELF_HARM_ITEM))
    if any(answer is True for answer in answers) or (self_harm or 0) > 0:
        return True
    if any(answer is None for answer in answers):
        return None
    return False


def score_screening(slots: Mapping[str, Any]) -> ScreeningScores:
    """All scores of a screening from validated slot values.

    PHQ-9 and GAD-7 totals are only given when the screen was extended (all items
    answered); otherwise only the short-screen totals are.
    """
    answers = [asq_answer(slots.get(name)) for name in ASQ_SLOTS]
    acute = asq_answer(slots.get(ASQ_ACUITY_SLOT)) is True
    return ScreeningScores(
        phq2=phq2_score(slots),
        phq9=phq9_score(slots),
        gad2=gad2_score(slots),
        gad7=gad7_score(slots),
        asq_positive=any(answer is True for answer in answers),
        asq_acute=acute,
    )
