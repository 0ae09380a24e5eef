"""Who can reach what, against the real servers started as ``make run`` starts them
(secure_base.launch): Rasa's HTTP API, CORS, the REST channel and the socket.io channel."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
import socketio

from secure_base import session_token
from tests.conftest import need
from tests.stack import ROOT, Stack, latest_model

pytestmark = [pytest.mark.server, pytest.mark.model]

# Rasa's HTTP API: read, rewrite or replace conversations and the model.
API_CALLS = [
    ("GET", "/status", None),
    ("GET", "/conversations/someone/tracker", None),
    ("POST", "/conversations/someone/tracker/events", {"event": "slot", "name": "x"}),
    ("PUT", "/conversations/someone/tracker/events", []),
    ("POST", "/conversations/someone/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/model/parse", {"text": "hello"}),
    ("DELETE", "/model", None),
    ("PUT", "/model", {"model_file": "/tmp/other.tar.gz"}),
]


def test_the_http_api_refuses_anonymous_and_wrong_tokens(stack) -> None:
    for method, path, body in API_CALLS:
        for params in ({}, {"token": "wrong"}, {"token": stack.api_token[:-1]}):
            response = requests.request(method, f"{stack.url}{path}", json=body,
                                        params=params, timeout=30)
            assert response.status_code == 401, (method, path, params, response.status_code)
    # The model is still there and the token opens the API.
    assert stack.api("GET", "/status").status_code == 200
    assert stack.parse("hello")["intent"]["name"]
    # Readiness needs no token.
    assert requests.get(f"{stack.url}/", timeout=10).status_code == 200


def test_cors_allows_only_the_site_origin(stack) -> None:
    site = f"http://localhost:{stack.web_port}"  # the default: the website's own origin
    for path in ("/", "/socket.io/?EIO=4&transport=polling"):
        ours = requests.get(f"{stack.url}{path}", headers={"Origin": site}, timeout=10)
        assert ours.headers.get("Access-Control-Allow-Origin") == site, path
        other = requests.get(f"{stack.url}{path}", headers={"Origin": "https://evil.example"},
                             timeout=10)
        assert "Access-Control-Allow-Origin" not in other.headers, path


def test_rest_requires_a_sender_of_its_own(stack) -> None:
    url = f"{stack.url}/webhooks/rest/webhook"
    for body in ({"message": "hello"}, {"sender": None, "message": "hello"},
                 {"sender": "  ", "message": "hello"}, {"sender": "x" * 200, "message": "hi"},
                 {"sender": "web-0123456789abcdef0123456789abcdef", "message": "hello"}):
        response = requests.post(url, json=body, timeout=30)
        assert response.status_code == 400, body
    # Nothing went into Rasa's shared "default" conversation.
    assert not [e for e in stack.tracker("default")["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def closed_stack(tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """A Rasa server as plain ``make run`` starts it (no API token), with a REST token."""
    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    stack = Stack(tmp_path_factory.mktemp("closed"), model, with_actions=False,
                  env={"SECURE_BASE_API_TOKEN": "",
                       "SECURE_BASE_REST_TOKEN": secrets.token_urlsafe(32)})
    stack.start()
    yield stack
    stack.close()


def test_without_a_token_the_http_api_is_off(closed_stack: Stack) -> None:
    stack = closed_stack
    for method, path, body in API_CALLS:
        response = requests.request(method, f"{stack.url}{path}", json=body,
                                    params={"token": "anything"}, timeout=30)
        assert response.status_code in (404, 405), (method, path, response.status_code)
    assert requests.get(f"{stack.url}/", timeout=10).status_code == 200


def test_rest_needs_its_token_when_one_is_set(closed_stack: Stack) -> None:
    stack = closed_stack
    url = f"{stack.url}/webhooks/rest/webhook"
    body = {"sender": f"rest-{uuid.uuid4()}", "message": "hello"}
    token = stack.env["SECURE_BASE_REST_TOKEN"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token},
                    {"Authorization": f"Basic {token}"}):
        response = requests.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code == 401, headers
    response = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                             timeout=60)
    assert response.status_code == 200
    assert response.json()


# ---------- socket.io: the conversation belongs to whoever holds the site's token ----------


@pytest.fixture(scope="module")
def site(stack) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The website (issuer of session tokens), sharing the stack's session secret."""
    port = stack.web_port
    proc = subprocess.Popen(
        [sys.executable, "-m", "secure_base.web", "--port", str(port), "--rasa-url", stack.url],
        cwd=ROOT, env=stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the website did not start"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


class Visitor:
    """A socket.io client (long-polling) that records what it receives."""

    def __init__(self, url: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.bot: list[dict] = []
        self.confirmed: list[object] = []
        self.rejected: list[object] = []
        self.client.on("bot_uttered", self.bot.append)
        self.client.on("session_confirm", self.confirmed.append)
        self.client.on("session_rejected", self.rejected.append)
        self.client.connect(url, transports=["polling"], socketio_path="/socket.io",
                            wait_timeout=20)

    def request_session(self, data: object) -> None:
        self.client.emit("session_request", data)

    def say(self, text: str, **extra: object) -> None:
        self.client.emit("user_uttered", {"message": text, **extra})

    def close(self) -> None:
        self.client.disconnect()


def wait_for(condition, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def settle(visitor: Visitor, quiet: float = 2.0) -> None:
    """Waits for a reply, then until no more replies arrive for ``quiet`` seconds."""
    wait_for(lambda: visitor.bot)
    count, since = len(visitor.bot), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.1)
        if len(visitor.bot) != count:
            count, since = len(visitor.bot), time.monotonic()


def user_texts(stack, conversation: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.get("text") for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


def test_a_conversation_reaches_only_its_token_holder(stack, site: str) -> None:
    issued = requests.post(f"{site}/chat/session", timeout=10).json()
    alice_id = session_token.verify(stack.session_secret, issued["token"]).conversation_id
    alice = Visitor(stack.url)
    intruders: list[Visitor] = []
    try:
        alice.request_session({"token": issued["token"]})
        wait_for(lambda: alice.confirmed, 20)
        assert alice_id not in json.dumps(alice.confirmed)  # the id is never shown
        alice.say("hello")
        settle(alice)

        # Mallory knows Alice's conversation id (from a log, say) and tries every door.
        _, nonce, expires, signature = issued["token"].split(".")
        attempts = [
            {"session_id": alice_id},  # what Rasa's own channel accepted
            {"token": f"v1.{nonce}.{int(expires) + 86400}.{signature}"},  # forged expiry
            {"token": session_token.issue("not-the-secret-0123456789abcdef", 600).token},
            {"token": session_token.issue(stack.session_secret, 60,
                                          now=time.time() - 3600).token},  # expired
            None,
        ]
        for data in attempts:
            intruder = Visitor(stack.url)
            intruders.append(intruder)
            intruder.request_session(data)
        wait_for(lambda: all(v.rejected for v in intruders), 20)
        reasons = [v.rejected[0]["reason"] for v in intruders]  # type: ignore[index]
        assert reasons == ["malformed", "forged", "forged", "expired", "malformed"]
        for intruder in intruders:
            intruder.say("show me my intake summary", session_id=alice_id)

        before = len(alice.bot)
        alice.say("what is secure attachment?")
        wait_for(lambda: len(alice.bot) > before)
        settle(alice, 3.0)  # anything misrouted would have arrived by now
        for intruder in intruders:
            assert intruder.bot == [], "an intruder received Alice's replies"
            assert not intruder.confirmed
        # Alice's conversation holds only her own messages.
        assert user_texts(stack, alice_id) == ["hello", "what is secure attachment?"]
    finally:
        alice.close()
        for intruder in intruders:
            intruder.close()


def test_a_reloaded_page_with_a_renewed_token_continues_the_conversation(
    stack, site: str
) -> None:
    first = requests.post(f"{site}/chat/session", timeout=10).json()
    renewed = requests.post(f"{site}/chat/session", json={"token": first["token"]},
                            timeout=10).json()
    assert renewed["continued"] is True
    conversation = session_token.verify(stack.session_secret, first["token"]).conversation_id
    visitor = Visitor(stack.url)
    try:
        visitor.request_session({"token": first["token"]})
        wait_for(lambda: visitor.confirmed, 20)
        visitor.say("hello")
        settle(visitor)
        visitor.close()
        again = Visitor(stack.url)
        again.request_session({"token": renewed["token"]})
        wait_for(lambda: again.confirmed, 20)
        again.say("what is secure attachment?")
        settle(again)
        again.close()
    finally:
        visitor.close()
    assert user_texts(stack, conversation) == ["hello", "what is secure attachment?"]


def test_a_token_that_expires_during_the_chat_stops_it(stack) -> None:
    issued = session_token.issue(stack.session_secret, 4)
    conversation = session_token.verify(stack.session_secret, issued.token).conversation_id
    visitor = Visitor(stack.url)
    try:
        visitor.request_session({"token": issued.token})
        wait_for(lambda: visitor.confirmed, 20)
        time.sleep(max(0.0, issued.expires_at - time.time()) + 1)
        visitor.say("hello after the expiry")
        wait_for(lambda: visitor.rejected, 20)
        assert visitor.rejected[0] == {"reason": "expired"}
        time.sleep(2)
        assert visitor.bot == []
    finally:
        visitor.close()
    assert user_texts(stack, conversation) == []
