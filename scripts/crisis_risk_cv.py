"""Chooses the risk classifier's settings: cross-validation by author, and the dev batch.

The risk classifier (``secure_base/nlu/risk_classifier.py``) trains on the blind-written
files in ``data/crisis_risk/`` (one per author) plus the NLU examples. This script

* holds out one author at a time, trains on the others, and reports on the held-out
  author's messages how often each category gets the full crisis response (the risk
  classifier alone, and together with the curated rules as the safety net combines them);
* trains on everything and reports the same on the readable batches of
  ``tests/heldout/crisis_blind`` (``dev``, ``dev2``), listing their misses and false
  alarms. The never-read batches are measured only end to end, by
  ``scripts/eval_crisis.py``.

The intent classifier's layer is left out here (it needs a trained Rasa model); the
end-to-end figures include it.

Usage: python scripts/crisis_risk_cv.py [--set acute_threshold=0.4 ...] [--no-errors]
       [--no-cv] [--cv-errors] [--dump cv.json] [--extra new_author.yml ...]
Embeddings are cached in results/embeddings.npz (by text), so reruns take seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.eval_crisis import READABLE_BATCHES, load_batches  # noqa: E402
from scripts.eval_crisis import RISK_CATEGORIES as BLIND_RISK  # noqa: E402

CACHE = ROOT / "results" / "embeddings.npz"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Embeddings:
    """The shared encoder behind a cache on disk."""

    def __init__(self, config: Dict) -> None:
        self._config = config
        self._cache: Dict[str, np.ndarray] = {}
        if CACHE.exists():
            data = np.load(CACHE)
            self._cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self._dirty = False

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The embeddings of ``texts`` (computed once, then read from the cache)."""
        missing = sorted({t for t in texts if _key(t) not in self._cache})
        if missing:
            from secure_base.nlu.sentence_embeddings import shared_encoder

            encoder = shared_encoder(self._config["model_name"], self._config["max_tokens"])
            for text, vector in zip(missing, encoder.encode(missing), strict=True):
                self._cache[_key(text)] = vector
            self._dirty = True
        return np.stack([self._cache[_key(t)] for t in texts]) if texts else np.zeros((0, 768))

    def save(self) -> None:
        """Writes new embeddings to the cache file."""
        if self._dirty:
            CACHE.parent.mkdir(exist_ok=True)
            keys = list(self._cache)
            np.savez(CACHE, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]))


def nlu_examples() -> List[Tuple[str, str]]:
    """(text, intent) of every NLU example (retrieval intents by their base name)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples
            if m.get("text") and m.get("intent")]


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the cross-validation and dev figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-errors", action="store_true")
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--cv-errors", action="store_true",
                        help="also list the cross-validation's errors (training data)")
    parser.add_argument("--dump", type=Path, default=None, metavar="JSON",
                        help="write each cross-validated message's probabilities here")
    parser.add_argument("--extra", action="append", default=[], type=Path, metavar="FILE",
                        help="another author's file to train on (trying data before adding it)")
    args = parser.parse_args(argv)

    import yaml
    from rasa.shared.nlu.constants import INTENT

    from secure_base.crisis.detector import CrisisDetector
    from secure_base.nlu.crisis_safety_net import closed_list_of, decide
    from secure_base.nlu.linear_classifiers import LinearModel, TextFeatures
    from secure_base.nlu.risk_classifier import (
        LABEL_OF_CATEGORY,
        RISK_DEFAULTS,
        assess,
        embedded_messages,
        split_pieces,
        training_labels,
    )

    config = dict(RISK_DEFAULTS)
    for item in args.set:
        key, value = item.split("=", 1)
        config[key] = yaml.safe_load(value)
    embed = Embeddings(config)
    detector = CrisisDetector.blank()

    authors: Dict[str, List[Tuple[str, str]]] = {}
    for path in sorted((ROOT / config["data_dir"]).glob("*.yml")) + args.extra:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        authors[path.stem] = [(m["text"], m["category"]) for m in data["messages"]]
    nlu = nlu_examples()
    nlu_messages = embedded_messages([t for t, _ in nlu], config, embed([t for t, _ in nlu]))
    for message, (_, intent) in zip(nlu_messages, nlu, strict=True):
        message.set(INTENT, intent)
    nlu_labels = training_labels(nlu_messages)

    def train(pairs: List[Tuple[str, str]]) -> Tuple[TextFeatures, LinearModel]:
        texts = [t for t, _ in pairs]
        messages = embedded_messages(texts, config, embed(texts)) + nlu_messages
        labels = [LABEL_OF_CATEGORY[c] for _, c in pairs] + nlu_labels
        features = TextFeatures(config)
        model = LinearModel.fit(features.fit_transform(messages), labels, config)
        return features, model

    def probabilities(features: TextFeatures, model: LinearModel,
                      texts: Sequence[str]) -> List[Dict[str, float]]:
        if not texts:
            return []
        rows = model.probabilities(features.transform(embedded_messages(
            list(texts), config, embed(list(texts)))))
        return [dict(zip(model.labels, map(float, row), strict=True)) for row in rows]

    def judge(features: TextFeatures, model: LinearModel,
              texts: Sequence[str]) -> List[Tuple[Dict, Dict]]:
        wholes = probabilities(features, model, texts)
        results = []
        for text, whole in zip(texts, wholes, strict=True):
            pieces = split_pieces(text, config["min_message_words"], config["min_piece_words"])
            piece_probabilities = probabilities(features, model, pieces)
            risk = assess(whole, piece_probabilities, config).as_dict()
            match = detector.detect_text(text.lower())
            closed_list = closed_list_of(text) if match is None else None
            combined = decide(match, False, False, risk, None,
                              float(config.get("mention_override", 0.6)), closed_list)
            # What a threshold study needs to decide again without refitting (--dump).
            risk["_inputs"] = {"whole": whole, "pieces": piece_probabilities,
                               "rule": match.rule if match else None,
                               "closed_list": closed_list}
            results.append((risk, combined))
        return results

    def report(title: str, rows: List[Tuple[str, str, Dict, Dict]], errors: bool) -> None:
        by_category: Dict[str, Counter] = defaultdict(Counter)
        for _, category, risk, combined in rows:
            counts = by_category[category]
            counts["n"] += 1
            counts["risk_acute"] += risk["tier"] == "acute"
            counts["acute"] += combined["tier"] == "acute"
            counts["check_in"] += combined["tier"] == "mention"
        print(f"\n{title}")
        # "+ rules": with the curated rules and the closed lists (closings, privacy
        # requests) as the safety net combines them.
        print(f"  {'category':<20}{'n':>5}{'classifier':>12}{'+ rules':>10}{'check-in':>10}")
        for category, counts in sorted(by_category.items()):
            n = counts["n"]
            print(f"  {category:<20}{n:>5}{counts['risk_acute'] / n:>12.3f}"
                  f"{counts['acute'] / n:>10.3f}{counts['check_in'] / n:>10.3f}")
        if errors:
            for text, category, risk, combined in rows:
                acute = combined["tier"] == "acute"
                if acute != (category in BLIND_RISK):
                    print(f"  {'MISS' if not acute else 'FALSE'} [{category}] "
                          f"risk={risk['risk']:.2f} mention={risk['mention']:.2f} "
                          f"layer={combined['layer']}: {text[:160]!r}")

    if not args.no_cv and len(authors) > 1:
        rows, extra_rows = [], []
        extra_authors = {path.stem for path in args.extra}
        for held_out in authors:
            training = [pair for author, pairs in authors.items() if author != held_out
                        for pair in pairs]
            features, model = train(training)
            texts = [t for t, _ in authors[held_out]]
            for (text, category), (risk, combined) in zip(
                    authors[held_out], judge(features, model, texts), strict=True):
                rows.append((text, category, risk, combined))
                extra_rows.append(held_out in extra_authors)
        report("Leave-one-author-out cross-validation (full crisis response rate)", rows,
               errors=args.cv_errors)
        if args.dump:
            args.dump.write_text(json.dumps(
                [{"text": text, "category": category, "extra": is_extra, **risk["_inputs"]}
                 for (text, category, risk, _), is_extra in zip(rows, extra_rows, strict=True)]),
                encoding="utf-8")
        if extra_rows:
            report("... the same, on the data_dir authors only (to compare with no --extra)",
                   [row for row, is_extra in zip(rows, extra_rows, strict=True)
                    if not is_extra], errors=False)

    features, model = train([pair for pairs in authors.values() for pair in pairs])
    readable = [m for m in load_batches() if m.batch in READABLE_BATCHES]
    for batch in sorted({m.batch for m in readable}):
        dev = [m for m in readable if m.batch == batch]
        judged = judge(features, model, [m.text for m in dev])
        report(f"{batch} batch (trained on all authors)",
               [(m.text, m.category, r, c) for m, (r, c) in zip(dev, judged, strict=True)],
               errors=not args.no_errors)
    embed.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
