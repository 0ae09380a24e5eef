"""Article recommendations, and a gentle offer of reading after FAQ answers.

``action_recommend_articles`` answers ``request_articles`` and ``more_articles``:

1. The topic comes from, in order: a ``topic`` entity in the latest message; the FAQ
   key the FAQ action chose, when it turned a question into a reading request (searched
   together with the text); topic keywords in the latest message's text ("anything on
   saying no?"); the answer picker's confident key for the message itself, with its
   text ("send me something about why I push people away"); for "more", the topic of
   the previous recommendation (``last_topic``); the topic of the latest FAQ question;
   the ``topic`` slot; otherwise the free text is searched as it is. A bare "send me
   something to read" with nothing to go on gets the introductory articles.
2. Articles already shown (slot ``shown_articles``) are excluded, so "more" gives the
   next ones. Up to three are sent, each as ``utter_article`` (a card on the web widget,
   title and link elsewhere), after ``utter_articles_intro``.
3. Nothing relevant: ``utter_articles_none``; everything relevant already shown:
   ``utter_articles_no_more``; database trouble: ``utter_articles_error`` (logged
   without the person's text).

A bare "more" (``more_articles`` without reading words) right after an FAQ answer asks
to hear more, not for articles: it gets the deeper answer (``utter_more_<key>``).

``action_pick_article`` answers a number after a list ("2"): that article again (slot
``last_articles`` keeps the latest list in order).

``may_offer_reading`` decides whether an FAQ answer (``action_answer_faq``) carries the
offer to read: at most once per topic, at most every third FAQ answer, and only for
topics the catalog has articles on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.common import FAQ_INTENT, latest_faq_key, response_name, run_db
from secure_base.faq_choice import choose, faq_ranking
from secure_base.logsafe import describe_error
from secure_base.reading_requests import is_reading_request
from secure_base.topics import CONTENT_TOPIC_KEYS, TOPIC_KEYS

logger = logging.getLogger(__name__)

SHOWN_SLOT = "shown_articles"
LAST_ARTICLES_SLOT = "last_articles"
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
READING_PAYLOAD = "/request_articles"
# The offer as buttons on the FAQ answer itself (whose last line already asks whether to
# go on), so a reply carries one offer, not two; the same choices as utter_offer_more.
OFFER_BUTTONS = (
    {"title": "Tell me more", "payload": "/tell_me_more"},
    {"title": "Something to read", "payload": READING_PAYLOAD},
)


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
        answer_topic: The FAQ key chosen for this very message by the FAQ action (a
            question that asked for reading); searched together with the text.
        message_topic: The answer picker's confident FAQ key for this message, if any.

    """

    intent: Optional[str]
    entity_topics: List[str]
    text: str
    last_topic: Optional[str]
    faq_topic: Optional[str]
    slot_topic: Optional[str]
    shown: List[str] = field(default_factory=list)
    answer_topic: Optional[str] = None
    message_topic: Optional[str] = None


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


def request_input(tracker: Tracker, answer_topic: Optional[str] = None) -> RequestInput:
    """Collects the tracker data :func:`plan_and_recommend` needs.

    Args:
        tracker: The conversation.
        answer_topic: The FAQ key the FAQ action chose for the latest message, when it
            answers a question that asked for reading.

    """
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
    # The picker ranks every message, request_articles included; a confident key says
    # what "something about why I push people away" is about.
    message_topic = choose(faq_ranking(latest)).key if text else None
    return RequestInput(
        intent=(latest.get("intent") or {}).get("name"),
        entity_topics=entity_topics,
        text=text,
        last_topic=tracker.get_slot(LAST_TOPIC_SLOT),
        faq_topic=latest_faq_key(tracker),
        slot_topic=slot_topic if slot_topic in TOPIC_KEYS else None,
        shown=[str(s) for s in shown if isinstance(s, str)],
        answer_topic=answer_topic if answer_topic in TOPIC_KEYS else None,
        message_topic=message_topic,
    )


_REFERS_BACK = re.compile(
    r"\b(?:on|about|regarding|for|re|covering)\s+(?:this|that|it|these|those)\b"
    r"|\b(?:this|that|the same) (?:topic|subject|thing)\b",
    re.IGNORECASE,
)


def refers_back(text: str) -> bool:
    """Whether a request points at the topic just discussed ("an article on this")."""
    return bool(_REFERS_BACK.search(text or ""))


def plan_and_recommend(session: Session, request: RequestInput) -> Outcome:
    """Decides what the request is about and fetches the articles (runs in a worker thread).

    spaCy work (keyword topics, query lemmas) happens here too, off the event loop.
    """
    from secure_base.catalog.search import query_terms, recommend, topics_for_query

    topic: Optional[str] = None
    query: Optional[str] = None
    fresh = request.intent != MORE_INTENT and bool(request.text)
    if request.entity_topics:
        topic = request.entity_topics[0]
    elif request.answer_topic:
        topic = request.answer_topic
        query = request.text if request.text and query_terms(request.text) else None
    elif fresh and refers_back(request.text) and request.last_topic in TOPIC_KEYS:
        # "ok send me an article on this": the topic just discussed.
        topic = request.last_topic
    elif fresh and topics_for_query(request.text):
        query = request.text
    elif fresh and request.message_topic and query_terms(request.text):
        topic = request.message_topic
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
    if query is not None and topic is None:
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
        if (
            request.intent == MORE_INTENT
            and not is_reading_request(request.text)
            and last_reply_was_an_answer(tracker)
        ):
            # A bare "more" right after an answer means "say more", not "more articles".
            from actions.faq import tell_me_more  # actions.faq imports this module

            return tell_me_more(dispatcher, tracker, domain)
        return await send_recommendations(dispatcher, request)


# Topic answers (not article lists): a bare "more" after one of these means "say more".
ANSWER_PREFIXES = ("utter_faq/", "utter_more_", "utter_short_", "utter_compare_")


def last_reply_was_an_answer(tracker: Tracker) -> bool:
    """Whether the bot's last reply (before the latest message) answered a topic."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return False
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            name = response_name(event)
            if name:
                return name.startswith(ANSWER_PREFIXES)
    return False


async def send_recommendations(
    dispatcher: CollectingDispatcher, request: RequestInput
) -> List[EventType]:
    """Finds and sends the articles for a request; returns the slot events.

    Used by ``action_recommend_articles`` and by the FAQ action for a question that
    asks for reading.
    """
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
    sent = [a.slug for a in outcome.articles]
    shown = request.shown + [slug for slug in sent if slug not in request.shown]
    return [
        SlotSet(SHOWN_SLOT, shown[-MAX_SHOWN:]),
        SlotSet(LAST_ARTICLES_SLOT, sent),
        SlotSet(LAST_TOPIC_SLOT, topic),
    ]


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
        elif kind == "bot" and is_reading_offer(event):
            return count
    return None


def is_reading_offer(event: Dict[str, Any]) -> bool:
    """Whether a bot event offered reading (``utter_offer_more``, or offer buttons)."""
    if response_name(event) == OFFER_RESPONSE:
        return True
    buttons = (event.get("data") or {}).get("buttons") or []
    return any(isinstance(b, dict) and b.get("payload") == READING_PAYLOAD for b in buttons)


def _has_articles(session: Session, topic_key: str) -> bool:
    from secure_base.catalog.models import ArticleTopic

    stmt = select(ArticleTopic.article_id).where(ArticleTopic.topic_key == topic_key).limit(1)
    return session.execute(stmt).first() is not None


def offered_topics(tracker: Tracker) -> List[str]:
    """Topics reading was already offered for (slot ``reading_offered``)."""
    return [k for k in (tracker.get_slot(OFFERED_SLOT) or []) if isinstance(k, str)]


async def may_offer_reading(tracker: Tracker, key: str) -> bool:
    """Whether to offer reading after this FAQ answer, without nagging.

    At most once per topic, at most every third FAQ answer, only for content topics the
    catalog has articles on (a database error skips the offer: it is optional).
    """
    if key not in CONTENT_TOPIC_KEYS or key in offered_topics(tracker):
        return False
    since = faq_answers_since_last_offer(tracker)
    if since is not None and since < OFFER_EVERY:
        return False
    try:
        return bool(await run_db(_has_articles, key))
    except Exception as exc:  # noqa: BLE001 - an offer is optional; skip it quietly
        logger.warning("Reading offer skipped: %s", describe_error(exc))
        return False


_ORDINALS = {
    "first": 1, "1st": 1, "one": 1,
    "second": 2, "2nd": 2, "two": 2,
    "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4,
    "fifth": 5, "5th": 5, "five": 5,
}
_NUMBER_RE = re.compile(r"(?<![\d.])(\d{1,2})(?![\d.])")
_WORD_RE = re.compile(r"[a-z0-9]+")


def picked_position(text: str, count: int) -> Optional[int]:
    """The 1-based position a message picks from a list of ``count`` ("2", "the last one").

    Returns:
        The position, or ``None`` when the message names none or one outside the list.

    """
    lowered = (text or "").lower()
    position: Optional[int] = None
    digits = _NUMBER_RE.search(lowered)
    if digits:
        position = int(digits.group(1))
    else:
        for word in _WORD_RE.findall(lowered):
            if word in _ORDINALS:
                position = _ORDINALS[word]
                break
            if word == "last" and count:
                position = count
                break
    return position if position is not None and 1 <= position <= count else None


def _articles_by_slug(session: Session, slugs: List[str]) -> List[Dict[str, str]]:
    from secure_base.catalog.models import Article
    from secure_base.profile import load_profile

    found = {
        a.slug: a
        for a in session.execute(select(Article).where(Article.slug.in_(slugs))).scalars()
    }
    base_url = str(load_profile().articles.base_url)
    return [
        {"slug": s, "title": found[s].title, "summary": found[s].summary,
         "url": found[s].link_url(base_url), "topic": (found[s].topic_keys or ("",))[0]}
        for s in slugs if s in found
    ]


class ActionPickArticle(Action):
    """Answers a number after a list of articles ("2") with that article again."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_pick_article"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Sends the picked article's card, or says which it cannot tell."""
        listed = [s for s in (tracker.get_slot(LAST_ARTICLES_SLOT) or []) if isinstance(s, str)]
        text = str((tracker.latest_message or {}).get("text") or "")
        position = picked_position(text, len(listed))
        if position is None:
            dispatcher.utter_message(response="utter_pick_article_unknown")
            return []
        slug = listed[position - 1]
        try:
            found = await run_db(_articles_by_slug, [slug])
        except Exception as exc:  # noqa: BLE001 - same honest reply as a failed search
            logger.error("Article lookup failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_articles_error")
            return []
        if not found:
            # Removed from the catalog since it was listed.
            dispatcher.utter_message(response="utter_pick_article_unknown")
            return []
        article = found[0]
        dispatcher.utter_message(response="utter_pick_article_intro")
        dispatcher.utter_message(
            response="utter_article",
            title=article["title"], summary=article["summary"], url=article["url"],
        )
        topic = article["topic"] if article["topic"] in TOPIC_KEYS else None
        return [SlotSet(LAST_TOPIC_SLOT, topic)] if topic else []
