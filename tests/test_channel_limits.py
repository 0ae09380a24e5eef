"""Server-side size limits on the REST and socket.io channels, on the real servers.

The servers are started as `make run` starts them (tests/stack.py: same credentials.yml,
so the same channel classes); the socket.io client is python-socketio's own.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import requests
import socketio

from secure_base import session_token
from secure_base.channels import MAX_BODY_BYTES, MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES
from secure_base.profile import load_profile
from tests.stack import reply_text

pytestmark = [pytest.mark.server, pytest.mark.model]


def tracker_texts(stack, sender: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The texts of every user event Rasa stored for ``sender``."""
    return [e.get("text") or "" for e in stack.tracker(sender)["events"]
            if e["event"] == "user"]


def post(stack, payload: dict) -> requests.Response:  # type: ignore[no-untyped-def]
    return requests.post(f"{stack.url}/webhooks/rest/webhook", json=payload, timeout=60)


def test_rest_message_over_the_limit_gets_a_clear_reply_and_is_not_processed(
    stack,
) -> None:
    sender = f"long-{uuid.uuid4().hex}"
    text = "x" * (MAX_MESSAGE_CHARS + 1)
    response = post(stack, {"sender": sender, "message": text})
    assert response.status_code == 200
    (reply,) = response.json()
    assert reply["recipient_id"] == sender
    assert "too long" in reply["text"] and f"{MAX_MESSAGE_CHARS:,}" in reply["text"]
    # Nobody read it, so the crisis lines are in the reply.
    assert load_profile().crisis.current().lines[0] in reply["text"]
    assert text not in tracker_texts(stack, sender)
    # The conversation goes on normally.
    assert "too long" not in reply_text(stack.send("hello", sender))


def test_rest_message_at_the_limit_is_processed(stack) -> None:
    sender = f"limit-{uuid.uuid4().hex}"
    text = ("I keep wondering about attachment. " * 200)[:MAX_MESSAGE_CHARS]
    replies = stack.send(text, sender)
    assert replies and "too long" not in reply_text(replies)
    assert text in tracker_texts(stack, sender)


def test_rest_oversized_bodies_are_413_not_500(stack) -> None:
    sender = f"big-{uuid.uuid4().hex}"
    # Over the channel's body limit (a short message with a large metadata object).
    response = post(
        stack,
        {"sender": sender, "message": "hi", "metadata": {"pad": "y" * (MAX_BODY_BYTES + 1)}},
    )
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    # Over the whole server's limit, on any endpoint.
    for path in ("/webhooks/rest/webhook", "/model/parse"):
        response = requests.post(
            f"{stack.url}{path}",
            data=b"{" + b" " * (MAX_REQUEST_BYTES + 10) + b"}",
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 413, path
    assert stack.api("GET", "/status").status_code == 200
    assert tracker_texts(stack, sender) == []


def test_rest_client_cannot_name_the_input_channel(stack) -> None:
    sender = f"chan-{uuid.uuid4().hex}"
    response = post(
        stack, {"sender": sender, "message": "hello", "input_channel": "\u202eevil"}
    )
    assert response.status_code == 200
    assert stack.tracker(sender)["latest_input_channel"] == "rest"


async def _socket_session(stack) -> tuple[socketio.AsyncClient, str, asyncio.Queue]:  # type: ignore[no-untyped-def]
    """A socket.io client in a session the website issued; returns its conversation id."""
    url = stack.url
    issued = session_token.issue(stack.session_secret, 600)
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()

    @client.on("bot_uttered")
    async def _bot(data):  # type: ignore[no-untyped-def]
        await replies.put(data)

    @client.on("session_confirm")
    async def _confirm(session_id):  # type: ignore[no-untyped-def]
        if not confirmed.done():
            confirmed.set_result(session_id)

    # Long polling: the size limits below are those of the polling transport.
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    await client.emit("session_request", {"token": issued.token})
    await asyncio.wait_for(confirmed, 30)
    session_id = session_token.verify(stack.session_secret, issued.token).conversation_id
    return client, session_id, replies


async def _next_text(replies: asyncio.Queue, timeout: float = 60) -> str:
    return (await asyncio.wait_for(replies.get(), timeout)).get("text", "")


async def test_socketio_message_over_the_limit_gets_a_clear_reply(stack) -> None:
    client, session_id, replies = await _socket_session(stack)
    try:
        text = "z" * (MAX_MESSAGE_CHARS + 500)
        await client.emit("user_uttered", {"message": text, "session_id": session_id})
        reply = await _next_text(replies)
        assert "too long" in reply
        assert load_profile().crisis.current().lines[0] in reply
        # Malformed messages are ignored without breaking the connection.
        await client.emit("user_uttered", "not an object")
        await client.emit("user_uttered", {"message": 5, "session_id": session_id})
        await client.emit(
            "user_uttered", {"message": "hi", "session_id": session_id, "metadata": "{bad"}
        )
        assert await _next_text(replies)  # the reply to "hi"
        assert text not in tracker_texts(stack, session_id)
    finally:
        await client.disconnect()


async def test_socketio_oversized_packet_is_refused(stack) -> None:
    client, session_id, replies = await _socket_session(stack)
    try:
        await client.emit(
            "user_uttered",
            {"message": "hello", "session_id": session_id, "pad": "p" * (MAX_BODY_BYTES + 1)},
        )
        # Engine.IO refuses the POST (400) without reading it and closes the session.
        for _ in range(100):
            if not client.connected:
                break
            await asyncio.sleep(0.1)
        assert not client.connected
        assert replies.empty()
    finally:
        await client.disconnect()
        await client.eio.disconnect(abort=True)  # closes the HTTP session of a dropped client
    assert stack.api("GET", "/status").status_code == 200
    assert tracker_texts(stack, session_id) == []
