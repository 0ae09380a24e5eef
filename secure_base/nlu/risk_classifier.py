"""The risk classifier: is someone in danger, who, and is it acute or only a mention.

Keyword rules catch what people say plainly; people in danger often do not. This
component is a logistic regression over the sentence embedding plus tf-idf word and
character n-grams (the same features as the intent classifier), trained on

* the blind-written risk data in ``data/crisis_risk/*.yml`` (independent authors,
  ``docs/crisis_labelling_guide.md``; never the test batches), and
* the NLU examples: ``crisis`` examples count as risk to self, every other example as
  no risk,

with six labels: four risk categories (``self``, ``harm_from_others``,
``harm_to_others``, ``medical_emergency``), ``mention`` (crisis words without present
risk: study, films, the intake's wording, a resolved past) and ``none``.

A long message is judged whole and sentence by sentence, so that one risk sentence at the
end of a long message about something else is never averaged away. The decision
(:func:`assess`) is stored on the message as ``crisis_risk`` (numbers and labels only,
never text); ``CrisisSafetyNet`` acts on it. Tiers:

* ``acute`` - P(any risk) >= ``acute_threshold`` for the whole message, or a sentence with
  P(risk) >= ``piece_threshold`` while the whole message is not clearly a mention: the
  full crisis response;
* ``mention`` - a mention, or a possible risk below the acute threshold (P(risk) >=
  ``check_in_threshold``): the normal answer plus one line of crisis numbers and a check-in;
* ``none``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.crisis import CRISIS_INTENT
from secure_base.nlu.linear_classifiers import DEFAULT_CONFIG, _LinearComponent
from secure_base.nlu.sentence_embeddings import shared_encoder
from secure_base.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

#: The message property (and parse-result key) holding the assessment.
RISK_PROPERTY = "crisis_risk"

SELF = "self"
HARM_FROM_OTHERS = "harm_from_others"
HARM_TO_OTHERS = "harm_to_others"
MEDICAL_EMERGENCY = "medical_emergency"
#: Risk categories; each has its own crisis response (slot ``crisis_category``).
RISK_CATEGORIES: Tuple[str, ...] = (SELF, HARM_FROM_OTHERS, HARM_TO_OTHERS, MEDICAL_EMERGENCY)
MENTION = "mention"
NO_RISK = "none"
LABELS: Tuple[str, ...] = RISK_CATEGORIES + (MENTION, NO_RISK)

ACUTE = "acute"
TIERS: Tuple[str, ...] = (ACUTE, MENTION, NO_RISK)

#: The blind data's categories (docs/crisis_labelling_guide.md) as the classifier's labels.
LABEL_OF_CATEGORY: Dict[str, str] = {
    "self_explicit": SELF,
    "self_indirect": SELF,
    "harm_from_others": HARM_FROM_OTHERS,
    "harm_to_others": HARM_TO_OTHERS,
    "medical_emergency": MEDICAL_EMERGENCY,
    "benign_mention": MENTION,
    "everyday": NO_RISK,
}

RISK_DEFAULTS: Dict[str, Any] = {
    **DEFAULT_CONFIG,
    "C": 16.0,
    "class_weight": "balanced",
    "char_ngrams": [2, 4],
    # Folder of blind-written, labelled risk data (relative to the project).
    "data_dir": "data/crisis_risk",
    # The encoder used for the risk data and for sentences; the featurizer's model.
    "model_name": "all-mpnet-base-v2",
    "max_tokens": 128,
    # Chosen on the dev batch (scripts/crisis_risk_cv.py; docs/evaluation.md also has the
    # cross-validation): a sentence at 0.8 finds risk buried in long messages.
    "acute_threshold": 0.5,
    "piece_threshold": 0.8,
    # A sentence does not make a message acute when the whole is at least this likely a
    # mention ("my essay is about ... the character says she wants to die").
    "piece_mention_ceiling": 0.6,
    "check_in_threshold": 0.25,
    # Only messages of at least this many words are also judged sentence by sentence,
    # and only sentences of at least ``min_piece_words`` words.
    "min_message_words": 20,
    "min_piece_words": 3,
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*|\s*;\s*")


@dataclass(frozen=True)
class RiskAssessment:
    """The classifier's decision on one message (no text)."""

    tier: str
    category: Optional[str]
    risk: float
    mention: float
    piece_risk: Optional[float] = None
    from_piece: bool = False

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (rounded figures)."""
        data = asdict(self)
        for key in ("risk", "mention", "piece_risk"):
            if data[key] is not None:
                data[key] = round(float(data[key]), 4)
        return data


def risk_of(probabilities: Dict[str, float]) -> float:
    """P(any risk category)."""
    return float(sum(probabilities.get(category, 0.0) for category in RISK_CATEGORIES))


def top_risk_category(probabilities: Dict[str, float]) -> str:
    """The most likely risk category (ties: the order of ``RISK_CATEGORIES``)."""
    return max(RISK_CATEGORIES, key=lambda category: probabilities.get(category, 0.0))


def assess(whole: Dict[str, float], pieces: Sequence[Dict[str, float]],
           config: Dict[str, Any]) -> RiskAssessment:
    """The tier and category of a message from its label probabilities.

    Args:
        whole: Label probabilities of the whole message.
        pieces: Label probabilities of each sentence ([] for short messages).
        config: Thresholds (see ``RISK_DEFAULTS``).

    Returns:
        The assessment.
    """
    risk = risk_of(whole)
    mention = float(whole.get(MENTION, 0.0))
    best_piece = max(pieces, key=risk_of, default=None)
    piece_risk = risk_of(best_piece) if best_piece is not None else None
    if risk >= config["acute_threshold"]:
        return RiskAssessment(ACUTE, top_risk_category(whole), risk, mention, piece_risk)
    if (best_piece is not None and piece_risk is not None
            and piece_risk >= config["piece_threshold"]
            and mention < config["piece_mention_ceiling"]):
        return RiskAssessment(ACUTE, top_risk_category(best_piece), risk, mention,
                              piece_risk, from_piece=True)
    best_label = max(whole, key=lambda label: whole[label]) if whole else NO_RISK
    if best_label == MENTION or risk >= config["check_in_threshold"]:
        return RiskAssessment(MENTION, None, risk, mention, piece_risk)
    return RiskAssessment(NO_RISK, None, risk, mention, piece_risk)


def split_pieces(text: str, min_message_words: int, min_piece_words: int) -> List[str]:
    """The sentences of a long message worth judging on their own ([] if short)."""
    if len(text.split()) < min_message_words:
        return []
    pieces = [piece.strip() for piece in _SENTENCE_END.split(text)]
    pieces = [piece for piece in pieces if len(piece.split()) >= min_piece_words]
    return pieces if len(pieces) > 1 else []


def load_labelled_messages(directory: Path) -> List[Tuple[str, str]]:
    """``(text, label)`` pairs from the blind-data files in ``directory``.

    Raises:
        ValueError: a file is malformed or names an unknown category.
    """
    pairs: List[Tuple[str, str]] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or not messages:
            raise ValueError(f"{path}: expected a non-empty 'messages' list")
        for index, entry in enumerate(messages):
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                raise ValueError(f"{path}: message {index} has no text")
            category = entry.get("category")
            if category not in LABEL_OF_CATEGORY:
                raise ValueError(f"{path}: message {index} has unknown category {category!r}")
            pairs.append((entry["text"], LABEL_OF_CATEGORY[category]))
    return pairs


def embedded_messages(texts: Sequence[str], config: Dict[str, Any],
                      vectors: Optional[Any] = None) -> List[Message]:
    """Messages carrying the dense sentence feature that the linear features read.

    Args:
        texts: The texts.
        config: The component config (encoder name, featurizer alias).
        vectors: Their embeddings if already computed (else the shared encoder runs).
    """
    origin = (config["dense_featurizers"] or ["sentence_encoder"])[0]
    if vectors is None:
        encoder = shared_encoder(config["model_name"], config["max_tokens"])
        vectors = encoder.encode(list(texts)) if texts else []
    messages = []
    for text, vector in zip(texts, vectors, strict=True):
        message = Message(data={TEXT: text})
        message.add_features(Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE,
                                      TEXT, origin))
        messages.append(message)
    return messages


def training_labels(nlu_examples: Sequence[Message]) -> List[str]:
    """The risk label of NLU examples: ``crisis`` is risk to self, anything else none."""
    return [SELF if m.get(INTENT) == CRISIS_INTENT else NO_RISK for m in nlu_examples]


def _data_dir(config: Dict[str, Any]) -> Path:
    directory = Path(config["data_dir"])
    return directory if directory.is_absolute() else PROJECT_ROOT / directory


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RiskClassifier(_LinearComponent):
    """Adds ``crisis_risk`` (tier, category, probabilities) to every message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """See ``RISK_DEFAULTS``."""
        return dict(RISK_DEFAULTS)

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn fits the model; the encoder needs transformers and TensorFlow."""
        return ["sklearn", "transformers", "tensorflow"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the risk data files change (they are not part of the graph)."""
        digest = hashlib.sha256()
        directory = _data_dir({**RISK_DEFAULTS, **config})
        for path in sorted(directory.glob("*.yml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[str, Any], *args: Any, **kwargs: Any) -> None:
        """Creates the component (see ``_LinearComponent``)."""
        super().__init__({**RISK_DEFAULTS, **config}, *args, **kwargs)

    def train(self, training_data: TrainingData) -> Resource:
        """Trains on the risk data plus the NLU examples (``crisis`` = self, else none)."""
        pairs = load_labelled_messages(_data_dir(self._config))
        risk_messages = embedded_messages([text for text, _ in pairs], self._config)
        nlu = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        labels = [label for _, label in pairs] + training_labels(nlu)
        return self._train_on(risk_messages + nlu, labels)

    def _probabilities(self, message: Message) -> Dict[str, float]:
        return dict(self._ranked(message))

    def assess_message(self, message: Message) -> Optional[RiskAssessment]:
        """The assessment of one featurized message (None when untrained or no text)."""
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return None
        whole = self._probabilities(message)
        if not whole:
            return None
        pieces = split_pieces(text, self._config["min_message_words"],
                              self._config["min_piece_words"])
        piece_probabilities = [self._probabilities(piece)
                               for piece in embedded_messages(pieces, self._config)]
        return assess(whole, piece_probabilities, self._config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``crisis_risk`` on each message.

        On an error it logs the error's name and goes on: the crisis rules and the intent
        classifier still apply.
        """
        for message in messages:
            try:
                assessment = self.assess_message(message)
            except Exception as error:  # noqa: BLE001 - never lose the turn
                logger.error("Risk classifier failed (%s).", type(error).__name__)
                continue
            if assessment is not None:
                message.set(RISK_PROPERTY, assessment.as_dict(), add_to_output=True)
        return messages
