"""The risk classifier's tiers, long-message handling, training data and component."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from secure_base.nlu.risk_classifier import (
    ACUTE,
    LABEL_OF_CATEGORY,
    MENTION,
    NO_RISK,
    RISK_DEFAULTS,
    RiskClassifier,
    assess,
    load_labelled_messages,
    split_pieces,
)

ROOT = Path(__file__).resolve().parents[1]
RISK_DATA = ROOT / "data" / "crisis_risk"
BLIND = ROOT / "tests" / "heldout" / "crisis_blind"


def probabilities(**given: float) -> dict[str, float]:
    """Six-label probabilities; what is not given shares the rest equally."""
    labels = ("self", "harm_from_others", "harm_to_others", "medical_emergency", "mention",
              "none")
    rest = (1.0 - sum(given.values())) / (len(labels) - len(given))
    return {label: given.get(label, rest) for label in labels}


# ------------------------------------------------------------------------------ tiers


def test_a_likely_risk_is_acute_with_its_category():
    result = assess(probabilities(harm_from_others=0.7, none=0.2), [], RISK_DEFAULTS)
    assert result.tier == ACUTE
    assert result.category == "harm_from_others"
    assert not result.from_piece


def test_risk_is_summed_over_categories():
    # No single category reaches 0.5, but together the risk categories do.
    result = assess(probabilities(self=0.3, medical_emergency=0.25, none=0.4), [],
                    RISK_DEFAULTS)
    assert result.tier == ACUTE
    assert result.category == "self"


def test_a_mention_is_a_mention_not_a_crisis():
    result = assess(probabilities(mention=0.8, self=0.1, none=0.06), [], RISK_DEFAULTS)
    assert result.tier == MENTION
    assert result.category is None


def test_a_possible_risk_below_the_threshold_gets_the_check_in():
    result = assess(probabilities(self=0.3, none=0.6), [], RISK_DEFAULTS)
    assert result.tier == MENTION


def test_nothing_is_nothing():
    result = assess(probabilities(none=0.95), [], RISK_DEFAULTS)
    assert result.tier == NO_RISK


def test_one_risky_sentence_makes_a_long_message_acute():
    whole = probabilities(none=0.7, self=0.1, mention=0.05)
    pieces = [probabilities(none=0.97), probabilities(self=0.97, none=0.01)]
    result = assess(whole, pieces, RISK_DEFAULTS)
    assert result.tier == ACUTE
    assert result.from_piece
    assert result.category == "self"
    assert result.piece_risk == pytest.approx(0.97 + 3 * (0.02 / 4), abs=1e-6)


def test_a_risky_sentence_inside_a_clear_mention_stays_a_mention():
    # "My essay is about a character who ... says she wants to die."
    whole = probabilities(mention=0.7, none=0.2)
    pieces = [probabilities(self=0.97, none=0.01)]
    assert assess(whole, pieces, RISK_DEFAULTS).tier == MENTION


def test_thresholds_come_from_the_config():
    config = {**RISK_DEFAULTS, "acute_threshold": 0.8}
    assert assess(probabilities(self=0.7, none=0.2), [], config).tier == MENTION


def test_the_assessment_holds_numbers_only():
    data = assess(probabilities(self=0.9), [], RISK_DEFAULTS).as_dict()
    assert set(data) == {"tier", "category", "risk", "mention", "piece_risk", "from_piece"}
    assert all(not isinstance(v, str) or v in {ACUTE, "self"} for v in data.values())


# ----------------------------------------------------------------------- long messages


def test_short_messages_are_judged_whole_only():
    assert split_pieces("i can't do this anymore. bye.", 20, 3) == []


def test_long_messages_are_split_into_sentences():
    text = ("So I read your post about avoidant attachment and it made a lot of sense to me, "
            "especially the bit about pulling away. My partner does that too! Anyway. "
            "I have been looking at the pills on my nightstand every night this week")
    pieces = split_pieces(text, 20, 3)
    assert pieces[-1] == "I have been looking at the pills on my nightstand every night this week"
    assert "Anyway." not in pieces  # too short to judge alone
    assert len(pieces) == 3


def test_newlines_and_semicolons_split_too():
    text = ("thanks for the article on secure base it was really good and i shared it\n"
            "my sister liked it as well; i gave my cat to the neighbour today and wrote "
            "some letters")
    assert len(split_pieces(text, 20, 3)) == 3


# ----------------------------------------------------------------------- training data


def test_every_author_file_loads_with_known_categories():
    pairs = load_labelled_messages(RISK_DATA)
    labels = {label for _, label in pairs}
    assert labels == set(LABEL_OF_CATEGORY.values())
    authors = sorted(RISK_DATA.glob("*.yml"))
    assert len(authors) >= 6  # several independent voices
    assert len(pairs) >= 1400


def test_malformed_data_is_rejected(tmp_path):
    (tmp_path / "a.yml").write_text(yaml.safe_dump(
        {"messages": [{"text": "hi", "category": "sad"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown category"):
        load_labelled_messages(tmp_path)
    (tmp_path / "a.yml").write_text("messages: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="non-empty"):
        load_labelled_messages(tmp_path)


def _shingles(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + 3]) for i in range(max(len(words) - 2, 1))}


def test_no_training_message_is_copied_from_a_blind_batch():
    """Training data and test batches were written apart; nothing may leak between them.

    Only this code reads the blind batches: nobody looks at their messages.
    """
    blind = []
    for path in sorted(BLIND.glob("*/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        blind += [_shingles(m["text"]) for m in data["messages"] if len(m["text"].split()) >= 6]
    leaks = 0
    candidates = RISK_DATA.parent / "crisis_risk_candidates"  # data not trained on yet
    written = load_labelled_messages(RISK_DATA)
    if candidates.is_dir():
        written += load_labelled_messages(candidates)
    for text, _ in written:
        if len(text.split()) < 6:
            continue
        mine = _shingles(text)
        if any(len(mine & other) / len(mine | other) > 0.6 for other in blind):
            leaks += 1
    assert leaks == 0


def test_the_data_change_changes_the_fingerprint(tmp_path):
    (tmp_path / "a.yml").write_text("messages: [{text: hi, category: everyday}]\n")
    before = RiskClassifier.fingerprint_addon({"data_dir": str(tmp_path)})
    (tmp_path / "a.yml").write_text("messages: [{text: hey, category: everyday}]\n")
    assert RiskClassifier.fingerprint_addon({"data_dir": str(tmp_path)}) != before
