"""Shared helpers for tests of the untrained NLU components: an intent ranking as the
intent classifier leaves it, and real Rasa components configured as in ``config.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY

ROOT = Path(__file__).resolve().parents[1]


def intent_ranking(*pairs: tuple[str, float]) -> List[Dict[str, Any]]:
    """``intent_ranking(("faq", 0.6), ("greet", 0.2))``: an ``intent_ranking`` list."""
    return [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: conf} for name, conf in pairs]


def options_in_config(component: str) -> Dict[str, Any]:
    """The options ``config.yml`` gives the pipeline component named ``component``."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    (entry,) = (c for c in config["pipeline"] if c["name"] == component)
    return {key: value for key, value in entry.items() if key != "name"}


def fallback_classifier() -> FallbackClassifier:
    """Rasa's FallbackClassifier, configured as in ``config.yml``."""
    return FallbackClassifier.create(
        {**FallbackClassifier.get_default_config(), **options_in_config("FallbackClassifier")},
        None, None, None,
    )
