"""Measures how well Secure Base understands people, on data never used for training.

Prints:
  * held-out accuracy per FAQ topic key (intent ``faq`` and the right response key),
  * out-of-scope recall and the in-scope accuracy at the same fallback threshold,
  * the most confused pairs,
  * crisis recall on explicit and indirect messages and false alarms on benign ones,
  * the article hit rate (scripts/eval_articles.py),
  * with --cross-validation: 5-fold cross-validation F1 for intents and the Response
    Selector (``rasa test nlu --cross-validation``),
  * with --conversations: whole conversations over REST (scripts/eval_conversations.py:
    blind scenarios, the never-read batch's totals, talk_to_human recall, reading
    requests answered with an article in the same reply, intake completion).

Exits 1 when a gate fails (CI runs it): held-out topic accuracy < 0.90, out-of-scope
recall < 0.90, explicit crisis recall < 1.00, indirect crisis recall < 0.95, benign false
alarms > 0.10, article hit rate < 0.95. (The topic-accuracy target is 0.95; the gate is
the 0.90 floor the issue asks CI to hold: see docs/evaluation.md.)

Usage: python scripts/evaluate.py [--model models/x.tar.gz] [--cross-validation] [--conversations]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secure_base.topics import TOPIC_KEYS  # noqa: E402
from tests.stack import latest_model  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"
GATES = {
    "topic_accuracy": 0.90,
    "crisis_explicit_recall": 1.00,
    "crisis_indirect_recall": 0.95,
    "crisis_benign_false_alarms": 0.10,
    "oos_recall": 0.90,
    "article_hit_rate": 0.95,
}
DECLINED = {"out_of_scope", "nlu_fallback"}
# Held-out files that are not NLU examples (each has its own evaluation script).
NOT_NLU_FILES = {"crisis.yml", "reading_requests.yml", "intake_messy.yml"}
# Rasa's entity annotations, [text]{"entity": ...} and [text](entity): a person types text.
ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def read_nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs from a Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], ENTITY_MARKUP.sub(r"\1", line[2:].strip())))
    return pairs


def predicted_label(parse: dict) -> str:
    """The label a parse result stands for: ``faq/<key>`` for FAQ answers."""
    intent = (parse.get("intent") or {}).get("name") or "none"
    if intent == "faq":
        selector = parse.get("response_selector", {})
        for group in ("faq", "default"):
            key = selector.get(group, {}).get("response", {}).get("intent_response_key")
            if key:
                return key
    return intent


def label_at_threshold(parse: dict, threshold: float, ambiguity: float) -> str:
    """The label the parse would get if the FallbackClassifier used ``threshold``.

    The ranking keeps the classifier's own confidences (the fallback only adds an
    ``nlu_fallback`` entry), so one parse answers for every threshold.
    """
    intent = (parse.get("intent") or {}).get("name")
    if intent == "crisis":  # the safety net decides crisis, whatever the threshold
        return intent
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    if not ranking:
        return "nlu_fallback"
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["confidence"] < threshold or top["confidence"] - second < ambiguity:
        return "nlu_fallback"
    if top["name"] == "faq":
        return predicted_label({**parse, "intent": top})
    return top["name"]


def fallback_thresholds() -> tuple[float, float]:
    """The FallbackClassifier's threshold and ambiguity threshold in config.yml."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3)), float(
                component.get("ambiguity_threshold", 0.1))
    return 0.0, 0.0


def quiet_logs() -> None:
    """Keeps Rasa's debug logs (which include message text) off the console."""
    import structlog

    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


#: Messages parsed together: the sentence encoder then runs on a batch, not one by one.
PARSE_BATCH = 32
#: How many texts are also parsed one at a time, as the server does, to check the batches.
SPOT_CHECK = 40


def _parse_batch(processor, texts: list[str]) -> list[dict]:
    """Parses ``texts`` in one run of the NLU graph (what ``parse_message`` does for one).

    Every NLU component takes a list of messages; only the sentence encoder reads the
    list as one batch, which is what makes this faster.
    """
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT

    target = processor.model_metadata.nlu_target
    results = processor.graph_runner.run(
        inputs={PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
                PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("evaluate", [])},
        targets=[target])
    parses = []
    for message in results[target]:
        parse = {TEXT: "", INTENT: {"name": None, "confidence": 0.0}, ENTITIES: []}
        parse.update(message.as_dict(only_output_properties=True))
        processor._update_full_retrieval_intent(parse)  # as parse_message does
        parses.append(parse)
    return parses


def _same_reading(batched: dict, single: dict) -> bool:
    """Whether two parses of one text agree on everything the evaluation reads."""
    def reading(parse: dict) -> tuple:
        net = parse.get("crisis_safety_net") or {}
        return (predicted_label(parse), net.get("tier"), net.get("category"))

    confidence = abs((batched.get("intent") or {}).get("confidence", 0.0)
                     - (single.get("intent") or {}).get("confidence", 0.0))
    return reading(batched) == reading(single) and confidence < 1e-3


async def parse_all(model: Path, texts: list[str]) -> list[dict]:
    """Parses every text with the model, in order, in batches.

    A sample is also parsed one message at a time through ``Agent.parse_message`` (the
    server's path); any disagreement stops the evaluation.
    """
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parses: list[dict] = []
    for start in range(0, len(texts), PARSE_BATCH):
        parses += _parse_batch(agent.processor, texts[start:start + PARSE_BATCH])
    step = max(len(texts) // SPOT_CHECK, 1)
    for index in range(0, len(texts), step):
        single = await agent.parse_message(texts[index])
        if not _same_reading(parses[index], single):
            raise RuntimeError(f"batched and single parses differ on held-out text #{index}")
    return parses


def ratio(hits: int, total: int) -> float:
    """hits/total, 0 when total is 0."""
    return hits / total if total else 0.0


def cross_validation(folds: int) -> dict[str, float]:
    """Runs Rasa's NLU cross-validation and returns weighted F1 per report."""
    out = ROOT / "results" / "cross_validation"
    started = time.monotonic()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--config", "config.yml",
         "--nlu", "data", "--cross-validation", "--folds", str(folds), "--out", str(out)],
        cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )
    scores = {"seconds": time.monotonic() - started}
    for name in ("intent_report.json", "response_selection_report.json"):
        report = out / name
        if report.exists():
            weighted = json.loads(report.read_text()).get("weighted avg", {})
            scores[name.replace("_report.json", "_f1")] = weighted.get("f1-score", 0.0)
    return scores


def answer_or_ask(questions: list[tuple[str, dict]]) -> None:
    """How action_answer_faq's answer-or-ask rule (secure_base/faq_choice.yml) fares.

    For held-out FAQ questions the NLU routed to ``faq``: answered right, answered wrong,
    asked with the right topic among the two buttons, asked without it; at the settings
    in use and at a few others, so the trade-off is visible.
    """
    from secure_base.faq_choice import SETTINGS, ClarifySettings, choose, faq_ranking

    def tally(settings: ClarifySettings) -> Counter[str]:
        counts: Counter[str] = Counter()
        for key, parse in questions:
            choice = choose(faq_ranking(parse), settings=settings)
            if choice.key is not None:
                counts["right" if choice.key == key else "wrong"] += 1
            else:
                counts["asked_right" if key in choice.options else "asked_wrong"] += 1
        return counts

    print(f"\nAnswer or ask on {len(questions)} held-out FAQ questions routed to faq "
          "(right / wrong answers, asked with / without the right topic):")
    grid = sorted({(SETTINGS.min_confidence, SETTINGS.min_margin)}
                  | {(c, m) for c in (0.2, 0.3, 0.4) for m in (0.0, 0.05, 0.1)})
    for confidence, margin in grid:
        c = tally(replace(SETTINGS, min_confidence=confidence, min_margin=margin))
        mark = "  <- in use" if (confidence, margin) == (SETTINGS.min_confidence,
                                                          SETTINGS.min_margin) else ""
        print(f"  min_confidence {confidence:.2f} min_margin {margin:.2f}: "
              f"right {c['right']} wrong {c['wrong']} asked {c['asked_right']}"
              f"/{c['asked_wrong']}{mark}")


def main() -> int:
    """Runs the evaluation, prints it, and returns 1 when a gate fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--cross-validation", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--conversations", action="store_true",
                        help="also run whole conversations (scripts/eval_conversations.py)")
    args = parser.parse_args()
    quiet_logs()
    model = args.model or latest_model()
    if model is None:
        sys.exit("evaluate: no trained model in models/ (run `make train`)")

    examples: list[tuple[str, str]] = []
    source: dict[tuple[str, str], str] = {}  # which held-out file (batch) each came from
    for path in sorted(HELDOUT.glob("*.yml")):
        if path.name not in NOT_NLU_FILES:
            for pair in read_nlu_examples(path):
                examples.append(pair)
                source[pair] = path.name
    crisis_sets = yaml.safe_load((HELDOUT / "crisis.yml").read_text(encoding="utf-8"))
    crisis_examples = [(kind, text) for kind in ("explicit", "indirect", "benign")
                       for text in crisis_sets.get(kind, [])]

    from scripts.eval_crisis import load_batches
    from scripts.eval_crisis import report as blind_crisis_report

    blind = load_batches()
    texts = [t for _, t in examples] + [t for _, t in crisis_examples]
    texts += sorted({m.text for m in blind} - set(texts))
    started = time.monotonic()
    parses = asyncio.run(parse_all(model, texts))
    parse_seconds = time.monotonic() - started
    results = dict(zip(texts, parses, strict=False))
    metrics: dict[str, float] = {}

    print(f"model: {model.name}  ({len(texts)} held-out messages parsed in {parse_seconds:.1f}s)")

    # FAQ topics.
    per_key: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    for intent, text in examples:
        if not intent.startswith("faq/"):
            continue
        got = predicted_label(results[text])
        per_key[intent].append(got == intent)
        if got != intent:
            confusions[(intent, got)] += 1
    missing = [k for k in TOPIC_KEYS if f"faq/{k}" not in per_key]
    print("\nHeld-out accuracy per topic key")
    for key in sorted(per_key):
        hits = per_key[key]
        print(f"  {key[4:]:<28} {ratio(sum(hits), len(hits)):.2f}  ({sum(hits)}/{len(hits)})")
    all_hits = [h for hits in per_key.values() for h in hits]
    metrics["topic_accuracy"] = ratio(sum(all_hits), len(all_hits))
    total = f"({sum(all_hits)}/{len(all_hits)})"
    print(f"  {'ALL TOPICS':<28} {metrics['topic_accuracy']:.3f}  {total}")
    by_file: dict[str, list[bool]] = defaultdict(list)
    for intent, text in examples:
        if intent.startswith("faq/"):
            by_file[source[(intent, text)]].append(predicted_label(results[text]) == intent)
    for name, hits in sorted(by_file.items()):
        print(f"    {name:<26} {ratio(sum(hits), len(hits)):.3f}  ({sum(hits)}/{len(hits)})")
    if missing:
        print(f"  keys without held-out data: {missing}")
        metrics["topic_accuracy"] = 0.0
    answer_or_ask([(i[4:], results[t]) for i, t in examples
                   if i.startswith("faq/") and predicted_label(results[t]).startswith("faq/")])

    # Other intents, out-of-scope recall and in-scope accuracy at that threshold.
    in_scope = [(i, t) for i, t in examples if i != "out_of_scope"]
    oos = [t for i, t in examples if i == "out_of_scope"]
    oos_hits = sum(predicted_label(results[t]) in DECLINED for t in oos)
    metrics["oos_recall"] = ratio(oos_hits, len(oos))
    in_hits = 0
    for intent, text in in_scope:
        got = predicted_label(results[text])
        in_hits += got == intent
        if got != intent and not intent.startswith("faq/"):
            confusions[(intent, got)] += 1
    metrics["in_scope_accuracy"] = ratio(in_hits, len(in_scope))
    print(f"\nOut-of-scope recall: {metrics['oos_recall']:.3f} ({oos_hits}/{len(oos)})"
          f"   in-scope accuracy at the same threshold: {metrics['in_scope_accuracy']:.3f}"
          f" ({in_hits}/{len(in_scope)})")

    threshold, ambiguity = fallback_thresholds()
    print(f"\nFallback threshold sweep (config.yml: {threshold}, ambiguity {ambiguity})")
    print("  threshold  topic acc  oos recall  in-scope acc")
    for candidate in (0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7):
        topic = [label_at_threshold(results[t], candidate, ambiguity) == i
                 for i, t in examples if i.startswith("faq/")]
        declined = [label_at_threshold(results[t], candidate, ambiguity) in DECLINED
                    for t in oos]
        kept = [label_at_threshold(results[t], candidate, ambiguity) == i for i, t in in_scope]
        mark = "  <- config.yml" if abs(candidate - threshold) < 1e-9 else ""
        print(f"  {candidate:>9.2f}  {ratio(sum(topic), len(topic)):>9.3f}"
              f"  {ratio(sum(declined), len(declined)):>10.3f}"
              f"  {ratio(sum(kept), len(kept)):>12.3f}{mark}")

    print("\nMost confused (expected -> predicted: count)")
    for (expected, got), count in confusions.most_common(12):
        print(f"  {expected} -> {got}: {count}")

    # Crisis.
    print("\nCrisis detection (full pipeline: classifier + safety net)")
    for kind in ("explicit", "indirect", "benign"):
        msgs = [t for k, t in crisis_examples if k == kind]
        fired = [t for t in msgs if (results[t].get("intent") or {}).get("name") == "crisis"]
        rate = ratio(len(fired), len(msgs))
        label = "false alarms" if kind == "benign" else "recall"
        metrics[f"crisis_{kind}_{'false_alarms' if kind == 'benign' else 'recall'}"] = rate
        print(f"  {kind:<9} {label}: {rate:.3f} ({len(fired)}/{len(msgs)})")
        wrong = [t for t in msgs if (t in fired) == (kind == "benign")]
        for text in wrong[:5]:
            print(f"      {'fired' if kind == 'benign' else 'missed'}: {text}")

    # Crisis on the blind batches written by independent authors (scripts/eval_crisis.py).
    _, blind_failed = blind_crisis_report(blind, results, gate=True)

    # Articles.
    from scripts.eval_articles import hit_rate  # noqa: E402

    rate, total = hit_rate(verbose=False)
    metrics["article_hit_rate"] = rate
    print(f"\nArticle hit rate (right topic in the first three): {rate:.3f} over {total} requests")

    if args.cross_validation:
        print(f"\n{args.folds}-fold cross-validation (rasa test nlu), this takes a while...")
        scores = cross_validation(args.folds)
        for name, value in scores.items():
            print(f"  {name}: {value:.3f}")

    failed = []
    if args.conversations:
        print("\nWhole conversations over REST (scripts/eval_conversations.py):", flush=True)
        run = subprocess.run([sys.executable, str(ROOT / "scripts" / "eval_conversations.py"),
                              "--model", str(model)], check=False)
        if run.returncode != 0:
            failed.append("conversations (see above)")
    for name, limit in GATES.items():
        value = metrics[name]
        ok = value <= limit if name.endswith("false_alarms") else value >= limit
        if not ok:
            failed.append(f"{name}={value:.3f} (gate {limit})")
    failed += blind_failed
    print("\nGates:", "all passed" if not failed else "FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
