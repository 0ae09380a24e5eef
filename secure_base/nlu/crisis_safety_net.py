"""The crisis safety net: the last NLU component, so that nothing can undo its decision.

A person who says they want to die must get help every time, whatever the intent
classifier learned. This component runs after every classifier (including
``FallbackClassifier`` and the risk classifier) and decides a tier (:func:`decide`):

* ``acute`` - the full crisis response: the risk classifier finds the message acute
  (layer ``"risk_classifier"``); or the curated rules (``secure_base/crisis/rules.yml``,
  applied by ``secure_base.crisis.detector``) match (layer ``"patterns"``), unless the risk
  classifier is confident the message only mentions the subject; or the intent classifier
  ranks ``crisis`` at ``ranking_threshold`` or more (layer ``"classifier"``), unless a
  curated figure of speech explains it ("this homework is killing me"). A message that
  is nothing but chat-closing phrases ("nothing else, bye": ``secure_base/crisis/closings.yml``),
  or only asks to delete or not keep what was written ("erase all that, I got
  embarrassed": ``secure_base/crisis/privacy_requests.yml``), and matches no rule gets the
  check-in line (``mention``) instead;
* ``mention`` - a crisis topic without present risk: the intent classifier's answer
  stands, and the entity ``safety_check_in`` makes every response add a check-in line;
* ``none``.

When it fires, the top intent becomes ``{"name": "crisis", "confidence": 1.0}``,
``crisis`` moves to the front of ``intent_ranking``, the entity ``crisis_category``
(``self``, ``harm_from_others``, ``harm_to_others``, ``medical_emergency``) picks the
response through a slot mapping, and the message gets the output property
``crisis_safety_net`` (``{"fired", "tier", "layer", "rule", "category", ...}``), which
appears in ``/model/parse`` results and in the tracker's ``parse_data``. A crisis the
classifiers suggested but the net set aside is demoted to the best other intent.
``secure_base.policies.crisis_policy.CrisisPolicy`` then answers the crisis first.

The rules run on the spaCy doc that ``SpacyNLP`` stored on the message. Without one,
the same rules run on the lower-cased text with a blank English tokenizer; no model is
loaded and nothing is ever downloaded. If the rules fail unexpectedly, the other layers
still apply and the error is logged (never the user's text).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from secure_base.crisis import (
    CLASSIFIER_LAYER,
    CRISIS_INTENT,
    INTENT_RANKING_RULE,
    RISK_CLASSIFIER_LAYER,
    SAFETY_NET_PROPERTY,
    TOP_INTENT_RULE,
)
from secure_base.crisis.closings import is_chat_closing
from secure_base.crisis.detector import CrisisDetector, CrisisMatch
from secure_base.crisis.privacy_requests import is_privacy_request
from secure_base.nlu.risk_classifier import (
    ACUTE,
    HARM_FROM_OTHERS,
    MENTION,
    NO_RISK,
    RISK_PROPERTY,
    SELF,
)
from secure_base.nlu.rule_component import RuleComponent

logger = logging.getLogger(__name__)

RANKING_THRESHOLD_KEY = "ranking_threshold"

LAYER_PATTERNS = "patterns"
LAYER_CLASSIFIER = CLASSIFIER_LAYER
LAYER_RISK = RISK_CLASSIFIER_LAYER
MENTION_OVERRIDE_KEY = "mention_override"
#: A rule match is treated as a mention only while the risk classifier also finds the
#: risk this unlikely: "I intend to kill myself (for the intake's reasons question)" stays
#: a crisis even when it reads like a question about the intake.
MENTION_OVERRIDE_MAX_RISK = 0.2
#: A curated figure of speech sets aside the risk classifier's acute decision (when no
#: crisis rule matched) only below this risk: a message the classifier is sure of stays.
IDIOM_OVERRIDE_MAX_RISK = 0.9

TIER_ACUTE, TIER_MENTION, TIER_NONE = ACUTE, MENTION, NO_RISK
#: The rule name (and ``suppressed`` reason) of a chat closing answered with a check-in.
CHAT_CLOSING = "chat_closing"
#: The same for a request to delete or not keep what was written.
PRIVACY_REQUEST = "privacy_request"
#: Entities the safety net adds, read by slot mappings in the domain: the crisis
#: response's category, and the one-turn check-in line for a mention.
CATEGORY_ENTITY = "crisis_category"
CHECK_IN_ENTITY = "safety_check_in"
#: Curated rule categories about danger from another person.
OTHERS_RULE_CATEGORIES = frozenset({"danger_from_others", "abuse"})


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


def _is_acute(risk: Optional[Dict[str, Any]]) -> bool:
    return bool(risk) and risk.get("tier") == TIER_ACUTE


def response_category(rule_category: Optional[str]) -> str:
    """The response category of a curated rule's category (harm from others or self)."""
    return HARM_FROM_OTHERS if rule_category in OTHERS_RULE_CATEGORIES else SELF


def closed_list_of(text: str) -> Optional[str]:
    """``CHAT_CLOSING`` or ``PRIVACY_REQUEST`` if the whole message is one, else None."""
    if is_chat_closing(text):
        return CHAT_CLOSING
    if is_privacy_request(text):
        return PRIVACY_REQUEST
    return None


def decide(
    match: Optional[CrisisMatch],
    top_is_crisis: bool,
    ranked_high: bool,
    risk: Optional[Dict[str, Any]],
    idiom: Optional[str],
    mention_override: float,
    closing: Optional[str] = None,
) -> Dict[str, Any]:
    """The safety net's decision from its three layers (pure; see the module docstring).

    Args:
        match: The curated rules' match, if any.
        top_is_crisis: The intent classifier's top intent is ``crisis``.
        ranked_high: It ranked ``crisis`` at or above the ranking threshold.
        risk: The risk classifier's assessment (``RiskAssessment.as_dict``), if any.
        idiom: A benign figure of speech that explains the classifier's crisis, if any.
        mention_override: P(mention) from which a rule match on a message that the risk
            classifier finds not acute (and P(risk) < ``MENTION_OVERRIDE_MAX_RISK``) is
            treated as a mention.
        closing: The closed list the whole message belongs to, if any: ``CHAT_CLOSING``
            ("nothing else, bye": :mod:`secure_base.crisis.closings`) or
            ``PRIVACY_REQUEST`` ("erase all that, I got embarrassed":
            :mod:`secure_base.crisis.privacy_requests`). Without a rule match, a crisis
            from the classifiers then becomes the check-in line, never silence.

    Returns:
        ``{"fired", "tier", "layer", "rule", "category"}`` and, when a layer's crisis was
        set aside, ``"suppressed"``.
    """
    risk_tier = risk.get("tier") if risk else None
    risk_category = risk.get("category") if risk else None

    def result(tier: str, layer: Optional[str], rule: Optional[str],
               category: Optional[str], suppressed: Optional[str] = None) -> Dict[str, Any]:
        decision = {"fired": tier == TIER_ACUTE, "tier": tier, "layer": layer,
                    "rule": rule, "category": category}
        if suppressed:
            decision["suppressed"] = suppressed
        return decision

    if risk_tier == TIER_ACUTE:
        risk_score = float(risk.get("risk") or 0.0) if risk else 0.0
        if match is None and idiom and risk_score < IDIOM_OVERRIDE_MAX_RISK:
            # "My boss is going to kill me if I'm late": a curated figure of speech explains
            # what the classifier reacted to, and no crisis rule matched.
            return result(TIER_NONE, LAYER_RISK, idiom, None, "benign_idiom")
        if match is None and closing:
            return result(TIER_MENTION, LAYER_RISK, closing, None, closing)
        rule = match.rule if match else None
        return result(TIER_ACUTE, LAYER_RISK, rule, risk_category or SELF)
    if match is not None:
        mention = float(risk.get("mention") or 0.0) if risk else 0.0
        risk_score = float(risk.get("risk") or 0.0) if risk else 1.0
        if (risk_tier == TIER_MENTION and mention >= mention_override
                and risk_score < MENTION_OVERRIDE_MAX_RISK):
            # "What's the difference between self-harm and suicidal ideation?": the rule
            # saw the words, the classifier (trained on such questions) sees a question.
            return result(TIER_MENTION, LAYER_PATTERNS, match.rule, None, "mention")
        decision = result(TIER_ACUTE, LAYER_PATTERNS, match.rule,
                          response_category(match.category))
        decision["rule_category"] = match.category
        return decision
    if top_is_crisis or ranked_high:
        if idiom:
            return result(TIER_NONE, LAYER_CLASSIFIER, idiom, None, "benign_idiom")
        if closing:
            return result(TIER_MENTION, LAYER_CLASSIFIER, closing, None, closing)
        return result(TIER_ACUTE, LAYER_CLASSIFIER,
                      TOP_INTENT_RULE if top_is_crisis else INTENT_RANKING_RULE, SELF)
    if risk_tier == TIER_MENTION:
        return result(TIER_MENTION, LAYER_RISK, None, None)
    return result(TIER_NONE, None, None, None)


def _add_entity(message: Message, entity: str, value: Any) -> None:
    """Adds an entity that a slot mapping reads (no action server needed)."""
    entities = [e for e in (message.get(ENTITIES) or []) if isinstance(e, dict)
                and e.get(ENTITY_ATTRIBUTE_TYPE) != entity]
    text = message.get(TEXT) or ""
    entities.append({ENTITY_ATTRIBUTE_TYPE: entity, ENTITY_ATTRIBUTE_VALUE: value,
                     ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(text),
                     EXTRACTOR: "CrisisSafetyNet"})
    message.set(ENTITIES, entities, add_to_output=True)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisSafetyNet(RuleComponent, IntentClassifier):
    """Forces the ``crisis`` intent when the rules or a classifier recognise a crisis."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The default config.

        ``ranking_threshold``: the classifier confidence for ``crisis`` (anywhere in
        ``intent_ranking``) from which the safety net fires.
        """
        return {RANKING_THRESHOLD_KEY: 0.3, MENTION_OVERRIDE_KEY: 0.6}

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
        super().__init__(config)
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
        self.mention_override = float(self.component_config[MENTION_OVERRIDE_KEY])
        self._detector = detector if detector is not None else shared_detector()

    # ----------------------------------------------------------------------------------

    def process_message(self, message: Message) -> None:
        """Applies the safety net to one message (see the module docstring)."""
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        match = self._detect(message, text)
        intent = message.get(INTENT)
        ranking = message.get(INTENT_RANKING_KEY)
        ranking = [entry for entry in ranking if isinstance(entry, dict)] if isinstance(
            ranking, list
        ) else []
        risk = message.get(RISK_PROPERTY)
        risk = risk if isinstance(risk, dict) else None
        top_is_crisis = isinstance(intent, dict) and intent.get(INTENT_NAME_KEY) == CRISIS_INTENT
        ranked_high = any(
            entry.get(INTENT_NAME_KEY) == CRISIS_INTENT
            and _confidence(entry) >= self.ranking_threshold
            for entry in ranking
        )
        idiom = None
        if match is None and (top_is_crisis or ranked_high or _is_acute(risk)):
            idiom = self._benign_idiom(message, text)
        closing = closed_list_of(text) if match is None else None
        decision = decide(
            match, top_is_crisis, ranked_high, risk, idiom, self.mention_override, closing
        )
        decision["classifier_confidence"] = self._classifier_confidence(intent, ranking)
        if decision["tier"] == TIER_ACUTE:
            self._fire(message, ranking, decision)
        else:
            if top_is_crisis or ranked_high:
                # Set aside (a figure of speech, or a mention): answer the best other intent.
                self._demote_crisis(message, ranking)
            if decision["tier"] == TIER_MENTION:
                _add_entity(message, CHECK_IN_ENTITY, True)
            if decision["tier"] != TIER_NONE or decision.get("suppressed"):
                message.set(SAFETY_NET_PROPERTY, decision, add_to_output=True)
                logger.info("Crisis safety net: tier=%s (suppressed=%s, rule=%s).",
                            decision["tier"], decision.get("suppressed"), decision["rule"])

    def _fire(self, message: Message, ranking: List[Dict[str, Any]],
              decision: Dict[str, Any]) -> None:
        crisis = {INTENT_NAME_KEY: CRISIS_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
        new_ranking = [dict(crisis)] + [
            entry for entry in ranking if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT
        ]
        message.set(INTENT, crisis, add_to_output=True)
        message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
        message.set(SAFETY_NET_PROPERTY, decision, add_to_output=True)
        _add_entity(message, CATEGORY_ENTITY, decision["category"])
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
    def _demote_crisis(message: Message, ranking: List[Dict[str, Any]]) -> None:
        """Makes the classifier's best other intent the answer (crisis was set aside)."""
        others = [entry for entry in ranking if entry.get(INTENT_NAME_KEY) != CRISIS_INTENT]
        if others:
            message.set(INTENT, dict(others[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, others, add_to_output=True)

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
