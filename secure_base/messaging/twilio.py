"""SMS and WhatsApp through Twilio, with every webhook's signature checked.

Rasa's connector checks nothing: anyone who finds the URL can post a message in any
phone number's name. Twilio signs each request (``X-Twilio-Signature``: HMAC-SHA1, keyed
with the account's auth token, of the URL it called followed by the sorted POST
parameters, base64). :class:`VerifiedTwilioInput` checks it with the twilio package's
``RequestValidator`` before Rasa's handler runs. Behind a proxy the server does not see
the URL Twilio called: ``SECURE_BASE_TWILIO_PUBLIC_URL`` gives its scheme and host.

Replies go out from ``SECURE_BASE_TWILIO_NUMBER`` to SMS senders and from
``SECURE_BASE_TWILIO_WHATSAPP_NUMBER`` to WhatsApp senders (``whatsapp:+...``).

Before a verified message reaches Rasa (:meth:`VerifiedTwilioInput.sms_first`):

1. a keyword (STOP, START, HELP: :mod:`.sms_keywords`) is answered here and never
   reaches the model, the crisis detection or the tracker; an opt-out is kept in the
   application database (:mod:`.opt_outs`), so every server and restart honours it;
2. a message from a number that opted out is dropped unread;
3. a reply that picks one of the numbered options of the last bot message (read from
   the tracker store, so any server can read it) becomes that button's payload.

Every reply is shaped for text messages (:mod:`.sms_format`: plain text, numbered
options, short forms on SMS, split at sentence boundaries), and nothing is sent to a
number that opted out, whatever sends it (:meth:`ApiTwilioOutput._send_message`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Text, TypeVar
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from secure_base.db import session_scope
from secure_base.logsafe import describe_error
from secure_base.messaging import opt_outs
from secure_base.messaging.delivery import ReliableTwilioOutput
from secure_base.messaging.replies import GuardedReplies
from secure_base.messaging.sms_format import (
    SMS_PART_CHARS,
    WHATSAPP_PART_CHARS,
    chosen_payload,
    split_message,
    text_message_parts,
)
from secure_base.messaging.sms_keywords import (
    Keyword,
    help_reply,
    keyword_of,
    start_reply,
    stop_reply,
)
from secure_base.messaging.webhook import (
    OnNewMessage,
    disabled_blueprint,
    guard,
    refuse,
    within_limits,
)
from secure_base.profile import load_profile
from secure_base.settings import TwilioSettings, load_settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP_PREFIX = "whatsapp:"
_DEFAULT_API = "https://api.twilio.com"
#: Twilio's messaging webhooks have a few dozen parameters.
_MAX_FIELDS = 200
#: Sent by Twilio when its Advanced Opt-Out has already answered a keyword.
OPT_OUT_TYPE_FIELD = "OptOutType"
_OPT_OUT_TYPE = "twilio_opt_out_type"
Responses = Mapping[str, Sequence[Mapping[str, Any]]]
T = TypeVar("T")


async def _in_database(work: Callable[..., T], *args: Any) -> T:
    """``work(session, *args)`` in one committed session, off the event loop."""

    def unit_of_work() -> T:
        with session_scope() as session:
            return work(session, *args)

    return await asyncio.to_thread(unit_of_work)


async def opted_out(number: str) -> bool:
    """Whether ``number`` opted out; a database failure counts as no (logged).

    Failing open is deliberate: a person who writes in a crisis while the database is
    down must still get the answer with the crisis lines, and on SMS Twilio itself
    blocks messages to a number that sent STOP (docs/channels.md).
    """
    try:
        return await _in_database(opt_outs.is_opted_out, number)
    except Exception as exc:  # noqa: BLE001 - see above
        logger.error("Could not check the SMS opt-outs (%s); the message is handled",
                     describe_error(exc))
        return False


def whatsapp_address(number: str) -> str:
    """``number`` as a WhatsApp address (``whatsapp:+15551234567``)."""
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"


class ApiTwilioOutput(ReliableTwilioOutput, TwilioOutput):
    """Rasa's Twilio output: shaped for text messages, the right sender, never to an opt-out.

    ``SECURE_BASE_TWILIO_API_URL`` is the API it calls.
    """

    def __init__(self, config: TwilioSettings, responses: Optional[Responses] = None) -> None:
        """Credentials, numbers and API URL from ``config``.

        Args:
            config: The channel's settings.
            responses: The domain's responses, for the short forms of long answers on
                SMS (none: long answers are only split).
        """
        super().__init__(config.account_sid, config.auth_token, config.number or None)
        self.config = config
        self.responses = responses

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        """Every API call, sent to the configured base URL."""
        base = self.config.api_url.rstrip("/")
        if base != _DEFAULT_API and uri.startswith(_DEFAULT_API):
            uri = base + uri[len(_DEFAULT_API):]
        return super().request(method, uri, *args, **kwargs)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """A text, as plain text messages of a length the channel takes."""
        await self._send_shaped(recipient_id, text, [], kwargs.get("utter_action"))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """A text with its buttons as numbered options (a reply of the number picks one)."""
        await self._send_shaped(recipient_id, text, buttons, kwargs.get("utter_action"))

    async def send_quick_replies(self, recipient_id: Text, text: Text,
                                 quick_replies: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """Quick replies are numbered options too."""
        await self._send_shaped(recipient_id, text, quick_replies, kwargs.get("utter_action"))

    async def _send_shaped(self, recipient_id: Text, text: Optional[Text],
                           buttons: Optional[List[Dict[Text, Any]]],
                           utter_action: Optional[str]) -> None:
        # Rasa passes the rest of the message as keyword arguments (``buttons=None``
        # among them), so every send method comes here with its own arguments only.
        parts = text_message_parts(
            text or "", buttons or [], whatsapp=str(recipient_id).startswith(WHATSAPP_PREFIX),
            utter_action=utter_action, responses=self.responses,
            profile=load_profile() if self.responses is not None else None)
        for part in parts:
            await self._send_message({"to": recipient_id, "body": part})

    async def send_keyword_reply(self, recipient_id: Text, text: Text) -> None:
        """The answer to STOP, START or HELP: sent even to a number that just opted out."""
        whatsapp = str(recipient_id).startswith(WHATSAPP_PREFIX)
        for part in split_message(text, WHATSAPP_PART_CHARS if whatsapp else SMS_PART_CHARS):
            await self._deliver({"to": recipient_id, "body": part})

    async def _send_message(self, message_data: Dict[Text, Any]) -> Any:
        # Every message passes here (texts, images, custom JSON, the too-long reply):
        # the one place that keeps an opt-out.
        if await opted_out(str(message_data.get("to", ""))):
            logger.info("A Twilio message to a number that opted out was not sent")
            return None
        return await self._deliver(message_data)

    async def _deliver(self, message_data: Dict[Text, Any]) -> Any:
        recipient = str(message_data.get("to", ""))
        if not message_data.get("messaging_service_sid"):
            if recipient.startswith(WHATSAPP_PREFIX):
                sender = self.config.whatsapp_number and whatsapp_address(
                    self.config.whatsapp_number)
            else:
                sender = self.config.number
            if not sender:
                logger.error("No Twilio number is set for this kind of recipient; not sent")
                return None
            message_data = {**message_data, "from_": sender}
        return await super()._send_message(message_data)


class VerifiedTwilioInput(TwilioInput):
    """Rasa's Twilio channel, configured from the settings, verifying every request."""

    config: TwilioSettings = TwilioSettings()
    #: The server's app (for its agent: the tracker store and the domain), once started.
    app: Optional[Sanic] = None

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's Twilio channel."""
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> VerifiedTwilioInput:
        """Everything comes from the settings (``SECURE_BASE_TWILIO_*``)."""
        return cls.from_settings(load_settings().twilio)

    @classmethod
    def from_settings(cls, config: TwilioSettings) -> VerifiedTwilioInput:
        """The channel for ``config`` (off when it is not enabled)."""
        channel = cls(config.account_sid, config.auth_token, config.number or None,
                      debug_mode=False)
        channel.config = config
        return channel

    def _agent(self) -> Any:
        return getattr(self.app.ctx, "agent", None) if self.app is not None else None

    def get_output_channel(self) -> TwilioOutput:
        """The output channel for ``config``, with the loaded model's responses."""
        domain = getattr(self._agent(), "domain", None)
        return ApiTwilioOutput(self.config, getattr(domain, "responses", None))

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Only whether Twilio's Advanced Opt-Out already answered a keyword."""
        answered = request.form.get(OPT_OUT_TYPE_FIELD)
        return {_OPT_OUT_TYPE: answered} if answered else None

    async def last_buttons(self, sender: str) -> List[Dict[Text, Any]]:
        """The buttons of the last bot message to ``sender`` (none if it had none).

        Read from the tracker store, so it is right whichever server sent that message.
        A store that cannot be read means no options: the reply reaches Rasa as typed
        (which then reports the store's failure itself).
        """
        store = getattr(self._agent(), "tracker_store", None)
        if store is None:
            return []
        try:
            tracker = await store.retrieve(sender)
        except Exception as exc:  # noqa: BLE001 - see above
            logger.error("Could not read the last options (%s)", describe_error(exc))
            return []
        for event in reversed(tracker.events if tracker is not None else []):
            if isinstance(event, BotUttered):
                return list(event.data.get("buttons") or event.data.get("quick_replies") or [])
        return []

    async def _answer_keyword(self, keyword: Keyword, message: UserMessage,
                              is_opted_out: bool) -> bool:
        """Answers STOP, START or HELP; False when the keyword is an ordinary word here.

        START (or YES) is a keyword only for a number that opted out; HELP is not
        answered to one (nothing is sent to it until START). When Twilio's Advanced
        Opt-Out has answered already, the opt-out is still recorded, the reply is not
        sent twice.
        """
        sender = str(message.sender_id)
        output = message.output_channel
        if isinstance(output, GuardedReplies):
            # A keyword's answer is about the channel: no first-message disclosure before it.
            output = output.inner
        answered = bool((message.metadata or {}).get(_OPT_OUT_TYPE))
        reply: Optional[str] = None
        if keyword is Keyword.STOP:
            if await _in_database(opt_outs.opt_out, sender):
                logger.info("A %s number opted out", self.name())
                reply = stop_reply(load_profile())
        elif keyword is Keyword.START:
            if not is_opted_out:
                return False
            await _in_database(opt_outs.opt_in, sender)
            logger.info("A %s number opted back in", self.name())
            reply = start_reply(load_profile())
        elif not is_opted_out:
            reply = help_reply(load_profile())
        if reply and not answered and isinstance(output, ApiTwilioOutput):
            await output.send_keyword_reply(sender, reply)
        return True

    def sms_first(self, on_new_message: OnNewMessage) -> OnNewMessage:
        """``on_new_message`` behind keywords, opt-outs and numbered options.

        Keywords leave no trace in the tracker: they are about the channel, not the
        conversation, and the opt-out table is their record.
        """

        async def handle(message: UserMessage) -> Any:
            sender = str(message.sender_id)
            is_opted_out = await opted_out(sender)
            keyword = keyword_of(message.text)
            if keyword is not None and await self._answer_keyword(keyword, message,
                                                                  is_opted_out):
                return None
            if is_opted_out:
                logger.info("A %s message from a number that opted out was not processed",
                            self.name())
                return None
            payload = chosen_payload(message.text or "", await self.last_buttons(sender))
            if payload is not None:
                message = UserMessage(payload, message.output_channel, message.sender_id,
                                      input_channel=message.input_channel,
                                      message_id=message.message_id,
                                      metadata=message.metadata)
            return await on_new_message(message)

        return handle

    def signed_url(self, request: Request) -> str:
        """The URL Twilio called, as it signed it."""
        if not self.config.public_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.config.public_url.rstrip('/')}{request.path}{query}"

    async def _check(self, request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST":
            return refuse(self.name(), 405, "messages are POSTed")
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return refuse(self.name(), 401, f"no {SIGNATURE_HEADER} header")
        if (request.content_type or "").split(";")[0].strip() != (
                "application/x-www-form-urlencoded"):
            return refuse(self.name(), 400, "the body is not a form")
        try:
            params = RequestParameters(parse_qs(
                request.body.decode("utf-8"), keep_blank_values=True,
                max_num_fields=_MAX_FIELDS))
        except ValueError:  # also UnicodeDecodeError
            return refuse(self.name(), 400, "the body is not a form")
        validator = RequestValidator(self.config.auth_token)
        if not validator.validate(self.signed_url(request), params, signature):
            return refuse(self.name(), 403, f"wrong {SIGNATURE_HEADER}")
        if not params.get("From"):
            return refuse(self.name(), 400, "no 'From' in the message")
        if not params.get("Body") and not (params.get("Latitude") and params.get("Longitude")):
            # Signed, but nothing Rasa's handler can read (a photo alone, say).
            logger.info("A Twilio message without text was acknowledged")
            return response.text("", status=204)
        return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint behind the signature check; none when the channel is off."""
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        webhook = super().blueprint(within_limits(self.sms_first(on_new_message)))

        @webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        return guard(webhook, self.name(), self._check)
