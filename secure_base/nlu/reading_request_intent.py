"""Keeps a request for reading from falling back when the classifier splits it in two.

"send me a link about anxious attachment" is a reading request whichever of ``faq`` and
``request_articles`` the intent classifier prefers: both replies send the articles
(:mod:`secure_base.reading_requests` decides that deterministically, in the FAQ action
and in the article action). When the classifier's two best intents are exactly those
two, close together, ``FallbackClassifier``'s ambiguity check would still turn the
message into ``nlu_fallback`` ("I didn't catch that") although either reading leads to
the same reply. For a message that :func:`~secure_base.reading_requests.is_reading_request`
reads as a request, this component gives the better of the two the confidence of both,
so the fallback only sees the doubt that matters: reading, or something else.

It runs after the intent classifier and response selector and before
``EmojiTalkClassifier`` and ``FallbackClassifier``. It never touches a message whose top
intent is anything else (``crisis`` above all): the risk classifier and
``CrisisSafetyNet`` still judge every message after it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from secure_base.nlu.rule_component import RuleComponent
from secure_base.reading_requests import is_reading_request

logger = logging.getLogger(__name__)

#: The two intents whose replies to a reading request are the same (the articles).
READING_INTENTS = frozenset({"faq", "request_articles"})


def merged_ranking(ranking: List[Dict[str, Any]]) -> Optional[List[Dict[str, Any]]]:
    """The ranking with the two reading intents as one, or ``None`` to leave it alone.

    Args:
        ranking: The intent ranking, best first.

    Returns:
        When the two best intents are ``faq`` and ``request_articles`` (in either order):
        the ranking with the better one carrying both confidences and the other dropped.
        Otherwise ``None``.

    """
    if len(ranking) < 2:
        return None
    first, second = ranking[0], ranking[1]
    if {first.get(INTENT_NAME_KEY), second.get(INTENT_NAME_KEY)} != READING_INTENTS:
        return None
    confidence = float(first.get(PREDICTED_CONFIDENCE_KEY) or 0.0) + float(
        second.get(PREDICTED_CONFIDENCE_KEY) or 0.0
    )
    best = {**first, PREDICTED_CONFIDENCE_KEY: min(confidence, 1.0)}
    return [best] + [dict(e) for e in ranking[2:]]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ReadingRequestIntent(RuleComponent, IntentClassifier):
    """Merges ``faq`` and ``request_articles`` for messages that ask for reading."""

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        """The reading-request patterns are English."""
        return ["en"]

    def process_message(self, message: Message) -> None:
        """Merges the two reading intents of a reading request."""
        text = message.get(TEXT)
        if not isinstance(text, str) or not is_reading_request(text):
            return
        ranking = message.get(INTENT_RANKING_KEY)
        if not isinstance(ranking, list):
            return
        merged = merged_ranking([e for e in ranking if isinstance(e, dict)])
        if merged is None:
            return
        current = message.get(INTENT)
        name = merged[0][INTENT_NAME_KEY]
        # Keep whatever else the intent carries (the retrieval intent's full name).
        kept = current if isinstance(current, dict) and current.get(INTENT_NAME_KEY) == name else {}
        chosen = {**kept, INTENT_NAME_KEY: name,
                  PREDICTED_CONFIDENCE_KEY: merged[0][PREDICTED_CONFIDENCE_KEY]}
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, merged, add_to_output=True)
        logger.debug("Reading request: faq and request_articles merged (%.2f).",
                     chosen[PREDICTED_CONFIDENCE_KEY])
