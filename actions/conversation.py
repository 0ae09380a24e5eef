"""Small talk that needs the conversation: examples and a welcome back.

``action_give_example`` gives an everyday example of the topic under discussion;
``action_welcome_back`` greets a returning visitor and never starts a new intake.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_faq_key
from actions.faq import mentioned_topics
from secure_base.topics import TOPIC_KEYS

#: Words by which a returning visitor refers to an intake they started or sent.
_INTAKE_WORDS = re.compile(
    r"\b(intake|form|questionnaire|application|applied|paperwork|signed up|sign up|"
    r"registered|submitted)\b",
    re.IGNORECASE,
)


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


def mentions_intake(text: Optional[str]) -> bool:
    """Whether a message refers to an intake (form, questionnaire, signing up ...)."""
    return bool(text and _INTAKE_WORDS.search(text))


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


class ActionWelcomeBack(Action):
    """Welcomes a returning visitor; about an intake, says how the practice follows up.

    It never starts the intake form: someone who already sent one should not be asked
    everything again, and "continue my intake" is there for someone who wants to go on.
    """

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_welcome_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Utters the welcome back that fits the message and the conversation."""
        sent_one = bool(tracker.get_slot("intake_submission_id"))
        if sent_one or mentions_intake(tracker.latest_message.get("text")):
            dispatcher.utter_message(response="utter_welcome_back_intake")
        else:
            dispatcher.utter_message(response="utter_welcome_back")
        return []
