"""Messaging webhooks are verified before anything is read (secure_base/messaging/).

A real Sanic server (on a free port) serves the four channels' blueprints exactly as
Rasa registers them; its ``on_new_message`` records what reaches it and answers through
the channel's output, whose API URL points at a local fake provider that records every
call. Requests are signed here from each provider's documented algorithm, not with the
code under test.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode, urljoin

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic
from sanic.response import text

from secure_base.channels import MAX_MESSAGE_CHARS
from secure_base.messaging.facebook import VerifiedFacebookInput
from secure_base.messaging.slack import VerifiedSlackInput
from secure_base.messaging.telegram import VerifiedTelegramInput
from secure_base.messaging.twilio import VerifiedTwilioInput
from secure_base.messaging.webhook import MAX_WEBHOOK_BYTES
from secure_base.settings import (
    FacebookSettings,
    SlackSettings,
    TelegramSettings,
    TwilioSettings,
    load_settings,
    shell_exports,
)
from tests.fake_provider import FakeProvider
from tests.messaging_stack import (
    FB_PAGE_TOKEN,
    FB_SECRET,
    FB_VERIFY,
    SLACK_SECRET,
    SLACK_TOKEN,
    TELEGRAM_BOT_NAME,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    TWILIO_WHATSAPP_NUMBER,
    new_chat_id,
)
from tests.stack import free_port

#: Written into every request body; it must never appear in a log.
MARKER = "my-private-words-" + uuid.uuid4().hex


@dataclass
class Webhooks:
    """The Sanic server with the channels, and what reached ``on_new_message``."""

    port: int
    received: list[UserMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.received]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        """Slack hands messages on in a background task: wait for them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)


def _channels(provider: FakeProvider, public_url: str = "") -> list:
    return [
        VerifiedTelegramInput.from_settings(TelegramSettings(
            token=TELEGRAM_TOKEN, bot_name="@" + TELEGRAM_BOT_NAME, secret=TELEGRAM_SECRET,
            api_url=provider.url)),
        VerifiedTwilioInput.from_settings(TwilioSettings(
            account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN, number=TWILIO_NUMBER,
            whatsapp_number=TWILIO_WHATSAPP_NUMBER, public_url=public_url,
            api_url=provider.url)),
        VerifiedFacebookInput.from_settings(FacebookSettings(
            verify=FB_VERIFY, secret=FB_SECRET, page_token=FB_PAGE_TOKEN,
            api_url=provider.url)),
        VerifiedSlackInput.from_settings(SlackSettings(
            token=SLACK_TOKEN, signing_secret=SLACK_SECRET, api_url=provider.url + "/")),
    ]


def _off_channels() -> list:
    """Channels whose variables are not (all) set."""
    return [VerifiedTelegramInput.from_settings(TelegramSettings(token=TELEGRAM_TOKEN)),
            VerifiedTwilioInput.from_settings(TwilioSettings()),
            VerifiedFacebookInput.from_settings(FacebookSettings()),
            VerifiedSlackInput.from_settings(SlackSettings())]


def _serve(groups: dict[str, list],
           answer: Callable[[UserMessage], Awaitable[None]] | None = None
           ) -> Iterator[Webhooks]:
    """Runs one Sanic app with each group of channels under its route prefix.

    ``/webhooks/`` is registered by Rasa's own ``register``. Sanic 21.12 rewrites its
    request handling code for the first app it starts (its "touch-up"), which breaks a
    second app in the same process, unless in test mode (then each app starts from the
    original code): test mode is on, so other test modules can serve their own. The
    channels that are off are mounted under another prefix (they have no routes, so
    their names cannot clash). Each message is answered "Thanks.", or by ``answer``.
    """
    Sanic.test_mode = True
    hooks = Webhooks(free_port())
    app = Sanic(f"webhooks_{uuid.uuid4().hex[:8]}")

    async def on_new_message(message: UserMessage) -> None:
        hooks.received.append(message)
        if answer is not None:
            await answer(message)
            return
        await message.output_channel.send_text_message(message.sender_id, "Thanks.")

    # Rasa's register() hands messages to app.ctx.agent; this one records them.
    app.ctx.agent = type("Agent", (), {"handle_message": staticmethod(on_new_message)})()
    for route, channels in groups.items():
        if route == "/webhooks/":
            register(channels, app, route)
            continue
        for channel in channels:
            blueprint = channel.blueprint(on_new_message)
            blueprint.name = f"{route.strip('/').replace('/', '_')}_{blueprint.name}"
            app.blueprint(blueprint, url_prefix=urljoin(route, channel.url_prefix()))
    app.add_route(lambda _request: text("Hello"), "/")  # as Rasa's server has
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            server = await app.create_server(host="127.0.0.1", port=hooks.port,
                                             return_asyncio_server=True)
            await server.startup()
            await server.before_start()
            await server.after_start()
            holder["server"] = server
            ready.set()

        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            holder["error"] = exc
            ready.set()
            return
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(20) and "error" not in holder, f"not started: {holder.get('error')!r}"
    yield hooks
    loop.call_soon_threadsafe(holder["server"].close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


#: The server is behind a proxy: Twilio calls (and signs) this base URL.
PUBLIC_BASE = "https://chat.example.org"


@pytest.fixture(scope="module")
def webhooks(fake_provider: FakeProvider, tmp_path_factory) -> Iterator[Webhooks]:  # type: ignore[no-untyped-def]
    # The Twilio channel reads SMS opt-outs from the application database: a private one.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path_factory.mktemp("webhooks-data")))
        patch.delenv("SECURE_BASE_DATABASE_URL", raising=False)
        yield from _serve({
            "/webhooks/": _channels(fake_provider, public_url=PUBLIC_BASE + "/"),
            "/off/webhooks/": _off_channels(),
        })


@pytest.fixture()
def hooks(webhooks: Webhooks, provider: FakeProvider, caplog, monkeypatch) -> Iterator[Webhooks]:  # type: ignore[no-untyped-def]
    """The shared server, emptied; every test ends checking that no log has a body."""
    from secure_base.messaging import replies

    # Each test's senders are new to the server: their first reply is disclosed.
    monkeypatch.setattr(replies, "disclosed_senders", replies.DisclosedSenders())
    webhooks.received.clear()
    provider.calls.clear()
    caplog.set_level(logging.DEBUG)
    yield webhooks
    for secret in (MARKER, TELEGRAM_SECRET, TWILIO_TOKEN, FB_SECRET, SLACK_SECRET):
        assert secret not in caplog.text


def _reached(hooks: Webhooks) -> bool:
    return any(MARKER in text for text in hooks.texts())


# --- Telegram ------------------------------------------------------------------------

def telegram_update(text: str = MARKER, chat_id: int = 42) -> dict:
    return {"update_id": 1000, "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A"}}}


def post_telegram(hooks: Webhooks, body: bytes | dict, secret: str | None = TELEGRAM_SECRET
                  ) -> requests.Response:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return requests.post(f"{hooks.url}/webhooks/telegram/webhook", data=data,
                         headers=headers, timeout=30)


def test_telegram_update_with_the_secret_reaches_the_assistant(hooks, provider) -> None:
    response = post_telegram(hooks, telegram_update())
    assert response.status_code == 200
    (message,) = hooks.received
    assert (message.text, str(message.sender_id), message.input_channel) == (
        MARKER, "42", "telegram")
    # The reply went to SECURE_BASE_TELEGRAM_API_URL with the bot's token.
    assert f"/bot{TELEGRAM_TOKEN}/sendMessage" in provider.paths()


def test_telegram_button_press_reaches_the_assistant(hooks) -> None:
    update = {"update_id": 9, "callback_query": {
        "id": "1", "chat_instance": "1", "data": "/affirm",
        "from": {"id": 42, "is_bot": False, "first_name": "A"},
        "message": {"message_id": 2, "date": 0, "chat": {"id": 42, "type": "private"}}}}
    assert post_telegram(hooks, update).status_code == 200
    assert [(m.text, str(m.sender_id)) for m in hooks.received] == [("/affirm", "42")]


@pytest.mark.parametrize("secret, status", [(None, 401), ("", 401),
                                            ("wrong-" + TELEGRAM_SECRET, 403),
                                            (TELEGRAM_SECRET[:-1], 403)])
def test_telegram_update_without_the_right_secret_is_refused(hooks, provider, secret,
                                                             status) -> None:
    response = post_telegram(hooks, telegram_update(), secret)
    assert response.status_code == status
    assert not hooks.received and not provider.calls


@pytest.mark.parametrize("body", [b"not json " + MARKER.encode(), b"[1, 2]",
                                  json.dumps({"message": {"text": MARKER}}).encode(),
                                  json.dumps({"update_id": "x", "text": MARKER}).encode(),
                                  json.dumps({"update_id": 3, "message": {"text": MARKER}}
                                             ).encode(),
                                  json.dumps({"update_id": 3, "message": MARKER}).encode()])
def test_telegram_malformed_update_is_400(hooks, provider, body) -> None:
    assert post_telegram(hooks, body).status_code == 400
    assert not hooks.received and not provider.calls


def test_telegram_update_with_nothing_to_read_is_acknowledged(hooks, provider) -> None:
    update = {"update_id": 7, "my_chat_member": {"chat": {"id": 1, "type": "private"}}}
    assert post_telegram(hooks, update).status_code == 200
    inline_button = {"update_id": 8, "callback_query": {
        "id": "1", "chat_instance": "1", "data": MARKER, "inline_message_id": "i",
        "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    assert post_telegram(hooks, inline_button).status_code == 200
    assert not hooks.received


def test_telegram_set_webhook_route_is_gone(hooks, provider) -> None:
    for method in ("GET", "POST"):
        response = requests.request(method, f"{hooks.url}/webhooks/telegram/set_webhook",
                                    timeout=30)
        assert response.status_code == 404
    assert not provider.calls


def test_a_message_over_the_limit_is_answered_not_read(hooks, provider) -> None:
    long_text = MARKER + "x" * MAX_MESSAGE_CHARS
    assert post_telegram(hooks, telegram_update(long_text)).status_code == 200
    assert not hooks.received
    # The first-message disclosure, then the answer.
    disclosure, sent = (body for _m, path, body in provider.calls
                        if path.endswith("/sendMessage"))
    assert "automated assistant" in unquote_plus(disclosure.decode())
    assert "too long" in unquote_plus(sent.decode())


def test_an_oversized_body_is_413(hooks, provider) -> None:
    update = telegram_update()
    update["padding"] = "y" * MAX_WEBHOOK_BYTES
    assert post_telegram(hooks, update).status_code == 413
    assert not hooks.received


# --- Twilio ----------------------------------------------------------------------------

def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """Twilio's documented algorithm: HMAC-SHA1 of the URL + sorted name/value pairs."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
                            ).decode()


def twilio_params(sender: str = "+15557654321", text: str = MARKER) -> dict[str, str]:
    return {"From": sender, "To": "+15550001111", "Body": text, "AccountSid": TWILIO_SID,
            "MessageSid": "SM" + "2" * 32, "NumMedia": "0"}


def twilio_urls(hooks: Webhooks, query: str = "") -> tuple[str, str]:
    """The URL to post to, and the public URL Twilio signs (SECURE_BASE_TWILIO_PUBLIC_URL)."""
    path = f"/webhooks/twilio/webhook{query}"
    return f"{hooks.url}{path}", f"{PUBLIC_BASE}{path}"


def post_twilio(url: str, params: dict[str, str], signature: str | None,
                content_type: str = "application/x-www-form-urlencoded") -> requests.Response:
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(url, data=urlencode(params),
                         headers=headers, timeout=30)


def test_twilio_signed_sms_reaches_the_assistant_and_is_answered_from_the_sms_number(
        hooks, provider) -> None:
    params = twilio_params()
    url, signed = twilio_urls(hooks, "?source=sms")
    response = post_twilio(url, params, twilio_signature(signed, params))
    assert response.status_code == 204
    (message,) = hooks.received
    assert (message.text, message.sender_id, message.input_channel) == (
        MARKER, "+15557654321", "twilio")
    # A first message: the disclosure (secure_base/messaging/replies.py), then the reply.
    disclosure, reply = (c for c in provider.calls if c[1].endswith("Messages.json"))
    for _method, path, body in (disclosure, reply):
        assert path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
        assert b"From=%2B15550001111" in body
    assert b"automated+assistant" in disclosure[2] and b"Thanks." in reply[2]


def test_twilio_whatsapp_is_answered_from_the_whatsapp_number(hooks, provider) -> None:
    params = twilio_params(sender="whatsapp:+15557654321")
    url, signed = twilio_urls(hooks)
    assert post_twilio(url, params, twilio_signature(signed, params)).status_code == 204
    assert hooks.received[0].sender_id == "whatsapp:+15557654321"
    bodies = [c[2] for c in provider.calls if c[1].endswith("Messages.json")]
    assert len(bodies) == 2  # the first-message disclosure, then the reply
    assert all(b"From=whatsapp%3A%2B15550002222" in body for body in bodies)


def test_twilio_unsigned_forged_or_tampered_requests_are_refused(hooks, provider) -> None:
    params = twilio_params()
    url, signed = twilio_urls(hooks)
    tampered = {**params, "From": "+15550009999"}
    assert post_twilio(url, params, None).status_code == 401
    assert post_twilio(url, params, "").status_code == 401
    assert post_twilio(url, params,
                       twilio_signature(signed, params, "another-token")).status_code == 403
    assert post_twilio(url, tampered, twilio_signature(signed, params)).status_code == 403
    # Signed for another URL (a replay from another endpoint).
    other = f"{PUBLIC_BASE}/webhooks/twilio/other"
    assert post_twilio(url, params, twilio_signature(other, params)).status_code == 403
    assert not hooks.received and not provider.calls


def test_twilio_malformed_requests_are_400(hooks, provider) -> None:
    url, signed = twilio_urls(hooks)
    params = twilio_params()
    response = post_twilio(url, params, twilio_signature(signed, params),
                           content_type="application/json")
    assert response.status_code == 400
    no_sender = {k: v for k, v in params.items() if k != "From"}
    assert post_twilio(url, no_sender,
                       twilio_signature(signed, no_sender)).status_code == 400
    assert not hooks.received and not provider.calls


def test_twilio_behind_a_proxy_checks_the_public_url(hooks) -> None:
    params = twilio_params()
    url, public = twilio_urls(hooks)
    # Signed for the URL the server sees, not the one Twilio called: refused.
    assert post_twilio(url, params, twilio_signature(url, params)).status_code == 403
    assert not hooks.received
    assert post_twilio(url, params, twilio_signature(public, params)).status_code == 204
    assert hooks.texts() == [MARKER]


# --- Messenger -------------------------------------------------------------------------

def messenger_event(text: str = MARKER) -> dict:
    return {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [{
        "sender": {"id": "psid-1"}, "recipient": {"id": "page"}, "timestamp": 1,
        "message": {"mid": "m1", "text": text}}]}]}


def post_messenger(hooks: Webhooks, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{hooks.url}/webhooks/facebook/webhook", data=body,
                         headers={"Content-Type": "application/json", **headers}, timeout=30)


def sha256_header(body: bytes, secret: str = FB_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def test_messenger_handshake_needs_the_verify_token(hooks) -> None:
    url = f"{hooks.url}/webhooks/facebook/webhook"
    good = {"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"}
    response = requests.get(url, params=good, timeout=30)
    assert (response.status_code, response.text) == (200, "1158201444")
    assert requests.get(url, params={**good, "hub.verify_token": ""},
                        timeout=30).status_code == 401
    assert requests.get(url, params={**good, "hub.verify_token": FB_VERIFY + "x"},
                        timeout=30).status_code == 403
    assert requests.get(url, params={**good, "hub.challenge": ""}, timeout=30).status_code == 400


def test_messenger_signed_event_reaches_the_assistant(hooks, provider) -> None:
    body = json.dumps(messenger_event()).encode()
    assert post_messenger(hooks, body, sha256_header(body)).status_code == 200
    (message,) = hooks.received
    assert (message.text, message.sender_id, message.input_channel) == (
        MARKER, "psid-1", "facebook")
    assert any("/me/messages" in path for path in provider.paths())


def test_messenger_unsigned_or_forged_events_are_refused(hooks, provider) -> None:
    body = json.dumps(messenger_event()).encode()
    sha1 = "sha1=" + hmac.new(FB_SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert post_messenger(hooks, body, {}).status_code == 401
    # Rasa's connector accepted the SHA-1 header alone; it is not enough.
    assert post_messenger(hooks, body, {"X-Hub-Signature": sha1}).status_code == 401
    assert post_messenger(hooks, body, sha256_header(body, "other")).status_code == 403
    assert post_messenger(hooks, body, {"X-Hub-Signature-256": "sha256=zz"}).status_code == 403
    other = json.dumps(messenger_event("something else")).encode()
    assert post_messenger(hooks, other, sha256_header(body)).status_code == 403
    assert not hooks.received and not provider.calls


@pytest.mark.parametrize("body", [b"{" + MARKER.encode(), b'"' + MARKER.encode() + b'"',
                                  json.dumps({"object": "page", "entry": MARKER}).encode(),
                                  json.dumps({"entry": [{"messaging": [MARKER]}]}).encode()])
def test_messenger_malformed_signed_events_are_400(hooks, provider, body) -> None:
    assert post_messenger(hooks, body, sha256_header(body)).status_code == 400
    assert not hooks.received and not provider.calls


# --- Slack -----------------------------------------------------------------------------

def slack_headers(body: bytes, timestamp: int | None = None, secret: str = SLACK_SECRET,
                  content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": content_type}


def slack_event(text: str = MARKER) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": uuid.uuid4().hex, "event": {
        "type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
        "text": text, "ts": "1.0"}}).encode()


def post_slack(hooks: Webhooks, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{hooks.url}/webhooks/slack/webhook", data=body, headers=headers,
                         timeout=30)


def test_slack_signed_event_reaches_the_assistant(hooks, provider) -> None:
    body = slack_event()
    assert post_slack(hooks, body, slack_headers(body)).status_code == 200
    hooks.wait_for(1)
    (message,) = hooks.received
    assert (message.text, message.sender_id, message.input_channel) == (MARKER, "U1", "slack")
    deadline = time.monotonic() + 10
    while "/chat.postMessage" not in provider.paths() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "/chat.postMessage" in provider.paths()


def test_slack_url_verification_is_answered_as_slack_asks(hooks) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aB"}).encode()
    response = post_slack(hooks, body, slack_headers(body))
    assert (response.status_code, response.json()) == (200, {"challenge": "3eZbrw1aB"})


def test_slack_unsigned_forged_stale_and_replayed_requests_are_refused(hooks, provider) -> None:
    body = slack_event()
    headers = slack_headers(body)
    assert post_slack(hooks, body, {"Content-Type": "application/json"}).status_code == 401
    assert post_slack(hooks, body, {**headers, "X-Slack-Signature": ""}).status_code == 401
    assert post_slack(hooks, body, slack_headers(body, secret="other")).status_code == 403
    assert post_slack(hooks, slack_event("changed"), headers).status_code == 403
    stale = int(time.time()) - 6 * 60
    assert post_slack(hooks, body, slack_headers(body, timestamp=stale)).status_code == 403
    future = int(time.time()) + 6 * 60
    assert post_slack(hooks, body, slack_headers(body, timestamp=future)).status_code == 403
    assert post_slack(hooks, body, {**headers, "X-Slack-Request-Timestamp": "12ab"}
                      ).status_code == 403
    time.sleep(0.5)
    assert not hooks.received and not provider.calls
    # The same correctly signed request, twice: the second is a replay.
    assert post_slack(hooks, body, headers).status_code == 200
    assert post_slack(hooks, body, headers).status_code == 403
    hooks.wait_for(2, timeout=1)
    assert len(hooks.received) == 1


@pytest.mark.parametrize("body, content_type", [
    (b"{" + MARKER.encode(), "application/json"),
    (json.dumps({"event": MARKER}).encode(), "application/json"),
    (b"payload=" + MARKER.encode(), "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"actions": [{"type": "button"}], "text": MARKER})}
               ).encode(), "application/x-www-form-urlencoded"),
    (MARKER.encode(), "text/plain"),
])
def test_slack_malformed_signed_requests_are_400(hooks, provider, body, content_type) -> None:
    response = post_slack(hooks, body, slack_headers(body, content_type=content_type))
    assert response.status_code == 400
    time.sleep(0.2)
    assert not hooks.received and not provider.calls


# --- Configuration -----------------------------------------------------------------------

def test_channels_are_off_until_their_variables_are_set(hooks) -> None:
    for name in ("telegram", "twilio", "facebook", "slack"):
        for method in ("GET", "POST"):
            response = requests.request(method, f"{hooks.url}/off/webhooks/{name}/webhook",
                                        data=b"{}", timeout=30)
            assert response.status_code == 404, name
    assert not hooks.received


def test_a_half_configured_channel_is_named_in_the_log_without_values(caplog) -> None:
    channel = VerifiedTelegramInput.from_settings(TelegramSettings(token=TELEGRAM_TOKEN))
    channel.blueprint(lambda _message: asyncio.sleep(0))
    assert "SECURE_BASE_TELEGRAM_TOKEN" in caplog.text
    assert TELEGRAM_TOKEN not in caplog.text


def test_settings_enable_each_channel_and_list_secrets_masked() -> None:
    env = {"SECURE_BASE_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
           "SECURE_BASE_TELEGRAM_BOT_NAME": "secure_base_bot",
           "SECURE_BASE_TELEGRAM_SECRET": TELEGRAM_SECRET,
           "SECURE_BASE_TWILIO_ACCOUNT_SID": TWILIO_SID,
           "SECURE_BASE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "SECURE_BASE_TWILIO_WHATSAPP_NUMBER": "+15550002222",
           "SECURE_BASE_SLACK_TOKEN": "xoxb-1",
           "SECURE_BASE_FACEBOOK_SECRET": FB_SECRET}
    settings = load_settings(env)
    assert settings.telegram.enabled and settings.twilio.enabled
    assert not settings.facebook.enabled and not settings.slack.enabled
    assert settings.telegram.api_url == "https://api.telegram.org"
    assert load_settings({"SECURE_BASE_SLACK_API_URL": "http://x/"}).slack.api_url == "http://x/"
    listing = shell_exports(settings)
    assert "# telegram channel: on" in listing and "# slack channel: off" in listing
    for secret in (TELEGRAM_TOKEN, TELEGRAM_SECRET, TWILIO_TOKEN, FB_SECRET, "xoxb-1"):
        assert secret not in listing
    assert 'export SECURE_BASE_TELEGRAM_SECRET="${SECURE_BASE_TELEGRAM_SECRET-}"' in listing
    assert "export SECURE_BASE_TWILIO_WHATSAPP_NUMBER=+15550002222" in listing


# --- The full stack (the lead runs these: they need a trained model) --------------------
# The shared messaging stack (tests/messaging_stack.py): Telegram on, calling the fake
# provider.

def _sent_to(provider: FakeProvider, chat_id: int) -> list[str]:
    """The texts the assistant sent to ``chat_id`` through the fake Telegram API, as
    Telegram shows them (replies are HTML: docs/channels.md)."""
    texts = []
    for _method, path, body in provider.calls:
        if path.endswith("/sendMessage"):
            fields = dict(pair.split("=", 1) for pair in body.decode().split("&") if "=" in pair)
            if unquote_plus(fields.get("chat_id", "")) == str(chat_id):
                text = unquote_plus(fields.get("text", ""))
                if unquote_plus(fields.get("parse_mode", "")) == "HTML":
                    text = html.unescape(re.sub(r"</?(b|i|a)( [^>]*)?>", "", text))
                texts.append(text)
    return texts


@pytest.mark.server
@pytest.mark.model
def test_full_stack_answers_a_signed_telegram_update_and_ignores_a_forged_one(
        messaging_stack, provider) -> None:
    from secure_base.profile import load_profile

    stack = messaging_stack
    url = f"{stack.url}/webhooks/telegram/webhook"
    chat, forged_chat = new_chat_id(), new_chat_id()

    def post(update: dict, secret: str) -> requests.Response:
        return requests.post(url, json=update, timeout=120,
                             headers={"X-Telegram-Bot-Api-Secret-Token": secret})

    from secure_base.messaging.cross_channel import disclosure_text

    assert post(telegram_update("What is attachment?", chat), TELEGRAM_SECRET).status_code == 200
    disclosure, *answer = _sent_to(provider, chat)
    assert disclosure == disclosure_text(load_profile())  # before the first reply only
    assert "\n".join(answer).strip()
    events = stack.tracker(str(chat))["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["What is attachment?"]
    assert stack.tracker(str(chat))["latest_input_channel"] == "telegram"

    crisis = telegram_update("I want to end my life", chat)
    assert post(crisis, TELEGRAM_SECRET).status_code == 200
    assert load_profile().crisis.current().lines[0] in "\n".join(_sent_to(provider, chat))
    assert _sent_to(provider, chat).count(disclosure) == 1

    forged = telegram_update("I want to end my life", forged_chat)
    assert post(forged, "not-the-secret").status_code == 403
    assert post(forged, "").status_code == 401
    assert _sent_to(provider, forged_chat) == []
    assert not [e for e in stack.tracker(str(forged_chat))["events"] if e["event"] == "user"]


def test_preflight_refuses_channel_settings_that_cannot_work() -> None:
    from secure_base.preflight import PreflightError, check_channels

    check_channels(load_settings({"SECURE_BASE_TELEGRAM_SECRET": TELEGRAM_SECRET,
                                  "SECURE_BASE_TWILIO_PUBLIC_URL": "https://chat.example.org"}))
    for env in ({"SECURE_BASE_TELEGRAM_SECRET": "has spaces and !"},
                {"SECURE_BASE_TELEGRAM_SECRET": "short", "SECURE_BASE_ENV": "production"},
                {"SECURE_BASE_TWILIO_PUBLIC_URL": "chat.example.org"},
                {"SECURE_BASE_TWILIO_PUBLIC_URL": "https://chat.example.org/?x=1"}):
        with pytest.raises(PreflightError):
            check_channels(load_settings(env))
