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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any, Dict, Optional, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.slack import SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from secure_base.messaging.delivery import ReliableSlackBot
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
    return (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
            and isinstance(user, dict) and isinstance(user.get("id"), str))


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
        """Rasa's Slack output, calling ``SECURE_BASE_SLACK_API_URL``."""
        bot = ReliableSlackBot(self.slack_token, channel or self.slack_channel, thread_id,
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
            return None
        return refuse(self.name(), 400, "the body is neither JSON nor a form")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint behind the checks; none when the channel is off."""
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        return guard(super().blueprint(within_limits(on_new_message)), self.name(), self._check)
