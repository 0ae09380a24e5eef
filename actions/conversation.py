"""Small talk that needs the conversation: an everyday example of the current topic.

The rest of the small talk (thanks, "that's all", apologies, a welcome back, emoji) is
answered by static responses in data/rules/core.yml, so it works with this server down.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_faq_key
from actions.faq import mentioned_topics
from secure_base.topics import TOPIC_KEYS


def example_response(key: Optional[str]) -> Optional[str]:
    """The name of the example response for a topic key (``None`` for no topic)."""
    return f"utter_example_{key}" if key in TOPIC_KEYS else None


def current_topic(tracker: Tracker) -> Optional[str]:
    """The topic the person means: named now, else the last answered, else the slot."""
    named = mentioned_topics(tracker)
    if named:
        return named[0]
    key = latest_faq_key(tracker)
    if key in TOPIC_KEYS:
        return key
    slot = tracker.get_slot("topic")
    return slot if slot in TOPIC_KEYS else None


class ActionGiveExample(Action):
    """Gives one everyday example (``utter_example_<key>``) of the current topic."""

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_give_example"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Utters the example, or asks which topic when none has come up."""
        key = current_topic(tracker)
        response = example_response(key)
        if not response or response not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_ask_example_topic")
            return []
        dispatcher.utter_message(response=response)
        return [SlotSet("last_topic", key)]

