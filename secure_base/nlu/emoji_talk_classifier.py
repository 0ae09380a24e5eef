"""Gives emoji-, emoticon- and punctuation-only messages a fixed intent.

"😢", "👍", ":(", "..." and "?" carry meaning that the classifiers cannot see: the word
n-grams drop them, the sentence encoder was not trained on them, and the
``FallbackClassifier`` then usually turns them into ``nlu_fallback`` ("I didn't catch
that"), or a guess. :func:`secure_base.emoji_talk.intent_for` reads them
deterministically instead: a distress emoji gets ``distress_emoji`` (a gentle check-in
with the crisis lines), warmth ``thanks``, agreement ``affirm``, anything else without
words ``unclear_punctuation`` (an invitation to ask).

Why a component, not an action on ``nlu_fallback``: the classifiers do not always fall
back on these messages (a guessed ``faq`` would give a whole answer to "?"), and a fixed
intent also works inside rules, conversation tests and ``/model/parse``.

It runs after the intent classifier and response selector and before
``FallbackClassifier`` (its confidence of 1 is never a fallback), the risk classifier and
``CrisisSafetyNet``, which stays last. It never takes a crisis decision away: a message
whose top intent is ``crisis`` is left alone, the rest of the ranking (with any
``crisis`` score) is kept for the safety net's ranking check, and the risk classifier
and the safety net still judge every message after it.
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

from secure_base.crisis import CRISIS_INTENT
from secure_base.emoji_talk import INTENT_BY_KIND, EmojiSets, classify, default_sets
from secure_base.nlu.rule_component import RuleComponent

logger = logging.getLogger(__name__)

#: The output property that says what was recognised (``{"kind": ..., "intent": ...}``).
EMOJI_TALK_PROPERTY = "emoji_talk"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmojiTalkClassifier(RuleComponent, IntentClassifier):
    """Sets the intent of messages made only of emoji, emoticons or punctuation."""

    @staticmethod
    def supported_languages() -> Optional[List[str]]:
        """Emoji need no language, but the responses they lead to are English."""
        return ["en"]

    def __init__(self, config: Dict[str, Any], sets: Optional[EmojiSets] = None) -> None:
        """Creates the component.

        Args:
            config: The merged component config.
            sets: The emoji sets; defaults to ``secure_base/emoji_talk.yml`` (no options:
                the sets are data).
        """
        super().__init__(config)
        self._sets = sets if sets is not None else default_sets()

    def process_message(self, message: Message) -> None:
        """Sets the intent of an emoji- or punctuation-only message."""
        text = message.get(TEXT)
        kind = classify(text, self._sets) if isinstance(text, str) else None
        if kind is None:
            return
        current = message.get(INTENT)
        if isinstance(current, dict) and current.get(INTENT_NAME_KEY) == CRISIS_INTENT:
            # Never take a crisis away; the safety net after us decides.
            return
        intent = INTENT_BY_KIND[kind]
        chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = message.get(INTENT_RANKING_KEY)
        ranking = [e for e in ranking if isinstance(e, dict)] if isinstance(ranking, list) else []
        message.set(INTENT, chosen, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [dict(chosen)] + [e for e in ranking if e.get(INTENT_NAME_KEY) != intent],
            add_to_output=True,
        )
        message.set(EMOJI_TALK_PROPERTY, {"kind": kind, "intent": intent}, add_to_output=True)
        logger.debug("Emoji talk: a %s message, intent %s.", kind, intent)
