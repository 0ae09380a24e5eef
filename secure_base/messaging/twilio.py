"""SMS and WhatsApp through Twilio, with every webhook's signature checked.

Rasa's connector checks nothing: anyone who finds the URL can post a message in any
phone number's name. Twilio signs each request (``X-Twilio-Signature``: HMAC-SHA1, keyed
with the account's auth token, of the URL it called followed by the sorted POST
parameters, base64). :class:`VerifiedTwilioInput` checks it with the twilio package's
``RequestValidator`` before Rasa's handler runs. Behind a proxy the server does not see
the URL Twilio called: ``SECURE_BASE_TWILIO_PUBLIC_URL`` gives its scheme and host.

Replies go out from ``SECURE_BASE_TWILIO_NUMBER`` to SMS senders and from
``SECURE_BASE_TWILIO_WHATSAPP_NUMBER`` to WhatsApp senders (``whatsapp:+...``).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text
from urllib.parse import parse_qs

from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from secure_base.messaging.delivery import ReliableTwilioOutput
from secure_base.messaging.webhook import (
    OnNewMessage,
    disabled_blueprint,
    guard,
    refuse,
    within_limits,
)
from secure_base.settings import TwilioSettings, load_settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP_PREFIX = "whatsapp:"
_DEFAULT_API = "https://api.twilio.com"
#: Twilio's messaging webhooks have a few dozen parameters.
_MAX_FIELDS = 200


def whatsapp_address(number: str) -> str:
    """``number`` as a WhatsApp address (``whatsapp:+15551234567``)."""
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"


class ApiTwilioOutput(ReliableTwilioOutput, TwilioOutput):
    """Rasa's Twilio output: the right sender per channel, ``SECURE_BASE_TWILIO_API_URL``."""

    def __init__(self, config: TwilioSettings) -> None:
        """Credentials, numbers and API URL from ``config``."""
        super().__init__(config.account_sid, config.auth_token, config.number or None)
        self.config = config

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        """Every API call, sent to the configured base URL."""
        base = self.config.api_url.rstrip("/")
        if base != _DEFAULT_API and uri.startswith(_DEFAULT_API):
            uri = base + uri[len(_DEFAULT_API):]
        return super().request(method, uri, *args, **kwargs)

    async def _send_message(self, message_data: Dict[Text, Any]) -> Any:
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

    def get_output_channel(self) -> TwilioOutput:
        """The output channel for ``config``."""
        return ApiTwilioOutput(self.config)

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
        return guard(super().blueprint(within_limits(on_new_message)), self.name(), self._check)
