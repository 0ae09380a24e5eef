"""Telegram, with every update checked against the webhook's secret token.

Rasa's connector checks nothing: anyone who finds the URL can post an update in any
chat's name. Telegram sends the ``secret_token`` given to ``setWebhook`` back in the
``X-Telegram-Bot-Api-Secret-Token`` header of every update; :class:`VerifiedTelegramInput`
compares it with ``SECURE_BASE_TELEGRAM_SECRET`` in constant time before Rasa's handler
reads the body. Rasa's ``/set_webhook`` route (which let anyone re-point or remove the
bot's webhook) is gone, and the webhook is not re-registered at start-up: the owner
registers it once with the secret (docs/channels.md).

Replies (:class:`ApiTelegramOutput`) are sent in Telegram's HTML ``parse_mode`` with
every piece of text escaped (:mod:`.render`), cut at sentence ends under 4,096
characters; buttons become an inline keyboard whose presses come back as the button's
payload. A payload over Telegram's 64-byte ``callback_data`` is sent as a token
(:func:`callback_data`) and read back from the buttons the conversation was shown
(:meth:`VerifiedTelegramInput.restore_payload`): nothing is kept in memory, so any
server behind the URL can read a press.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from typing import Any, Dict, List, Optional, Text

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from aiogram.utils.exceptions import CantParseEntities
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.access import same_secret
from secure_base.logsafe import describe_error
from secure_base.messaging.delivery import ReliableTelegramOutput
from secure_base.messaging.render import (
    TELEGRAM_MAX_CHARS,
    ArticleCardsAsLinks,
    Span,
    button_title,
    link_button,
    plain_text,
    reply_spans,
    split_spans,
    telegram_html,
    visible_length,
)
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

#: Telegram's limit on a button's ``callback_data`` (bytes).
MAX_CALLBACK_BYTES = 64
#: Starts the token sent instead of a payload too long for ``callback_data``.
TOKEN_PREFIX = "sb1:"
#: How many of the bot's latest messages a pressed token is looked for in.
TOKEN_LOOKBACK = 30
EXPIRED_BUTTON_REPLY = ("Sorry, that button is no longer available. Could you type your "
                        "answer instead?")
#: Buttons share one row when there are at most this many, each with a short title.
_ONE_ROW_BUTTONS, _ONE_ROW_TITLE_CHARS = 3, 20


def callback_data(payload: str) -> str:
    """What a button carries back when pressed: its payload, or a token for a long one.

    The token is a hash of the payload, so the same payload always gets the same token
    and a token names no payload the conversation was not shown.
    """
    size = len(payload.encode("utf-8"))
    if 0 < size <= MAX_CALLBACK_BYTES and not payload.startswith(TOKEN_PREFIX):
        return payload
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:18]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")


def inline_keyboard(buttons: List[Dict[Text, Any]]) -> InlineKeyboardMarkup:
    """Rasa's buttons as an inline keyboard: one row if few and short, else one each.

    A button with a ``url`` (and no payload) opens the page.
    """
    keyboard = InlineKeyboardMarkup()
    keys = []
    for button in buttons:
        link = link_button(button)
        if link is not None:
            keys.append(InlineKeyboardButton(link[0], url=link[1]))
            continue
        payload = str(button.get("payload") or button_title(button))
        if payload:
            keys.append(InlineKeyboardButton(button_title(button) or payload,
                                             callback_data=callback_data(payload)))
    short = all(len(key.text) <= _ONE_ROW_TITLE_CHARS for key in keys)
    if len(keys) <= _ONE_ROW_BUTTONS and short:
        keyboard.row(*keys)
    else:
        for key in keys:
            keyboard.row(key)
    return keyboard


class ApiTelegramOutput(ArticleCardsAsLinks, ReliableTelegramOutput, TelegramOutput):
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

    async def _send_spans(self, recipient_id: Text, spans: List[Span],
                          reply_markup: Optional[InlineKeyboardMarkup] = None) -> None:
        """Sends the reply in parts under Telegram's limit; buttons go with the last."""
        parts = split_spans(spans, TELEGRAM_MAX_CHARS, visible_length) or [
            [Span("text", "Please choose:")]]
        for number, part in enumerate(parts, start=1):
            markup = reply_markup if number == len(parts) else None
            try:
                await self.send_message(recipient_id, telegram_html(part), parse_mode="HTML",
                                        reply_markup=markup)
            except CantParseEntities:
                # Never expected (everything is escaped); the reply still goes, plain.
                logger.error("Telegram refused a reply's HTML; it was sent as plain text")
                await self.send_message(recipient_id, plain_text(part), reply_markup=markup)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Sends the text with its formatting in HTML, cut at sentence ends if long."""
        await self._send_spans(recipient_id, reply_spans(text, kwargs.get("utter_action"), kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]],
                                     button_type: Optional[Text] = "inline",
                                     **kwargs: Any) -> None:
        """Sends the text with an inline keyboard (``button_type`` is not used)."""
        await self._send_spans(recipient_id, reply_spans(text, kwargs.get("utter_action"), kwargs),
                               inline_keyboard(buttons))

    async def send_card_spans(self, recipient_id: Text, spans: List[Span]) -> None:
        """An article card, sent as any reply is (:class:`ArticleCardsAsLinks`)."""
        await self._send_spans(recipient_id, spans)


class VerifiedTelegramInput(TelegramInput):
    """Rasa's Telegram channel, configured from the settings, verifying every update."""

    config: TelegramSettings = TelegramSettings()
    _app: Any = None
    _press_answerer: ApiTelegramOutput
    _tasks: set[asyncio.Task]

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
        channel._tasks = set()
        return channel

    def get_output_channel(self) -> TelegramOutput:
        """The output channel, without Rasa's ``setWebhook`` call."""
        return ApiTelegramOutput(self.access_token, self.config.api_url)

    async def restore_payload(self, sender_id: Text, token: Text) -> Optional[Text]:
        """The payload of the button the conversation was shown whose token is ``token``.

        Looks through the bot's latest messages in the conversation's tracker (where
        Rasa keeps each message's buttons).

        Returns:
            The payload, or None when no recent button has that token.
        """
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return None
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return None
        looked_at = 0
        for event in reversed(tracker.events):
            if not isinstance(event, BotUttered):
                continue
            for button in event.data.get("buttons") or []:
                payload = button.get("payload") if isinstance(button, dict) else None
                if isinstance(payload, str) and callback_data(payload) == token:
                    return payload
            looked_at += 1
            if looked_at >= TOKEN_LOOKBACK:
                break
        return None

    def _with_long_payloads(self, on_new_message: OnNewMessage) -> OnNewMessage:
        """``on_new_message``, with a pressed token replaced by its button's payload."""

        async def handle(message: UserMessage) -> Any:
            text = message.text or ""
            if text.startswith(TOKEN_PREFIX):
                payload = await self.restore_payload(str(message.sender_id), text)
                if payload is None:
                    logger.info("A Telegram button press with an unknown token was answered")
                    await message.output_channel.send_text_message(
                        message.sender_id, EXPIRED_BUTTON_REPLY)
                    return None
                message.text = payload
            return await on_new_message(message)

        return handle

    async def _answer_press(self, callback_query_id: str) -> None:
        """Tells Telegram the press was received (the button stops its spinner)."""
        try:
            await self._press_answerer.answer_callback_query(callback_query_id)
        except Exception as exc:  # noqa: BLE001 - cosmetic: the press is handled anyway
            logger.warning("Answering a Telegram button press failed: %s",
                           describe_error(exc))

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
        if kind == "callback_query" and parsed.callback_query.id:
            task = asyncio.create_task(self._answer_press(str(parsed.callback_query.id)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint behind the secret-token check; none when the channel is off."""
        if not self.config.enabled:
            return disabled_blueprint(self.name(), self.config)
        self._press_answerer = self.get_output_channel()
        webhook = super().blueprint(within_limits(self._with_long_payloads(on_new_message)))

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            # Rasa's server keeps its agent (and tracker store) on the app.
            self._app = app

        @webhook.middleware("request")
        async def no_set_webhook(request: Request) -> Optional[HTTPResponse]:
            # Rasa's route would let anyone re-point or delete the bot's webhook.
            if request.path.rstrip("/").endswith("/set_webhook"):
                return refuse(self.name(), 404, "no such route")
            return None

        return guard(webhook, self.name(), self._check)
