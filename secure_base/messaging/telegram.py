"""Telegram, with every update checked against the webhook's secret token.

Rasa's connector checks nothing: anyone who finds the URL can post an update in any
chat's name. Telegram sends the ``secret_token`` given to ``setWebhook`` back in the
``X-Telegram-Bot-Api-Secret-Token`` header of every update; :class:`VerifiedTelegramInput`
compares it with ``SECURE_BASE_TELEGRAM_SECRET`` in constant time before Rasa's handler
reads the body. Rasa's ``/set_webhook`` route (which let anyone re-point or remove the
bot's webhook) is gone, and the webhook is not re-registered at start-up: the owner
registers it once with the secret (docs/channels.md).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Update, User
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.access import same_secret
from secure_base.messaging.delivery import ReliableTelegramOutput
from secure_base.messaging.webhook import (
    OnNewMessage,
    disabled_blueprint,
    guard,
    json_object,
    refuse,
    within_limits,
)
from secure_base.settings import TelegramSettings, load_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Update kinds Rasa's handler reads; others (joins, polls...) are acknowledged unread.
_READ_KINDS = ("message", "edited_message", "callback_query")


class ApiTelegramOutput(ReliableTelegramOutput, TelegramOutput):
    """Rasa's Telegram output, calling ``SECURE_BASE_TELEGRAM_API_URL``.

    Rasa's handler asks Telegram who the bot is (``getMe``) for every update; the answer
    is kept, so that is one call per process.
    """

    def __init__(self, access_token: Optional[Text], api_url: str) -> None:
        """``api_url``: the Bot API's base URL (``https://api.telegram.org``)."""
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))
        self._me: Optional[User] = None

    async def get_me(self) -> User:
        """The bot's own account, asked once."""
        if self._me is None:
            self._me = await super().get_me()
        return self._me


class VerifiedTelegramInput(TelegramInput):
    """Rasa's Telegram channel, configured from the settings, verifying every update."""

    config: TelegramSettings = TelegramSettings()

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's Telegram channel."""
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> VerifiedTelegramInput:
        """Everything comes from the settings (``SECURE_BASE_TELEGRAM_*``)."""
        return cls.from_settings(load_settings().telegram)

    @classmethod
    def from_settings(cls, config: TelegramSettings) -> VerifiedTelegramInput:
        """The channel for ``config`` (off when it is not enabled)."""
        channel = cls(config.token, config.bot_name.lstrip("@"), None, debug_mode=False)
        channel.config = config
        return channel

    def get_output_channel(self) -> TelegramOutput:
        """The output channel, without Rasa's ``setWebhook`` call."""
        return ApiTelegramOutput(self.access_token, self.config.api_url)

    async def _check(self, request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST":
            return refuse(self.name(), 405, "updates are POSTed")
        given = request.headers.get(SECRET_HEADER)
        if not given:
            return refuse(self.name(), 401, f"no {SECRET_HEADER} header")
        if not same_secret(given, self.config.secret):
            return refuse(self.name(), 403, f"wrong {SECRET_HEADER}")
        update = json_object(request.body)
        if update is None or not isinstance(update.get("update_id"), int):
            return refuse(self.name(), 400, "the body is not a Telegram update")
        try:
            parsed = Update(**update)
        except Exception:  # noqa: BLE001 - aiogram's parse errors have no common type
            return refuse(self.name(), 400, "the body is not a Telegram update")
        kind = next((k for k in _READ_KINDS if update.get(k) is not None), None)
        if kind is None or (kind == "callback_query" and parsed.callback_query.message is None):
            # Joins, polls, a button under an inline-mode message: nothing Rasa reads.
            logger.info("A Telegram update with nothing to read was acknowledged")
            return response.text("success")
        message = (parsed.callback_query.message if kind == "callback_query"
                   else getattr(parsed, kind))
        # Rasa's handler answers to the message's chat, and fails (500) without one.
        chat = getattr(message, "chat", None)
        if not isinstance(update[kind], dict) or chat is None or not isinstance(
                chat.id, int):
            return refuse(self.name(), 400, "a Telegram update without a chat")
        return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint behind the secret-token check; none when the channel is off."""
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        webhook = super().blueprint(within_limits(on_new_message))

        @webhook.middleware("request")
        async def no_set_webhook(request: Request) -> Optional[HTTPResponse]:
            # Rasa's route would let anyone re-point or delete the bot's webhook.
            if request.path.rstrip("/").endswith("/set_webhook"):
                return refuse(self.name(), 404, "no such route")
            return None

        return guard(webhook, self.name(), self._check)
