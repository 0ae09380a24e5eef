"""The crisis safety net: the last NLU component, so that nothing can undo its decision.

A person who says they want to die must get help every time, whatever the intent
classifier learned. This component runs after every classifier (including
``FallbackClassifier``) and makes the message's intent ``crisis`` when any of these holds:

(a) the curated rules (``secure_base/crisis/rules.yml``, applied by
    ``secure_base.crisis.detector``) match the text (layer ``"patterns"``);
(b) a classifier ranked ``crisis`` with confidence ``>= ranking_threshold`` (default
    0.3), even if it is not the top intent - for example behind ``nlu_fallback`` or a
    look-alike intent (layer ``"classifier"``);
(c) the top intent already is ``crisis`` (layer ``"classifier"``).

When it fires, the top intent becomes ``{"name": "crisis", "confidence": 1.0}``,
``crisis`` moves to the front of ``intent_ranking`` and the message gets the output
property ``crisis_safety_net`` (``{"fired": True, "layer": ..., "rule": ...,
"category": ..., "classifier_confidence": ...}``), which appears in ``/model/parse``
results and in the tracker's ``parse_data``. When it does not fire, it changes nothing.
``secure_base.policies.crisis_policy.CrisisPolicy`` then answers the crisis first.

The rules run on the spaCy doc that ``SpacyNLP`` stored on the message. Without one,
the same rules run on the lower-cased text with a blank English tokenizer; no model is
loaded and nothing is ever downloaded. If the rules fail unexpectedly, the classifier
layer still applies and the error is logged (never the user's text).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.crisis.detector import CrisisDetector, CrisisMatch

logger = logging.getLogger(__name__)

CRISIS_INTENT = "crisis"
#: The message property (and key in the parse result) describing a decision.
SAFETY_NET_PROPERTY = "crisis_safety_net"
RANKING_THRESHOLD_KEY = "ranking_threshold"

LAYER_PATTERNS = "patterns"
LAYER_CLASSIFIER = "classifier"


@lru_cache(maxsize=1)
def shared_detector() -> CrisisDetector:
    """The process-wide detector on a blank English tokenizer (compiled once).

    The rules match on string hashes, so the same detector serves docs from the
    ``SpacyNLP`` model's vocabulary and from its own blank tokenizer.
    """
    return CrisisDetector.blank()


def _is_spacy_doc(value: Any) -> bool:
    from spacy.tokens import Doc

    return isinstance(value, Doc)


def _confidence(entry: Any) -> float:
    if not isinstance(entry, dict):
        return 0.0
    try:
        return float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    except (TypeError, ValueError):
        return 0.0


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisSafetyNet(GraphComponent, IntentClassifier):
    """Forces the ``crisis`` intent when the rules or a classifier recognise a crisis."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The default config.

        ``ranking_threshold``: the classifier confidence for ``crisis`` (anywhere in
        ``intent_ranking``) from which the safety net fires.
        """
        return {RANKING_THRESHOLD_KEY: 0.3}

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        """The rules are written for English."""
        return ["en"]

    @staticmethod
    def required_packages() -> List[str]:
        """SpaCy provides the tokenizer and matchers."""
        return ["spacy"]

    def __init__(
        self, config: Dict[str, Any], detector: Optional[CrisisDetector] = None
    ) -> None:
        """Creates the component.

        Args:
            config: The merged component config.
            detector: The rules to use; defaults to the shared blank-tokenizer detector.
        """
        self.component_config = {**self.get_default_config(), **(config or {})}
        threshold = self.component_config[RANKING_THRESHOLD_KEY]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise InvalidConfigException(
                f"{type(self).__name__}: '{RANKING_THRESHOLD_KEY}' must be a number "
                f"between 0 and 1, not {threshold!r}."
            )
        if not 0.0 <= float(threshold) <= 1.0:
            raise InvalidConfigException(
                f"{type(self).__name__}: '{RANKING_THRESHOLD_KEY}' must be between 0 "
                f"and 1, not {threshold}."
            )
        self.ranking_threshold = float(threshold)
        self._detector = detector if detector is not None else shared_detector()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisSafetyNet:
        """Creates the component; the rules are compiled here, at model load time."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to do at training time: the safety net only acts on predictions."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Applies the safety net to each message (see the module docstring)."""
        for message in messages:
            self._process_message(message)
        return messages

    # ----------------------------------------------------------------------------------

    def _process_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        match = self._detect(message, text)
        intent = message.get(INTENT)
        ranking = message.get(INTENT_RANKING_KEY)
        ranking = [entry for entry in ranking if isinstance(entry, dict)] if isinstance(
            ranking, list
        ) else []
        classifier_confidence = self._classifier_confidence(intent, ranking)
        top_is_crisis = isinstance(intent, dict) and intent.get(INTENT_NAME_KEY) == CRISIS_INTENT
        ranked_high = any(
            entry.get(INTENT_NAME_KEY) == CRISIS_INTENT
            and _confidence(entry) >= self.ranking_threshold
            for entry in ranking
        )
        if match is not None:
            decision = {
                "fired": True,
                "layer": LAYER_PATTERNS,
                "rule": match.rule,
                "category": match.category,
            }
        elif (top_is_crisis or ranked_high) and (idiom := self._benign_idiom(message, text)):
            # The classifier reacted to a risky word ("killing", "died") that a curated
            # figure-of-speech rule explains ("this homework is killing me") and no crisis
            # rule matched: fall back to the classifier's best other intent.
            self._demote_crisis(message, ranking, idiom)
            return
        elif top_is_crisis or ranked_high:
            decision = {
                "fired": True,
                "layer": LAYER_CLASSIFIER,
                "rule": "top_intent" if top_is_crisis else "intent_ranking",
                "category": None,
            }
        else:
            return
        decision["classifier_confidence"] = classifier_confidence
        crisis = {INTENT_NAME_KEY: CRISIS_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
        new_ranking = [dict(crisis)] + [
            entry for entry in ranking if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT
        ]
        message.set(INTENT, crisis, add_to_output=True)
        message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
        message.set(SAFETY_NET_PROPERTY, decision, add_to_output=True)
        logger.info(
            "Crisis safety net fired (layer=%s, rule=%s, category=%s).",
            decision["layer"],
            decision["rule"],
            decision["category"],
        )

    def _benign_idiom(self, message: Message, text: str) -> Optional[str]:
        """The name of a benign figure-of-speech rule matching the message, if any."""
        if not text.strip():
            return None
        try:
            doc = message.get(SPACY_DOCS[TEXT])
            if not _is_spacy_doc(doc):
                doc = self._detector.nlp(text.lower()) if hasattr(self._detector, "nlp") else None
            spans = self._detector.benign_spans(doc) if doc is not None else []
        except Exception as error:  # noqa: BLE001 - on doubt, do not suppress
            logger.error("Crisis safety net: idiom check failed (%s).", type(error).__name__)
            return None
        return spans[0][0] if spans else None

    @staticmethod
    def _demote_crisis(message: Message, ranking: List[Dict[str, Any]], idiom: str) -> None:
        others = [entry for entry in ranking if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT]
        if others:
            message.set(INTENT, dict(others[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, others, add_to_output=True)
        message.set(
            SAFETY_NET_PROPERTY,
            {"fired": False, "suppressed": "benign_idiom", "rule": idiom},
            add_to_output=True,
        )
        logger.info("Crisis safety net: classifier crisis set aside (idiom rule %s).", idiom)

    def _detect(self, message: Message, text: str) -> Optional[CrisisMatch]:
        """Runs the rules on the message's spaCy doc, or on its lower-cased text."""
        if not text.strip():
            return None
        try:
            doc = message.get(SPACY_DOCS[TEXT])
            if _is_spacy_doc(doc):
                return self._detector.detect(doc)
            return self._detector.detect_text(text.lower())
        except Exception as error:  # noqa: BLE001 - the classifier layer must still run
            logger.error(
                "Crisis safety net: the pattern layer failed (%s); only the classifier "
                "layer applies to this message.",
                type(error).__name__,
            )
            return None

    @staticmethod
    def _classifier_confidence(intent: Any, ranking: List[Dict[str, Any]]) -> Optional[float]:
        """The classifier's confidence for ``crisis`` (before the safety net), if any."""
        for entry in ranking:
            if entry.get(INTENT_NAME_KEY) == CRISIS_INTENT:
                return _confidence(entry)
        if isinstance(intent, dict) and intent.get(INTENT_NAME_KEY) == CRISIS_INTENT:
            return _confidence(intent)
        return None
