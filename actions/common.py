"""Helpers shared by the actions: database work off the event loop, topic lookup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from rasa_sdk import Tracker

from secure_base.db import get_engine, session_scope
from secure_base.faq_choice import choose, faq_ranking, payload_key
from secure_base.topics import TOPIC_KEYS

logger = logging.getLogger(__name__)
T = TypeVar("T")

FAQ_INTENT = "faq"


def _unit_of_work(work: Callable[..., T], *args: Any) -> T:
    with session_scope(get_engine()) as session:
        return work(session, *args)


async def run_db(work: Callable[..., T], *args: Any) -> T:
    """Runs ``work(session, *args)`` in one session, in a worker thread.

    The synchronous SQLAlchemy call never blocks the action server's event loop, and
    the session is committed or rolled back and closed on every path.
    """
    return await asyncio.to_thread(_unit_of_work, work, *args)


def response_name(event: dict[str, Any]) -> Optional[str]:
    """The name of the response a bot event uttered (``utter_x``), if Rasa recorded one."""
    metadata = event.get("metadata") or {}
    name = metadata.get("utter_action") or metadata.get("template_name")
    return str(name) if name else None


def named_topics(parse_data: dict[str, Any]) -> list[str]:
    """Topic keys of the ``topic`` entities of a parsed message, in order, once each."""
    keys: list[str] = []
    for entity in (parse_data or {}).get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") == "topic" and value in TOPIC_KEYS and value not in keys:
            keys.append(value)
    return keys


def faq_key_of(parse_data: dict[str, Any]) -> Optional[str]:
    """The FAQ topic key (``secure_attachment``) a parsed message was answered with.

    A button payload (``/faq{"topic": "secure_base"}``, or ``/faq/secure_base``) names its key; a
    typed question has the answer picker's key, unless the picker was unsure (then the
    question was answered with a clarifying question, and has no key).
    """
    parse_data = parse_data or {}
    named = named_topics(parse_data)
    text = str(parse_data.get("text") or "")
    if text.startswith("/"):
        return payload_key(text, named)
    return choose(faq_ranking(parse_data), named).key


def recent_faq_keys(tracker: Tracker, limit: int = 2) -> list[str]:
    """The last ``limit`` different topics asked about, most recent first.

    "What's the difference between the two?" after questions on the anxious and the
    avoidant pattern means those two.
    """
    keys: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parse_data = event.get("parse_data") or {}
        if (parse_data.get("intent") or {}).get("name") != FAQ_INTENT:
            continue
        key = faq_key_of(parse_data)
        if key and key not in keys:
            keys.append(key)
            if len(keys) == limit:
                break
    return keys


def latest_faq_key(tracker: Tracker) -> Optional[str]:
    """The topic of the most recent FAQ question in the conversation, if any."""
    recent = recent_faq_keys(tracker, 1)
    return recent[0] if recent else tracker.get_slot("last_topic")
