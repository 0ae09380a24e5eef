"""Follow-ups to FAQ answers: deeper answers and comparisons of confused topics."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_faq_key
from secure_base.topics import COMPARE_PAIRS, TOPIC_KEYS

_PAIR_ORDER = {frozenset(pair): pair for pair in COMPARE_PAIRS}


def mentioned_topics(tracker: Tracker) -> List[str]:
    """Topic keys named in the latest message (entity values after synonym mapping)."""
    keys: List[str] = []
    for entity in tracker.latest_message.get("entities", []) or []:
        value = entity.get("value")
        if entity.get("entity") == "topic" and value in TOPIC_KEYS and value not in keys:
            keys.append(value)
    return keys


def comparison_response(first: str, second: str) -> Optional[str]:
    """The name of the comparison response for two topics, if one exists."""
    pair = _PAIR_ORDER.get(frozenset((first, second)))
    return f"utter_compare_{pair[0]}__{pair[1]}" if pair else None


class ActionTellMeMore(Action):
    """Gives the deeper answer (``utter_more_<key>``) about the topic under discussion."""

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_tell_me_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Utters the deeper answer, or asks which topic when none was discussed."""
        named = mentioned_topics(tracker)
        key = named[0] if named else latest_faq_key(tracker)
        response = f"utter_more_{key}" if key else None
        if not response or response not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_no_topic_yet")
            return []
        dispatcher.utter_message(response=response)
        return [SlotSet("last_topic", key)]


class ActionCompareTopics(Action):
    """Explains how two commonly confused topics differ."""

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_compare_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Utters the comparison for the named pair (or the named topic and the last one)."""
        keys = mentioned_topics(tracker)
        if len(keys) == 1:
            last = latest_faq_key(tracker)
            if last and last != keys[0]:
                keys.append(last)
        if len(keys) < 2:
            dispatcher.utter_message(response="utter_compare_unknown")
            return []
        first, second = keys[:2]
        response = comparison_response(first, second)
        if response and response in domain.get("responses", {}):
            dispatcher.utter_message(response=response)
        else:
            # No side-by-side written for this pair: give each short answer in turn.
            for key in (first, second):
                dispatcher.utter_message(response=f"utter_faq/{key}")
        return [SlotSet("last_topic", second)]
