"""The deterministic crisis rules (secure_base/crisis/rules.yml) on real en_core_web_sm docs.

Three ways a text reaches the rules are checked throughout:
* ``rasa``  - lower-cased text through en_core_web_sm without the parser, as Rasa's
  SpacyNLP makes it (the safety net's normal path);
* ``full``  - the original text through ``spacy.load("en_core_web_sm")``;
* ``blank`` - lower-cased text through a blank English tokenizer (the fallback path,
  no model, no lemmas).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

from secure_base.crisis import CrisisDetector, CrisisMatch, language
from secure_base.crisis import rules as R

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "heldout" / "crisis.yml"
CASES = ROOT / "tests" / "crisis_pattern_cases.yml"
TRAINING = ROOT / "data" / "nlu" / "crisis.yml"


@pytest.fixture(scope="module")
def nlp_full():
    import spacy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spacy.load("en_core_web_sm")


@pytest.fixture(scope="module")
def nlp_rasa():
    import spacy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spacy.load("en_core_web_sm", disable=["parser"])


@pytest.fixture(scope="module")
def detector(nlp_full) -> CrisisDetector:
    return CrisisDetector.from_nlp(nlp_full)


@pytest.fixture(scope="module")
def blank() -> CrisisDetector:
    return CrisisDetector.blank()


@pytest.fixture(scope="module")
def detect_all_ways(detector, blank, nlp_full, nlp_rasa):
    """Detects a text on all three paths; returns ``{path: CrisisMatch | None}``."""

    def run(text: str) -> Dict[str, Optional[CrisisMatch]]:
        return {
            "rasa": detector.detect(nlp_rasa(text.lower())),
            "full": detector.detect(nlp_full(text)),
            "blank": blank.detect_text(text.lower()),
        }

    return run


def _heldout() -> Dict[str, List[str]]:
    with HELDOUT.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _training_examples() -> List[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(TRAINING))
    return [example.get("text") for example in data.intent_examples]


# ------------------------------------------------------------------------------ the rules


def test_all_patterns_compile_and_pass_spacy_validation():
    import spacy

    CrisisDetector(spacy.blank("en"), validate=True)


def test_rules_are_documented_and_categorised():
    names = [rule.name for rule in R.ALL_RULES]
    assert len(names) == len(set(names))
    for rule in R.ALL_RULES:
        assert rule.category in R.CATEGORIES + (R.BENIGN,), rule.name
        assert rule.about.strip(), rule.name
        assert rule.patterns or rule.phrases, rule.name
    used = {rule.category for rule in R.RULES}
    assert used == set(R.CATEGORIES)


def test_rule_tables_are_read_as_written():
    """YAML words such as "off" and "no" stay text; a misspelt field is an error."""
    rules = {rule.name: rule for rule in R.ALL_RULES}
    assert {"off", "up"} <= set(rules["kill_self"].unless_followed_by)
    assert "no" in rules["cant_go_on"].followed_by
    with pytest.raises(ValueError, match="unknown field"):
        R._rule({"name": "x", "about": "y", "patterns": ["die"], "unless_folowed_by": ["a"]},
                R.SUICIDAL_IDEATION, "test.yml")
    with pytest.raises(ValueError, match="cannot have exceptions"):
        R._rule({"name": "x", "about": "y", "patterns": ["die"], "followed_by": ["a"]},
                R.BENIGN, "test.yml")


def test_every_rule_word_normalises_to_itself_without_a_tagger(blank):
    """Words the rules use are matched as typed on the blank (lemma-less) path."""
    vocabulary = sorted(w for w in language.vocabulary() if re.fullmatch(r"[a-z][a-z'-]*", w))
    assert len(vocabulary) > 500
    for word in vocabulary:
        doc = blank.nlp.make_doc(word)
        if len(doc) == 1:
            assert language.normalise(doc[0]) == word, word


def test_detect_does_not_modify_the_callers_doc(detector, nlp_rasa):
    doc = nlp_rasa("i'm going to kill myself")
    before = [(t.norm_, t.lemma_) for t in doc]
    assert detector.detect(doc) is not None
    assert [(t.norm_, t.lemma_) for t in doc] == before


def test_match_reports_rule_category_and_offsets_but_no_text(detector, nlp_full):
    text = "Sorry to bother you. I want to end it all tonight."
    match = detector.detect(nlp_full(text))
    assert match is not None
    assert match.category == R.SUICIDAL_IDEATION
    assert "end it all" in text[match.start_char : match.end_char].lower()
    assert match.as_dict() == {"rule": match.rule, "category": match.category}


# ------------------------------------------------------- explicit phrasings and spellings

SLANG_AND_MISSPELLINGS = [
    "kms",
    "im gonna kms",
    "i want to unalive myself",
    "unalive",
    "un-alive",
    "thinking about unaliving",
    "suicidal",
    "im so suicidal",
    "feeling sucidal",
    "suicidel thoughts",
    "wanna die",
    "i wana die",
    "i want 2 die",
    "i wnat to die",
    "end it all",
    "gonna end it all",
    "don't want to be here anymore",
    "dont want to be here anymore",
    "don’t want to be here anymore",
    "i dont wanna be here any more",
    "i want to kil myself",
    "kill my self",
    "killin myself tonight",
    "sewerslide",
    "i self harm",
    "selfharm",
    "self-harm again",
]


@pytest.mark.parametrize("text", SLANG_AND_MISSPELLINGS)
@pytest.mark.parametrize("casing", ["lower", "upper", "title"])
def test_slang_and_misspellings_fire_on_every_path(detect_all_ways, text, casing):
    cased = {"lower": text.lower(), "upper": text.upper(), "title": text.title()}[casing]
    results = detect_all_ways(cased)
    assert all(results.values()), results


CATEGORY_EXAMPLES = [
    ("I've been thinking about suicide a lot", R.SUICIDAL_IDEATION),
    ("honestly I wish I could go to sleep and never wake up", R.SUICIDAL_IDEATION),
    ("I keep cutting my thighs when things get bad", R.SELF_HARM),
    ("I burn myself with a lighter", R.SELF_HARM),
    ("I've saved up a month of my tablets", R.PLAN_OR_MEANS),
    ("I'm going to jump off the bridge", R.PLAN_OR_MEANS),
    ("my dad keeps a loaded gun and I know where", R.PLAN_OR_MEANS),
    ("everyone would be better off without me", R.BURDEN),
    ("I'm such a burden to my family", R.BURDEN),
    ("this is my last message", R.GOODBYE),
    ("I've written letters to my family", R.GOODBYE),
    ("my partner hits me", R.DANGER_FROM_OTHERS),
    ("someone is threatening me", R.DANGER_FROM_OTHERS),
    ("I'm not safe at home", R.DANGER_FROM_OTHERS),
    ("I'm being abused", R.ABUSE),
    ("I was sexually assaulted", R.ABUSE),
    ("my boyfriend hurts my little boy", R.ABUSE),
]


@pytest.mark.parametrize("text,category", CATEGORY_EXAMPLES)
def test_categories(detect_all_ways, text, category):
    results = detect_all_ways(text)
    assert all(m is not None and m.category == category for m in results.values()), results


# ----------------------------------------------------------- figures of speech stay quiet

BENIGN_IDIOMS = [
    "this homework is killing me",
    "I'm dying to know",
    "my feet are killing me",
    "I could kill for a coffee",
    "that joke killed",
    "I nearly died laughing",
    "dead tired",
    "I'd die of embarrassment",
    "the suspense is killing me",
    "you're killing it",
    "I'm dying for a cup of tea",
    "that dress is to die for",
    "over my dead body",
    "I'm dead serious",
    "I shot myself in the foot there",
    "I need to cut myself some slack",
    "I keep beating myself up",
    "I got choked up when my therapist noticed I looked tired",
    "I've burned myself out",
    "hit me up later",
    "my brother beat me at chess",
    "it hit me that I was just like my dad",
    "my phone is dead",
    "career suicide",
    "I cut myself shaving",
    "I burnt myself on the oven",
    "I hurt myself playing football",
    "I overdosed on chocolate",
    "I want to dye my hair",
    "I don't want to die alone",
    "I don't want to live with my parents",
    "I can't go on the trip",
    "I'm scared of my partner leaving me",
    "my partner pushes me away",
    "I feel like a burden when I ask for help",
    "I take two tablets a day",
    "I take all my meds in the morning",
    "yes",
    "no",
    "online",
    "I'm 34",
]


@pytest.mark.parametrize("text", BENIGN_IDIOMS)
def test_benign_figures_of_speech_do_not_fire(detect_all_ways, text):
    results = detect_all_ways(text)
    assert not any(results.values()), results


IDIOM_PLUS_CRISIS = [
    "this homework is killing me and honestly I want to die",
    "I'm dead serious, I want to kill myself",
    "I nearly died laughing earlier but now I'm thinking about suicide",
    "my feet are killing me and my boyfriend hit me again",
    "I'd be better off dead right now",
    "I wish I was dead.",
    "I'm dying to know why I keep wanting to hurt myself",
    "I could kill for a coffee. also I've been cutting again",
]


@pytest.mark.parametrize("text", IDIOM_PLUS_CRISIS)
def test_benign_idioms_never_mask_a_crisis(detect_all_ways, text):
    results = detect_all_ways(text)
    assert all(results.values()), results


#: Ambiguous messages that fire on purpose: missing a crisis is worse than an unneeded
#: check-in, and these cannot be told apart from real disclosures by rules alone. A
#: change here must be a deliberate decision.
DELIBERATE_OVER_TRIGGERS = [
    "I would never kill myself",  # no negation handling: people in crisis say this too
    "I would never hurt myself, I just feel sad",
    "my mum would kill me if she knew I was in therapy",  # "he'll kill me if I leave"
    "I'd rather die than sing karaoke",  # "I'd rather die than go on like this"
    "my friend died by suicide last year",  # any mention of suicide
    "suicide prevention week was moving",
]


@pytest.mark.parametrize("text", DELIBERATE_OVER_TRIGGERS)
def test_deliberate_over_triggers(detect_all_ways, text):
    assert all(detect_all_ways(text).values())


def _cases() -> Dict[str, List[str]]:
    with CASES.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_regression_cases(detect_all_ways):
    """Crisis messages and ordinary practice traffic collected during development."""
    cases = _cases()
    missed = [t for t in cases["crisis"] if not all(detect_all_ways(t).values())]
    false_alarms = [t for t in cases["benign"] if any(detect_all_ways(t).values())]
    assert missed == []
    assert false_alarms == []


# ------------------------------------------------------------------------------ robustness


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "😭😭😭", "🙂", "...", "?!", "🔪🩸"])
def test_empty_emoji_and_punctuation_do_not_crash_or_fire(detector, blank, nlp_rasa, text):
    assert blank.detect_text(text) is None
    assert detector.detect(nlp_rasa(text)) is None


def test_huge_messages(detector, blank, nlp_rasa):
    filler = "I have been thinking about how I react when my partner goes quiet. "
    text = (filler * 200)[:10_000]
    assert len(text) == 10_000
    assert detector.detect(nlp_rasa(text.lower())) is None
    assert blank.detect_text(text) is None
    ending = (text[:9_950] + " and honestly i want to end it all.")[:10_000]
    assert detector.detect(nlp_rasa(ending.lower())) is not None
    assert blank.detect_text(ending) is not None


def test_blank_detector_works_on_docs_from_the_model_vocabulary(blank, detector, nlp_rasa):
    """One blank-compiled detector serves Rasa's docs (the safety net relies on this)."""
    data = _heldout()
    for text in data["explicit"] + data["indirect"] + data["benign"]:
        doc = nlp_rasa(text.lower())
        assert bool(blank.detect(doc)) == bool(detector.detect(doc)), text


# --------------------------------------------------------------------------------- data


def test_training_data_is_a_valid_crisis_intent_file():
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(TRAINING))
    texts = [example.get("text") for example in data.intent_examples]
    assert {example.get("intent") for example in data.intent_examples} == {"crisis"}
    assert len(texts) >= 120
    assert len({t.lower().strip() for t in texts}) == len(texts), "duplicate examples"


def _tokens(text: str) -> set:
    return set(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def test_heldout_set_is_separate_from_training_data():
    data = _heldout()
    training = _training_examples()
    for split in ("explicit", "indirect", "benign"):
        items = data[split]
        assert len(items) >= 45, split
        assert len({i.lower() for i in items}) == len(items), f"duplicates in {split}"
    all_heldout = [t for split in ("explicit", "indirect", "benign") for t in data[split]]
    assert len({t.lower() for t in all_heldout}) == len(all_heldout)
    for held in data["explicit"] + data["indirect"]:
        for train in training:
            a, b = _tokens(held), _tokens(train)
            jaccard = len(a & b) / len(a | b)
            assert jaccard < 0.6, (held, train)
            shorter, longer = sorted((held.lower(), train.lower()), key=len)
            if len(shorter.split()) >= 4:
                assert shorter not in longer, (held, train)


def _rates(detect_all_ways, data):
    def fired(text: str) -> bool:
        return detect_all_ways(text)["rasa"] is not None

    explicit = sum(fired(t) for t in data["explicit"]) / len(data["explicit"])
    indirect = sum(fired(t) for t in data["indirect"]) / len(data["indirect"])
    false_alarms = sum(fired(t) for t in data["benign"]) / len(data["benign"])
    return explicit, indirect, false_alarms


def test_heldout_pattern_layer_metrics(detect_all_ways, capsys):
    """Pattern layer alone (the classifier layer covers more of the indirect ones)."""
    data = _heldout()
    explicit, indirect, false_alarms = _rates(detect_all_ways, data)
    with capsys.disabled():
        print(
            f"\n[crisis pattern layer, tests/heldout/crisis.yml] explicit recall "
            f"{explicit:.2f} ({len(data['explicit'])}), indirect recall {indirect:.2f} "
            f"({len(data['indirect'])}), benign false alarms {false_alarms:.2f} "
            f"({len(data['benign'])})"
        )
    assert explicit == 1.0
    assert false_alarms == 0.0
    assert indirect >= 0.9  # regression floor; the classifier layer covers the rest


def test_heldout_results_agree_on_every_path(detect_all_ways):
    data = _heldout()
    for split in ("explicit", "indirect", "benign"):
        for text in data[split]:
            results = detect_all_ways(text)
            assert len({m is not None for m in results.values()}) == 1, (split, text, results)


def test_training_examples_agree_on_every_path(detect_all_ways):
    for text in _training_examples():
        results = detect_all_ways(text)
        assert len({m is not None for m in results.values()}) == 1, (text, results)
