"""The contract every rule component (secure_base/nlu/rule_component.py) in config.yml keeps."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.nlu.rule_component import RuleComponent

ROOT = Path(__file__).resolve().parents[1]


def _pipeline() -> list[dict]:
    return yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]


def _rule_components() -> list[tuple[str, dict]]:
    found = []
    for entry in _pipeline():
        module, _, name = entry["name"].rpartition(".")
        if not module:
            continue
        cls = getattr(importlib.import_module(module), name)
        if issubclass(cls, RuleComponent):
            found.append((entry["name"], {k: v for k, v in entry.items() if k != "name"}))
    return found


def test_the_pipeline_has_the_three_rule_components() -> None:
    names = [name.rpartition(".")[2] for name, _ in _rule_components()]
    assert names == ["ReadingRequestIntent", "EmojiTalkClassifier", "CrisisSafetyNet"]


@pytest.mark.parametrize(("name", "options"), _rule_components(), ids=lambda v: str(v)[-30:])
def test_a_rule_component_learns_nothing_and_leaves_odd_messages_alone(
    name: str, options: dict
) -> None:
    registered = DefaultV1Recipe._from_registry(name)
    assert registered.is_trainable is False
    cls = registered.clazz
    component = cls.create({**cls.get_default_config(), **options}, None, None, None)
    data = TrainingData([Message(data={TEXT: "hello", INTENT: "greet"})])
    assert component.process_training_data(data) is data
    # No text, or an intent-less message: nothing set, nothing raised.
    odd = [Message(data={}), Message(data={TEXT: ""}), Message(data={TEXT: "hello"})]
    assert component.process(odd) is odd
    for message in odd:
        assert message.get(INTENT) is None and message.get(INTENT_RANKING_KEY) is None
