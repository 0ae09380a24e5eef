"""The cross-channel rules on the real servers, with Telegram calling a local provider.

The shared messaging stack (tests/messaging_stack.py) runs as `make run` starts it, with
Telegram enabled; its Bot API calls go to the scripted fake provider
(tests/fake_provider.py), and staff notifications to a local webhook receiver. They need
a trained model; no training data changed on this branch, so a model trained before it
will do.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select

from secure_base.db import get_engine, session_scope
from secure_base.messaging.cross_channel import disclosure_text, intake_elsewhere_text
from secure_base.messaging.models import FailedCrisisReply
from secure_base.profile import load_profile
from tests.fake_provider import Answer, FakeProvider
from tests.messaging_stack import TELEGRAM_SECRET, new_chat_id

pytestmark = [pytest.mark.server, pytest.mark.model]


def _post(stack, text: str, chat: int) -> None:  # type: ignore[no-untyped-def]
    update = {"update_id": chat, "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "A"}}}
    response = requests.post(f"{stack.url}/webhooks/telegram/webhook", json=update, timeout=120,
                             headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200


def _sent_to(provider: FakeProvider, chat: int) -> list[str]:
    """The texts sent to ``chat``, as Telegram shows them (they go in HTML parse_mode)."""
    import html

    texts = []
    for _method, path, body in list(provider.calls):
        if path.endswith("/sendMessage"):
            fields = parse_qs(body.decode())
            if fields.get("chat_id") == [str(chat)]:
                texts.append(html.unescape(fields["text"][0]))
    return texts


def test_booking_on_telegram_gets_the_website_not_the_form(messaging_stack, provider) -> None:
    provider.answer()
    chat = new_chat_id()
    _post(messaging_stack, "/start_intake", chat)
    disclosure, *replies = _sent_to(provider, chat)
    assert disclosure == disclosure_text(load_profile())
    assert replies == [intake_elsewhere_text(load_profile())]
    tracker = messaging_stack.tracker(str(chat))
    actions = [(e["name"], e.get("policy")) for e in tracker["events"]
               if e["event"] == "action"]
    names = [name for name, _policy in actions]
    # The form starts and ends at once; action_submit_intake closes it without a word.
    assert names[names.index("intake_form"):] == [
        "intake_form", "action_submit_intake", "action_listen"], actions
    assert not (tracker["active_loop"] or {}).get("name")
    assert tracker["slots"]["intake_stopped"] is None


def test_a_crisis_reply_the_provider_refuses_is_stored_and_told_to_staff(
        messaging_stack, provider, staff) -> None:
    chat = new_chat_id()
    provider.answer(*[Answer(503, only="/sendMessage")] * 30)
    _post(messaging_stack, "I want to end my life", chat)
    engine = get_engine(messaging_stack.env["SECURE_BASE_DATABASE_URL"])
    with session_scope(engine) as session:
        rows = list(session.execute(select(FailedCrisisReply).where(
            FailedCrisisReply.conversation_id == str(chat))).scalars())
    assert rows and rows[0].response.startswith("utter_crisis")
    assert rows[0].channel == "telegram" and rows[0].attempts == 3
    kinds = [r.json()["kind"] for r in staff.requests]
    assert "crisis_reply_failed" in kinds
    assert str(chat) not in b"".join(r.body for r in staff.requests).decode()


def test_with_the_action_server_down_a_crisis_still_gets_the_disclosure_and_the_lines(
        messaging_stack, provider) -> None:
    provider.answer()
    messaging_stack.stop("actions")
    try:
        chat = new_chat_id()
        _post(messaging_stack, "I want to end my life", chat)
        sent = _sent_to(provider, chat)
        assert sent[0] == disclosure_text(load_profile())
        assert load_profile().crisis.current().lines[0] in "\n".join(sent[1:])
    finally:
        messaging_stack.start_actions()  # the stack is shared with the other modules
