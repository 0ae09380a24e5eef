"""The training data and the held-out evaluation data stay apart, and complete."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml

from secure_base.importer import render_profile_responses
from secure_base.profile import load_profile
from secure_base.topics import COMPARE_PAIRS, TOPIC_KEYS

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
HELDOUT_DIR = ROOT / "tests" / "heldout"


def words(text: str) -> list[str]:
    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", text)
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).split()


def examples(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" in block:
            lines = str(block["examples"]).splitlines()
            found.setdefault(block["intent"], []).extend(
                line.strip()[2:] for line in lines if line.strip().startswith("- ")
            )
    return found


def merged(paths: list[Path]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for path in paths:
        for intent, texts in examples(path).items():
            result.setdefault(intent, []).extend(texts)
    return result


TRAIN = merged(sorted(NLU_DIR.glob("*.yml")))
HELDOUT = merged([p for p in sorted(HELDOUT_DIR.glob("*.yml"))
                  if p.name not in ("crisis.yml", "reading_requests.yml", "intake_messy.yml")])


def test_every_topic_key_has_enough_training_and_heldout_examples() -> None:
    for key in TOPIC_KEYS:
        assert len(TRAIN.get(f"faq/{key}", [])) >= 20, key
        assert len(HELDOUT.get(f"faq/{key}", [])) >= 5, key


def test_heldout_examples_are_not_copies_of_training_examples() -> None:
    train = [words(t) for texts in TRAIN.values() for t in texts]
    matcher = difflib.SequenceMatcher(None)
    for intent, texts in HELDOUT.items():
        for text in texts:
            held = words(text)
            matcher.set_seq2(held)  # the matcher indexes its second sequence once per text
            for other in train:
                # ratio() <= 2*min/(sum) <= quick_ratio(): cheap upper bounds skip most pairs
                # with the same verdict as the full comparison.
                if 2 * min(len(held), len(other)) < 0.9 * (len(held) + len(other)):
                    continue
                matcher.set_seq1(other)
                if matcher.quick_ratio() < 0.9:
                    continue
                ratio = matcher.ratio()
                assert ratio < 0.9, f"held-out {intent!r} {text!r} copies training {other}"


def test_every_topic_has_an_answer_and_a_deeper_answer() -> None:
    responses: dict = {}
    for path in (ROOT / "data" / "responses").glob("*.yml"):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    responses.update(render_profile_responses(load_profile()))
    for key in TOPIC_KEYS:
        assert f"utter_faq/{key}" in responses, key
        assert f"utter_more_{key}" in responses, key
    for first, second in COMPARE_PAIRS:
        assert f"utter_compare_{first}__{second}" in responses


def test_answers_are_50_to_120_words() -> None:
    responses: dict = {}
    for path in (ROOT / "data" / "responses").glob("faq_*.yml"):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    responses.update(render_profile_responses(load_profile()))
    for key in TOPIC_KEYS:
        text = responses[f"utter_faq/{key}"][0]["text"]
        assert 40 <= len(text.split()) <= 130, (key, len(text.split()))
