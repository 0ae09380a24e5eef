"""End-to-end checks over REST against the real servers with the trained model."""

from __future__ import annotations

import uuid

import pytest
import requests

from secure_base.profile import load_profile
from tests.stack import reply_text as texts

pytestmark = [pytest.mark.server, pytest.mark.model]

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "huge": "I keep wondering about attachment. " * 143,  # ~5,000 characters
    "emoji": "😀😀😀🙏",
    "html": "<script>alert('x')</script><b>hi</b>",
    "sql": "'; DROP TABLE events; -- SELECT * FROM users WHERE 1=1",
    "non_english": "¿Dónde está la consulta? Necesito ayuda con mi ansiedad.",
}


def test_greeting_discloses_automation_and_crisis_help(stack) -> None:
    replies = stack.send("hello", f"t-{uuid.uuid4()}")
    body = texts(replies)
    profile = load_profile()
    assert "automated assistant" in body
    assert "not a therapist" in body
    assert profile.practice.name in body
    assert profile.crisis.current().lines[0] in body


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_gets_a_sensible_reply(stack, kind: str) -> None:
    sender = f"bad-{kind}-{uuid.uuid4()}"
    replies = stack.send(BAD_INPUTS[kind], sender)
    assert replies, f"no reply to {kind}"
    body = texts(replies)
    assert body.strip()
    # The reply never echoes markup back.
    assert "<script>" not in body
    # The conversation keeps working afterwards.
    assert stack.send("hi", sender)


def test_malformed_webhook_is_a_client_error_not_a_crash(stack) -> None:
    url = f"{stack.url}/webhooks/rest/webhook"
    for body in (b"not json", b"[]", b'"hi"', b'{"sender": "x", "message": 5}',
                 b'{"sender": {"a": 1}, "message": "hi"}'):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"},
                                 timeout=30)
        assert response.status_code == 400, (body, response.status_code)
    # A body without a message is not an error: it is an empty message.
    response = requests.post(url, json={"sender": "empty-body"}, timeout=30)
    assert response.status_code == 200
    # Still healthy.
    assert stack.api("GET", "/status", timeout=10).status_code == 200


def test_crisis_is_the_top_intent_in_model_parse(stack) -> None:
    parsed = stack.parse("i want to kill myself")
    assert parsed["intent"]["name"] == "crisis"
    parsed = stack.parse("this homework is killing me")
    assert parsed["intent"]["name"] != "crisis"
