"""Helpers shared by the actions: database work off the event loop, topic lookup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from rasa_sdk import Tracker

from secure_base.db import get_engine, session_scope

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


def faq_key_of(parse_data: dict[str, Any]) -> Optional[str]:
    """The FAQ topic key (``secure_attachment``) a parsed message was answered with."""
    selector = (parse_data or {}).get("response_selector", {})
    for group in (FAQ_INTENT, "default"):
        full = (
            selector.get(group, {}).get("response", {}).get("intent_response_key") or ""
        )
        if full.startswith(f"{FAQ_INTENT}/"):
            return full.split("/", 1)[1]
    return None


def latest_faq_key(tracker: Tracker) -> Optional[str]:
    """The topic of the most recent FAQ question in the conversation, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            parse_data = event.get("parse_data") or {}
            if (parse_data.get("intent") or {}).get("name") == FAQ_INTENT:
                key = faq_key_of(parse_data)
                if key:
                    return key
    return tracker.get_slot("last_topic")
