"""FAQ answers and their follow-ups.

``action_answer_faq`` answers the retrieval intent ``faq`` (it replaces the plain
``utter_faq`` rule). In order:

1. A message that carries a feeling (:mod:`secure_base.feelings`) opens with one line
   that reflects it (``utter_acknowledge_<feeling>``).
2. The topic: a button payload names it (``/faq{"topic": "<key>"}``); otherwise the
   answer picker's ranking decides, and when it is unsure
   (:mod:`secure_base.faq_choice`) the reply is a question with the two likeliest
   topics as buttons (``utter_clarify_topic``), not a guess.
3. A question that asks for reading (:mod:`secure_base.reading_requests`) gets the
   articles on that topic, in the same reply (after the answer when the message also
   asks a question of its own).
4. A question that asks for an example of the topic (:mod:`secure_base.example_requests`)
   gets its everyday example (``utter_example_<key>``).
5. An answer already given in this session is not repeated word for word: a short
   pointer (``utter_mentioned_above`` + ``utter_short_<key>``) and one offer instead.
6. Otherwise the answer (``utter_faq/<key>``), with the reading offer as its buttons when
   due (``actions.articles.may_offer_reading``): one offer per reply, not two.

``action_explain_simpler`` ("simpler please") gives the short version of the topic under
discussion; ``action_tell_me_more`` the deeper one; ``action_compare_topics`` compares.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.articles import (
    LAST_TOPIC_SLOT,
    OFFER_BUTTONS,
    OFFER_RESPONSE,
    OFFERED_SLOT,
    may_offer_reading,
    offered_topics,
    request_input,
    send_recommendations,
)
from actions.common import latest_faq_key, named_topics, recent_faq_keys, response_name
from secure_base.example_requests import asks_for_example
from secure_base.faq_choice import Choice, choose, faq_ranking, payload_key, title
from secure_base.feelings import detect_feeling
from secure_base.reading_requests import asks_a_question_too, is_reading_request
from secure_base.topics import COMPARE_PAIRS, CONTENT_TOPIC_KEYS, TOPIC_KEYS

# The answers of the retrieval intent: utter_faq/<key>, uttered by action_answer_faq.
FAQ_RESPONSES = "utter_faq"
_PAIR_ORDER = {frozenset(pair): pair for pair in COMPARE_PAIRS}
_ASKS_SIMPLER = re.compile(r"\b(?:simpl\w*|easier|plainer|plain words|eli5|dumb (?:it )?down)\b",
                           re.IGNORECASE)


def mentioned_topics(tracker: Tracker) -> List[str]:
    """Topic keys named in the latest message (entity values after synonym mapping)."""
    return named_topics(tracker.latest_message or {})


def faq_payload(key: str) -> str:
    """A button payload that asks the FAQ question for ``key``.

    Rasa 3.6 parses ``/<intent>{entities}`` payloads only for intents in the domain, and
    ``faq/<key>`` is not one (``/faq/<key>`` is parsed as text by the NLU pipeline), so
    the key travels as a ``topic`` entity of the intent ``faq``.
    """
    return "/faq" + json.dumps({"topic": key})


def clarify_buttons(keys: Tuple[str, ...]) -> List[Dict[str, str]]:
    """One button per likely topic, each asking that topic's FAQ question."""
    return [{"title": title(key), "payload": faq_payload(key)} for key in keys]


def answers_given(tracker: Tracker) -> List[str]:
    """Responses uttered since the session started, oldest first."""
    uttered: List[str] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind == "session_started":
            uttered = []
        elif kind == "bot":
            name = response_name(event)
            if name:
                uttered.append(name)
    return uttered


def choose_topic(tracker: Tracker, reading_request: bool = False) -> Choice:
    """The topic key to answer, or the options to ask between.

    Args:
        tracker: The conversation.
        reading_request: The latest message asks for something to read.
    """
    latest = tracker.latest_message or {}
    named = mentioned_topics(tracker)
    text = str(latest.get("text") or "")
    if text.startswith("/"):
        # A button: the key is in the payload; no ranking to consult.
        return Choice(payload_key(text, named))
    last = tracker.get_slot(LAST_TOPIC_SLOT)
    # An ambiguous word ("boundaries") is asked about before an answer, not before
    # reading: the articles the picker's topic brings are a fine start either way.
    return choose(faq_ranking(latest), named, text="" if reading_request else text,
                  last_topic=last if last in TOPIC_KEYS else None)


def acknowledge(dispatcher: CollectingDispatcher, text: str, responses: Dict[str, Any]) -> None:
    """Opens with a line that reflects a feeling the message carries, if any."""
    feeling = detect_feeling(text)
    if feeling is None:
        return
    response = feeling.response if feeling.response in responses else "utter_acknowledge_generic"
    if response in responses:
        dispatcher.utter_message(response=response)


class ActionAnswerFaq(Action):
    """Answers an FAQ question: acknowledge, then answer, ask, point back or send reading."""

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Sends the reply for the latest FAQ question (see the module docstring)."""
        responses = domain.get("responses", {})
        text = str((tracker.latest_message or {}).get("text") or "")
        acknowledge(dispatcher, text, responses)

        reading_request = is_reading_request(text)
        choice = choose_topic(tracker, reading_request)
        if choice.key is None and reading_request:
            # Unsure between topics, but reading was asked for: the catalog's search over
            # the message's own words ("I pull away... something to read") picks it.
            return await send_recommendations(dispatcher, request_input(tracker))
        if choice.key is None:
            if choice.options:
                dispatcher.utter_message(
                    response="utter_clarify_topic", buttons=clarify_buttons(choice.options)
                )
            else:
                dispatcher.utter_message(response="utter_clarify_open")
            return []
        key = choice.key

        if reading_request:
            if asks_a_question_too(text):
                # "What is X? Any article on it?": the answer, then the reading.
                dispatcher.utter_message(response=f"{FAQ_RESPONSES}/{key}")
            return await send_recommendations(
                dispatcher, request_input(tracker, answer_topic=key)
            )

        events: List[EventType] = [SlotSet(LAST_TOPIC_SLOT, key)]
        example = f"utter_example_{key}"
        if asks_for_example(text) and example in responses:
            # "An example of the anxious one, in dating?": the example, not the answer.
            dispatcher.utter_message(response=example)
            return events
        answer = f"{FAQ_RESPONSES}/{key}"
        short = f"utter_short_{key}"
        if answer in answers_given(tracker) and short in responses:
            dispatcher.utter_message(response="utter_mentioned_above")
            dispatcher.utter_message(response=short)
            if key in CONTENT_TOPIC_KEYS:
                # The one offer of this reply: go deeper, or read.
                dispatcher.utter_message(response=OFFER_RESPONSE)
            return events

        if await may_offer_reading(tracker, key):
            dispatcher.utter_message(response=answer, buttons=[dict(b) for b in OFFER_BUTTONS])
            events.append(SlotSet(OFFERED_SLOT, offered_topics(tracker) + [key]))
        else:
            dispatcher.utter_message(response=answer)
        return events


class ActionExplainSimpler(Action):
    """Gives the short, plain version (``utter_short_<key>``) of the topic under discussion."""

    def name(self) -> Text:
        """Action name used in the domain."""
        return "action_explain_simpler"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Utters the short version, or asks which topic when none was discussed."""
        named = mentioned_topics(tracker)
        last = tracker.get_slot(LAST_TOPIC_SLOT)
        key = named[0] if named else (last if last in TOPIC_KEYS else latest_faq_key(tracker))
        response = f"utter_short_{key}" if key else None
        if not response or response not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_simpler_no_topic")
            return []
        dispatcher.utter_message(response="utter_simpler_intro")
        dispatcher.utter_message(response=response)
        return [SlotSet(LAST_TOPIC_SLOT, key)]


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
        return tell_me_more(dispatcher, tracker, domain)


def tell_me_more(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
) -> List[EventType]:
    """Utters ``utter_more_<key>`` for the named topic or the one under discussion."""
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
        if not keys:
            # "What's the difference between the two?": the last two topics asked about.
            recent = recent_faq_keys(tracker, 2)
            keys = recent[::-1] if len(recent) == 2 else []  # in the order they were asked
        if len(keys) == 1:
            last = latest_faq_key(tracker)
            if last and last != keys[0]:
                keys.append(last)
        if len(keys) == 1:
            # One topic and nothing to set it against ("explain the anxious one simpler"):
            # the NLU's comparison was a misreading; answer about that topic instead.
            text = str((tracker.latest_message or {}).get("text") or "")
            if _ASKS_SIMPLER.search(text):
                return await ActionExplainSimpler().run(dispatcher, tracker, domain)
            return await ActionAnswerFaq().run(dispatcher, tracker, domain)
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
                dispatcher.utter_message(response=f"{FAQ_RESPONSES}/{key}")
        return [SlotSet("last_topic", second)]
