"""Facebook Messenger, with every event's SHA-256 signature checked in constant time.

Rasa's connector checks the old SHA-1 header (``X-Hub-Signature``) with ``==`` and
answers a wrong verify token with 200. :class:`VerifiedFacebookInput`:

* ``GET /webhook`` (Meta's subscription handshake) returns ``hub.challenge`` only when
  ``hub.verify_token`` equals ``SECURE_BASE_FACEBOOK_VERIFY`` (constant time); 401
  without a token, 403 with a wrong one;
* ``POST /webhook`` needs ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the
  raw body keyed with the app secret (``SECURE_BASE_FACEBOOK_SECRET``), compared in
  constant time before the body is parsed.

Messages are then read by Rasa's ``Messenger``; replies and sender actions go to
``SECURE_BASE_FACEBOOK_API_URL``.

Replies (:class:`PlainMessengerBot`) are plain text, since Messenger shows no
formatting: Markdown and HTML are read (:mod:`.render`) and written out without their
symbols, a link as ``title: url``, cut at sentence ends under 2,000 characters. Buttons
become quick replies within Messenger's limits (:func:`quick_replies`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.access import same_secret
from secure_base.logsafe import describe_error
from secure_base.messaging.delivery import ProviderSession
from secure_base.messaging.render import (
    MESSENGER_MAX_CHARS,
    ArticleCardsAsLinks,
    Span,
    button_title,
    link_button,
    plain_text,
    reply_spans,
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
from secure_base.settings import FacebookSettings, load_settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
#: Meta's challenges are short numbers; anything longer is not one.
_MAX_CHALLENGE_CHARS = 256


def hub_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


#: Messenger's quick-reply limits: how many, title and payload lengths (characters).
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLY_PAYLOAD = 1000


def _utf16_length(spans: List[Span]) -> int:
    """A part's length as Messenger counts it (UTF-16 code units, to be safe)."""
    return len(plain_text(spans).encode("utf-16-le")) // 2


def quick_replies(buttons: List[Dict[Text, Any]]) -> tuple[List[Dict[str, str]], str]:
    """Rasa's buttons as Messenger quick replies, and any text to add to the message.

    Within the limits, each button is a quick reply with its title and payload. Titles
    over 20 characters are listed in the text, numbered, with quick replies "1", "2"...
    carrying the payloads. Over 13 buttons, the choices are listed in the text only (the
    person types one). A payload over 1,000 characters is replaced by its title. A button
    that opens a page (``url``) is written in the text as ``title: url``.

    Returns:
        The quick replies (possibly none) and the list to append to the text ("" if none).
    """
    choices, links = [], []
    for button in buttons:
        link = link_button(button)
        if link is not None:
            links.append(link)
            continue
        title = button_title(button)
        payload = str(button.get("payload") or "") or title
        if len(payload) > MAX_QUICK_REPLY_PAYLOAD:
            payload = title
        if title or payload:
            choices.append((title or payload, payload))
    pages = "\n".join(f"{title}: {url}" if title != url else url for title, url in links)
    if len(choices) > MAX_QUICK_REPLIES:
        listing = "\n".join(f"• {title}" for title, _payload in choices)
        return [], "\n\n".join(part for part in (listing, pages) if part)
    if all(len(title) <= MAX_QUICK_REPLY_TITLE for title, _payload in choices):
        return [{"content_type": "text", "title": title, "payload": payload}
                for title, payload in choices], pages
    listing = "\n".join(f"{number}. {title}"
                         for number, (title, _payload) in enumerate(choices, start=1))
    return ([{"content_type": "text", "title": str(number), "payload": payload}
             for number, (_title, payload) in enumerate(choices, start=1)],
            "\n\n".join(part for part in (listing, pages) if part))


class PlainMessengerBot(ArticleCardsAsLinks, MessengerBot):
    """Rasa's Messenger output, sending plain text within Messenger's limits."""

    def _send_spans(self, recipient_id: Text, spans: List[Span],
                    replies: Optional[List[Dict[str, str]]] = None) -> None:
        """Sends the reply in parts under 2,000 characters; quick replies with the last."""
        parts = split_spans(spans, MESSENGER_MAX_CHARS, _utf16_length) or [
            [Span("text", "Please choose:")]]
        for number, part in enumerate(parts, start=1):
            message: Dict[str, Any] = {"text": plain_text(part)}
            if replies and number == len(parts):
                message["quick_replies"] = replies
            self.messenger_client.send(message, recipient_id, "RESPONSE")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Sends the text without markup, cut at sentence ends if long."""
        self._send_spans(recipient_id, reply_spans(text, kwargs.get("utter_action"), kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """Sends the text with the buttons as quick replies (:func:`quick_replies`)."""
        replies, listing = quick_replies(buttons)
        spans = reply_spans(text, kwargs.get("utter_action"), kwargs)
        if listing:
            spans = [*spans, Span("text", "\n\n" + listing)]
        self._send_spans(recipient_id, spans, replies)

    async def send_quick_replies(self, recipient_id: Text, text: Text,
                                 quick_replies: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """Quick replies given as such are sent as buttons are."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_card_spans(self, recipient_id: Text, spans: List[Span]) -> None:
        """An article card, sent as any reply is (:class:`ArticleCardsAsLinks`)."""
        self._send_spans(recipient_id, spans)


def _point_at(client: Any, api_url: str) -> Any:
    """An ``fbmessenger`` client calling ``api_url`` instead of graph.facebook.com."""
    client.graph_url = f"{api_url.rstrip('/')}/v{client.api_version}"
    client.session = ProviderSession("facebook")  # timeouts, retries, failures raised
    return client


def _is_event_batch(payload: Optional[dict]) -> bool:
    """Whether ``payload`` has the shape Rasa's ``Messenger.handle`` walks."""
    if payload is None or not isinstance(payload.get("entry"), list):
        return False
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("messaging", []), list):
            return False
        for event in entry.get("messaging", []):
            if not isinstance(event, dict) or not isinstance(event.get("sender", {}), dict):
                return False
            for kind in ("message", "postback"):
                if kind in event and not isinstance(event[kind], dict):
                    return False
    return True


class ApiMessenger(Messenger):
    """Rasa's Messenger reader, calling the configured API and logging no message."""

    def __init__(self, page_access_token: Text, on_new_message: OnNewMessage,
                 api_url: str) -> None:
        """As Rasa's, with the Graph API's base URL."""
        super().__init__(page_access_token, on_new_message)
        _point_at(self.client, api_url)

    async def message(self, message: Dict[Text, Any], metadata: Optional[Dict[Text, Any]]
                      ) -> None:
        """Rasa's, except that an unreadable kind is skipped without logging its content."""
        readable = (self._is_quick_reply_message, self._is_user_message,
                    self._is_audio_message, self._is_image_message,
                    self._is_video_message, self._is_file_message)
        if not any(is_kind(message) for is_kind in readable):
            logger.info("A Messenger message of a kind not read was skipped")
            return
        await super().message(message, metadata)

    async def _handle_user_message(self, text: Text, sender_id: Text,
                                   metadata: Optional[Dict[Text, Any]]) -> None:
        """Rasa's, answering through :class:`PlainMessengerBot`."""
        out_channel = PlainMessengerBot(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        user_message = UserMessage(text, out_channel, sender_id,
                                   input_channel=self.name(), metadata=metadata)
        await out_channel.send_action(sender_id, sender_action="typing_on")
        try:
            # within_limits() catches and logs failures without their text.
            await self.on_new_message(user_message)
        finally:
            await out_channel.send_action(sender_id, sender_action="typing_off")


class VerifiedFacebookInput(FacebookInput):
    """Rasa's Messenger channel, configured from the settings, verifying every request."""

    config: FacebookSettings = FacebookSettings()

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's Messenger channel."""
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> VerifiedFacebookInput:
        """Everything comes from the settings (``SECURE_BASE_FACEBOOK_*``)."""
        return cls.from_settings(load_settings().facebook)

    @classmethod
    def from_settings(cls, config: FacebookSettings) -> VerifiedFacebookInput:
        """The channel for ``config`` (off when it is not enabled)."""
        channel = cls(config.verify, config.secret, config.page_token)
        channel.config = config
        return channel

    def get_output_channel(self) -> OutputChannel:
        """The plain-text Messenger output, calling the configured API."""
        channel = super().get_output_channel()
        assert isinstance(channel, MessengerBot)
        return PlainMessengerBot(_point_at(channel.messenger_client, self.config.api_url))

    async def _check(self, request: Request) -> Optional[HTTPResponse]:
        if request.method == "GET":
            token = request.args.get("hub.verify_token")
            if not token:
                return refuse(self.name(), 401, "no hub.verify_token")
            if not same_secret(token, self.config.verify):
                return refuse(self.name(), 403, "wrong hub.verify_token")
            challenge = request.args.get("hub.challenge") or ""
            if (request.args.get("hub.mode") != "subscribe" or not challenge
                    or len(challenge) > _MAX_CHALLENGE_CHARS or not challenge.isprintable()):
                return refuse(self.name(), 400, "not a subscription handshake")
            return None
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return refuse(self.name(), 401, f"no {SIGNATURE_HEADER} header")
        if not same_secret(signature, hub_signature(self.config.secret, request.body or b"")):
            return refuse(self.name(), 403, f"wrong {SIGNATURE_HEADER}")
        if not _is_event_batch(json_object(request.body)):
            return refuse(self.name(), 400, "the body is not a Messenger event batch")
        return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's routes behind the signature check; none when the channel is off.

        The routes are written here, not inherited: Rasa's POST route repeats its own
        SHA-1 check, which fails once Meta stops sending that header.
        """
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        handler = within_limits(on_new_message)
        fb_webhook = Blueprint("fb_webhook", __name__)

        @fb_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            # The guard checked the verify token and the challenge.
            return response.text(request.args.get("hub.challenge"))

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            messenger = ApiMessenger(self.fb_access_token, handler, self.config.api_url)
            try:
                await messenger.handle(request.json, self.get_metadata(request))
            except (KeyError, IndexError, TypeError, AttributeError):
                return refuse(self.name(), 400, "a Messenger event of an unknown shape")
            except Exception as exc:  # noqa: BLE001 - e.g. the Graph API failing
                logger.error("Handling a Messenger event failed: %s", describe_error(exc))
            return response.text("success")

        return guard(fb_webhook, self.name(), self._check)
