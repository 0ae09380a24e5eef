"""Article recommendations, and a gentle offer of reading after FAQ answers.

``action_recommend_articles`` answers ``request_articles`` and ``more_articles``:

1. The topic comes from, in order: a ``topic`` entity in the latest message; topic
   keywords in the latest message's text ("anything on saying no?"); for "more", the
   topic of the previous recommendation (``last_topic``); the topic of the latest FAQ
   question; the ``topic`` slot; otherwise the free text is searched as it is. A bare
   "send me something to read" with nothing to go on gets the introductory articles.
2. Articles already shown (slot ``shown_articles``) are excluded, so "more" gives the
   next ones. Up to three are sent, each as ``utter_article`` (a card on the web widget,
   title and link elsewhere), after ``utter_articles_intro``.
3. Nothing relevant: ``utter_articles_none``; everything relevant already shown:
   ``utter_articles_no_more``; database trouble: ``utter_articles_error`` (logged
   without the person's text).

``action_offer_reading`` runs after each FAQ answer and sends ``utter_offer_more`` at
most once per topic and at most every third FAQ answer, and only for topics the catalog
has articles on; otherwise it stays silent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.common import FAQ_INTENT, latest_faq_key, run_db
from secure_base.logsafe import describe_error
from secure_base.topics import CONTENT_TOPIC_KEYS, TOPIC_KEYS

logger = logging.getLogger(__name__)

SHOWN_SLOT = "shown_articles"
LAST_TOPIC_SLOT = "last_topic"
OFFERED_SLOT = "reading_offered"
TOPIC_SLOT = "topic"
MORE_INTENT = "more_articles"
PER_TURN = 3
# Enough to never repeat an article in a conversation; bounded so the slot stays small.
MAX_SHOWN = 100
# "Send me something to read" with nothing to go on: start at the beginning.
STARTER_TOPIC = "what_is_attachment"
OFFER_EVERY = 3
OFFER_RESPONSE = "utter_offer_more"


@dataclass
class RequestInput:
    """What the recommendation needs from the tracker (plain data, safe to pass to a thread).

    Attributes:
        intent: Name of the latest intent.
        entity_topics: Topic keys of ``topic`` entities in the latest message.
        text: The latest message's text ("" for button payloads).
        last_topic: Slot ``last_topic``.
        faq_topic: Topic of the latest FAQ question (or ``last_topic``).
        slot_topic: Slot ``topic``.
        shown: Slugs already shown.

    """

    intent: Optional[str]
    entity_topics: List[str]
    text: str
    last_topic: Optional[str]
    faq_topic: Optional[str]
    slot_topic: Optional[str]
    shown: List[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What the database step decided.

    Attributes:
        status: ``ok``, ``none`` (nothing relevant) or ``no_more`` (all shown already).
        articles: The recommendations to send (status ``ok``).
        topic: The topic the request was about, if one was determined.

    """

    status: str
    articles: List[Any]
    topic: Optional[str]


def request_input(tracker: Tracker) -> RequestInput:
    """Collects the tracker data :func:`plan_and_recommend` needs."""
    latest = tracker.latest_message or {}
    entity_topics: List[str] = []
    for entity in latest.get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") == "topic" and value in TOPIC_KEYS and value not in entity_topics:
            entity_topics.append(value)
    text = str(latest.get("text") or "")
    if text.startswith("/"):
        text = ""  # a button payload such as /request_articles, not words to search
    shown = tracker.get_slot(SHOWN_SLOT)
    shown = shown if isinstance(shown, list) else []
    slot_topic = tracker.get_slot(TOPIC_SLOT)
    return RequestInput(
        intent=(latest.get("intent") or {}).get("name"),
        entity_topics=entity_topics,
        text=text,
        last_topic=tracker.get_slot(LAST_TOPIC_SLOT),
        faq_topic=latest_faq_key(tracker),
        slot_topic=slot_topic if slot_topic in TOPIC_KEYS else None,
        shown=[str(s) for s in shown if isinstance(s, str)],
    )


def plan_and_recommend(session: Session, request: RequestInput) -> Outcome:
    """Decides what the request is about and fetches the articles (runs in a worker thread).

    spaCy work (keyword topics, query lemmas) happens here too, off the event loop.
    """
    from secure_base.catalog.search import query_terms, recommend, topics_for_query

    topic: Optional[str] = None
    query: Optional[str] = None
    if request.entity_topics:
        topic = request.entity_topics[0]
    elif request.intent != MORE_INTENT and request.text and topics_for_query(request.text):
        query = request.text
    elif request.intent == MORE_INTENT and request.last_topic in TOPIC_KEYS:
        topic = request.last_topic
    elif request.faq_topic in TOPIC_KEYS:
        topic = request.faq_topic
    elif request.slot_topic:
        topic = request.slot_topic
    elif request.text and query_terms(request.text):
        query = request.text
    else:
        topic = STARTER_TOPIC

    found = recommend(
        session, topic_key=topic, query=query, exclude_slugs=request.shown, limit=PER_TURN
    )
    status = "ok"
    if not found:
        # Tell "nothing fits" from "you have seen everything that fits".
        seen_all = bool(request.shown) and bool(
            recommend(session, topic_key=topic, query=query, limit=1)
        )
        status = "no_more" if seen_all else "none"
    if query is not None:
        mapped = topics_for_query(query)
        if mapped:
            topic = mapped[0]
        elif found and found[0].topics:
            topic = found[0].topics[0]
    return Outcome(status, found, topic)


class ActionRecommendArticles(Action):
    """Recommends up to three articles for the topic or text of the request."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_recommend_articles"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Sends the recommendations (or an honest message) and updates the slots."""
        request = request_input(tracker)
        try:
            outcome = await run_db(plan_and_recommend, request)
        except Exception as exc:  # noqa: BLE001 - any failure gets the same honest reply
            logger.error("Article recommendation failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_articles_error")
            return [SlotSet(LAST_TOPIC_SLOT, request.last_topic)]

        topic = outcome.topic or request.last_topic
        if outcome.status == "none":
            dispatcher.utter_message(response="utter_articles_none")
            return [SlotSet(LAST_TOPIC_SLOT, topic)]
        if outcome.status == "no_more":
            dispatcher.utter_message(response="utter_articles_no_more")
            return [SlotSet(LAST_TOPIC_SLOT, topic)]

        dispatcher.utter_message(response="utter_articles_intro")
        for article in outcome.articles:
            dispatcher.utter_message(
                response="utter_article",
                title=article.title,
                summary=article.summary,
                url=article.url,
            )
        shown = request.shown + [a.slug for a in outcome.articles if a.slug not in request.shown]
        return [SlotSet(SHOWN_SLOT, shown[-MAX_SHOWN:]), SlotSet(LAST_TOPIC_SLOT, topic)]


def faq_answers_since_last_offer(tracker: Tracker) -> Optional[int]:
    """FAQ questions since the last reading offer (the current one included).

    Returns:
        The count, or ``None`` if reading was never offered in this conversation.

    """
    count = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == FAQ_INTENT:
                count += 1
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            uttered = metadata.get("utter_action") or metadata.get("template_name")
            if uttered == OFFER_RESPONSE:
                return count
    return None


def _has_articles(session: Session, topic_key: str) -> bool:
    from secure_base.catalog.models import ArticleTopic

    stmt = select(ArticleTopic.article_id).where(ArticleTopic.topic_key == topic_key).limit(1)
    return session.execute(stmt).first() is not None


class ActionOfferReading(Action):
    """After an FAQ answer, offers to go deeper or read more, without nagging."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_offer_reading"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Sends ``utter_offer_more`` when allowed; otherwise nothing."""
        key = latest_faq_key(tracker)
        if not key:
            return []
        events: List[EventType] = [SlotSet(LAST_TOPIC_SLOT, key)]
        offered = [k for k in (tracker.get_slot(OFFERED_SLOT) or []) if isinstance(k, str)]
        if key not in CONTENT_TOPIC_KEYS or key in offered:
            return events
        since = faq_answers_since_last_offer(tracker)
        if since is not None and since < OFFER_EVERY:
            return events
        try:
            available = await run_db(_has_articles, key)
        except Exception as exc:  # noqa: BLE001 - an offer is optional; skip it quietly
            logger.warning("Reading offer skipped: %s", describe_error(exc))
            return events
        if not available:
            return events
        dispatcher.utter_message(response=OFFER_RESPONSE)
        return events + [SlotSet(OFFERED_SLOT, offered + [key])]
