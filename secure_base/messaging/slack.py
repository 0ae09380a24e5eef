"""Slack, with every request's v0 signature, age and uniqueness checked first.

Slack signs each request: ``X-Slack-Signature: v0=<hex>``, the HMAC-SHA256 of
``v0:<X-Slack-Request-Timestamp>:<raw body>`` keyed with the app's signing secret
(``SECURE_BASE_SLACK_SIGNING_SECRET``). :class:`VerifiedSlackInput` checks, before the
body is parsed: both headers present (401), the timestamp within 5 minutes of now and
the signature right in constant time (403), and that the same signed request was not
already accepted in those 5 minutes (403: a replay). Rasa's own check (which answers
400 to forgeries and accepts replays) still runs after it.

Slack's ``url_verification`` handshake is answered here as Slack asks
(``{"challenge": ...}``); Rasa's answer is a bare JSON string.

Replies (:class:`BlockSlackBot`) are Block Kit sections in Slack's mrkdwn, written from
the reply's Markdown and HTML (:mod:`.render`) with ``&``, ``<`` and ``>`` escaped, cut at
sentence ends under 3,000 characters per block; buttons are an ``actions`` block whose
clicks (interactive payloads, form-encoded as ``payload=``) come back as the payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any, Dict, List, Optional, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.slack import SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from secure_base.messaging.delivery import ReliableSlackBot
from secure_base.messaging.render import (
    SLACK_MAX_BLOCK_CHARS,
    ArticleCardsAsLinks,
    Span,
    button_title,
    link_button,
    plain_text,
    reply_spans,
    slack_escape,
    slack_mrkdwn,
    split_spans,
)
from secure_base.messaging.webhook import (
    OnNewMessage,
    disabled_blueprint,
    guard,
    json_object,
    refuse,
    within_limits,
)
from secure_base.settings import SlackSettings, load_settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
#: Oldest (and furthest in the future) request accepted, in seconds: Slack's advice.
MAX_AGE_SECONDS = 5 * 60
#: Options that may come from credentials.yml (none of them secret).
_FILE_OPTIONS = ("slack_channel", "use_threads", "conversation_granularity",
                 "errors_ignore_retry")


#: Block Kit limits: blocks per message, buttons per actions block, button text and
#: value lengths, and the plain-text fallback shown in notifications.
MAX_BLOCKS = 50
MAX_BUTTONS_PER_BLOCK = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_CHARS = 3000
#: Interactive components whose value Rasa's handler reads.
_READ_ACTIONS = ("button", "static_select", "external_select", "overflow", "select",
                 "conversations_select", "users_select", "channels_select", "datepicker")


def _mrkdwn_length(spans: List[Span]) -> int:
    return len(slack_mrkdwn(spans))


def section_blocks(spans: List[Span]) -> List[Dict[str, Any]]:
    """The reply as mrkdwn section blocks, each under Slack's 3,000 characters."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": slack_mrkdwn(part)}}
            for part in split_spans(spans, SLACK_MAX_BLOCK_CHARS, _mrkdwn_length)]


def _shortened(title: str) -> str:
    """A button title within Slack's 75 characters (an ellipsis marks a cut)."""
    if len(title) <= MAX_BUTTON_TEXT:
        return title
    return title[:MAX_BUTTON_TEXT - 1].rstrip() + "…"


def button_blocks(buttons: List[Dict[Text, Any]]) -> List[Dict[str, Any]]:
    """Rasa's buttons as ``actions`` blocks (up to 25 buttons each).

    A title over 75 characters is shortened with an ellipsis; a payload over 2,000
    characters is replaced by the title (read like typed words). A button with a
    ``url`` (and no payload) opens the page.
    """
    elements = []
    for number, button in enumerate(buttons, start=1):
        link = link_button(button)
        if link is not None:
            # A link button: Slack opens the page; its click carries no value.
            elements.append({"type": "button", "action_id": f"choice_{number}",
                             "text": {"type": "plain_text", "emoji": True,
                                      "text": _shortened(link[0])}, "url": link[1]})
            continue
        title = button_title(button)
        payload = str(button.get("payload") or "") or title
        if len(payload) > MAX_BUTTON_VALUE:
            payload = title[:MAX_BUTTON_VALUE]
        title = _shortened(title or payload)
        if not title:
            continue
        elements.append({"type": "button", "action_id": f"choice_{number}",
                         "text": {"type": "plain_text", "text": title, "emoji": True},
                         "value": payload})
    return [{"type": "actions", "elements": elements[start:start + MAX_BUTTONS_PER_BLOCK]}
            for start in range(0, len(elements), MAX_BUTTONS_PER_BLOCK)]


def fallback_text(spans: List[Span]) -> str:
    """The notification text for a message with blocks: plain, escaped, shortened."""
    text = slack_escape(plain_text(spans))
    return text if len(text) <= MAX_FALLBACK_CHARS else text[:MAX_FALLBACK_CHARS - 1] + "…"


class BlockSlackBot(ArticleCardsAsLinks, ReliableSlackBot):
    """Rasa's Slack output, sending Block Kit sections and buttons within Slack's limits.

    Each post is delivered with retries (:class:`ReliableSlackBot`).
    """

    async def _send_blocks(self, recipient_id: Text, spans: List[Span],
                           extra: Optional[List[Dict[str, Any]]] = None) -> None:
        """Posts the reply; more blocks than one message takes go in several."""
        recipient = self.slack_channel or recipient_id
        blocks = section_blocks(spans) + (extra or [])
        for start in range(0, len(blocks), MAX_BLOCKS):
            await self._post_message(channel=recipient, as_user=True,
                                     text=fallback_text(spans),
                                     blocks=blocks[start:start + MAX_BLOCKS])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Sends the text as mrkdwn sections, cut at sentence ends if long."""
        await self._send_blocks(recipient_id, reply_spans(text, kwargs.get("utter_action"), kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """Sends the text with the buttons in ``actions`` blocks under it."""
        await self._send_blocks(recipient_id, reply_spans(text, kwargs.get("utter_action"), kwargs),
                                button_blocks(buttons))

    async def send_card_spans(self, recipient_id: Text, spans: List[Span]) -> None:
        """An article card, sent as any reply is (:class:`ArticleCardsAsLinks`)."""
        await self._send_blocks(recipient_id, spans)


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value Slack sends for ``body`` at ``timestamp``."""
    base = f"v0:{timestamp}:".encode("ascii") + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def _is_interaction(payload: Any) -> bool:
    """Whether ``payload`` has the shape Rasa's handler reads (actions by a user)."""
    if not isinstance(payload, dict):
        return False
    actions = payload.get("actions")
    if actions is None:
        return True
    user = payload.get("user")
    # Rasa's handler reads the channel's and the message's fields when they are given.
    parts_readable = all(isinstance(payload.get(part, {}), dict)
                         for part in ("channel", "message"))
    return (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
            and isinstance(user, dict) and isinstance(user.get("id"), str)
            and parts_readable)


class SeenSignatures:
    """Signatures accepted in the last :data:`MAX_AGE_SECONDS`, to refuse replays.

    In this process's memory: several Rasa servers behind one URL each keep their own.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        """``max_entries``: beyond this, the oldest are forgotten first."""
        self.max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, signature: str, timestamp: int) -> bool:
        """Records ``signature``; False if it was recorded before and has not expired."""
        now = time.time()
        with self._lock:
            for old in [s for s, expires in self._expiry.items() if expires < now]:
                del self._expiry[old]
            if signature in self._expiry:
                return False
            while len(self._expiry) >= self.max_entries:
                del self._expiry[next(iter(self._expiry))]
            self._expiry[signature] = timestamp + MAX_AGE_SECONDS
            return True


class VerifiedSlackInput(SlackInput):
    """Rasa's Slack channel, configured from the settings, verifying every request first."""

    config: SlackSettings = SlackSettings()

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's Slack channel."""
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> VerifiedSlackInput:
        """Secrets from the settings; the non-secret options below may be in the file."""
        options = {k: v for k, v in (credentials or {}).items() if k in _FILE_OPTIONS}
        return cls.from_settings(load_settings().slack, **options)

    @classmethod
    def from_settings(cls, config: SlackSettings, **options: Any) -> VerifiedSlackInput:
        """The channel for ``config`` (off when it is not enabled)."""
        channel = cls(
            config.token,
            options.get("slack_channel"),
            None,
            "x-slack-retry-reason",
            "x-slack-retry-num",
            options.get("errors_ignore_retry"),
            options.get("use_threads", False),
            config.signing_secret,
            options.get("conversation_granularity", "sender"),
        )
        channel.config = config
        channel.seen = SeenSignatures()
        return channel

    seen: SeenSignatures

    def _validate_credentials(self) -> None:
        # Rasa refuses a missing signing secret at construction; here a channel without
        # its variables is simply off (no routes, see blueprint).
        return None

    def get_output_channel(self, channel: Optional[Text] = None,
                           thread_id: Optional[Text] = None) -> OutputChannel:
        """The Block Kit output (:class:`BlockSlackBot`), calling ``SECURE_BASE_SLACK_API_URL``."""
        bot = BlockSlackBot(self.slack_token, channel or self.slack_channel, thread_id,
                            self.proxy)
        bot.client = AsyncWebClient(self.slack_token, base_url=self.config.api_url,
                                    proxy=self.proxy)
        return bot

    async def _check(self, request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST":
            return refuse(self.name(), 405, "events are POSTed")
        signature = request.headers.get(SIGNATURE_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            return refuse(self.name(), 401, f"no {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return refuse(self.name(), 403, f"malformed {TIMESTAMP_HEADER}")
        if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
            return refuse(self.name(), 403, "the request is older than 5 minutes")
        expected = slack_signature(self.config.signing_secret, timestamp, request.body or b"")
        if not hmac.compare_digest(expected.encode("ascii"),
                                   signature.encode("utf-8", "surrogateescape")):
            return refuse(self.name(), 403, f"wrong {SIGNATURE_HEADER}")
        if not self.seen.first_time(expected, int(timestamp)):
            return refuse(self.name(), 403, "a replay of a request already received")
        return self._read_body(request)

    def _read_body(self, request: Request) -> Optional[HTTPResponse]:
        """400 for a signed body Rasa's handler cannot read; Slack's handshake answered."""
        content_type = (request.content_type or "").split(";")[0].strip()
        if content_type == "application/json":
            event = json_object(request.body)
            if event is None or not isinstance(event.get("event", {}), dict):
                return refuse(self.name(), 400, "the body is not a Slack event")
            if event.get("type") == "url_verification":
                challenge = event.get("challenge")
                if not isinstance(challenge, str):
                    return refuse(self.name(), 400, "a handshake without a challenge")
                return response.json({"challenge": challenge})
            return None
        if content_type == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(request.body.decode("utf-8"), max_num_fields=50)
                payload = json.loads(form["payload"][0])
            except (ValueError, KeyError):  # also UnicodeDecodeError, JSONDecodeError
                return refuse(self.name(), 400, "the body is not a Slack interaction")
            if not _is_interaction(payload):
                return refuse(self.name(), 400, "the body is not a Slack interaction")
            actions = payload.get("actions") or [{}]
            if actions[0].get("type") not in _READ_ACTIONS:
                # A shortcut, a dialog, a link button: nothing for Rasa (which would 500).
                logger.info("A Slack interaction with nothing to read was acknowledged")
                return response.text("")
            return None
        return refuse(self.name(), 400, "the body is neither JSON nor a form")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint behind the checks; none when the channel is off."""
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        return guard(super().blueprint(within_limits(on_new_message)), self.name(), self._check)
