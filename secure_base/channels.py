"""Input channels: Rasa's REST and socket.io channels with server-side limits.

Rasa's own REST channel answers 500 when the body is valid JSON but not an object
(``[]``, ``"hi"``), because it calls ``.get`` on it. A client's mistake must get a clear
client error, and the server must stay healthy; :class:`SafeRestInput` checks the body
first. It keeps the name ``rest``, so the URL stays ``/webhooks/rest/webhook``.

Size limits, enforced by the server whatever the widget does:

* a message longer than :data:`MAX_MESSAGE_CHARS` characters is not processed; the
  person gets a clear reply (:func:`too_long_reply`, which also gives the crisis lines,
  since nobody read what they wrote) on REST and on socket.io;
* a REST request body larger than :data:`MAX_BODY_BYTES` is refused with 413;
* a socket.io packet larger than :data:`MAX_BODY_BYTES` is refused by Engine.IO unread
  (400 on long polling, and that socket.io session is closed);
* every request to the Rasa server is capped at :data:`MAX_REQUEST_BYTES` (Sanic's
  ``REQUEST_MAX_SIZE``, 100 MB by default), answered with 413.

REST's ``input_channel`` field is ignored: a client could otherwise name any channel,
and that name reaches the stored crisis events and staff notifications.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.profile import ProfileError, load_profile

logger = logging.getLogger(__name__)

#: Longest message (in characters) the assistant reads; longer ones get a clear reply.
MAX_MESSAGE_CHARS = 5_000
#: Largest REST body and socket.io packet (bytes): the longest message in 4-byte UTF-8,
#: with room for JSON escapes and metadata.
MAX_BODY_BYTES = 64 * 1024
#: Largest request of any kind to the Rasa server (also its HTTP API).
MAX_REQUEST_BYTES = 1024 * 1024


def too_long_reply(length: int) -> str:
    """What the person is told when their message is too long to be read.

    The message was not read, so it may have been a cry for help: the reply also gives
    the crisis lines from the practice profile.
    """
    text = (
        f"Your message is too long for me to read ({length:,} characters; I can read up "
        f"to {MAX_MESSAGE_CHARS:,} at a time). Could you send it in shorter parts?"
    )
    try:
        return f"{text} {load_profile().crisis_short_line()}"
    except ProfileError:
        logger.error("The practice profile cannot be loaded; too-long reply without crisis lines")
        return text


def _limit_request_size(app: Sanic, _loop: Any) -> None:
    """Lower (never raise) the whole server's request size limit."""
    app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)


def _too_large() -> HTTPResponse:
    return response.json(
        {"error": f"The request is too large: at most {MAX_BODY_BYTES:,} bytes."}, status=413
    )


def _body(req: Request) -> dict[str, Any]:
    try:
        body = req.json
    except Exception as exc:  # noqa: BLE001 - any parse failure is the client's
        raise InvalidUsage("The body must be JSON: {\"sender\": ..., \"message\": ...}") from exc
    if not isinstance(body, dict):
        raise InvalidUsage("The body must be a JSON object: {\"sender\": ..., \"message\": ...}")
    return body


class SafeRestInput(RestInput):
    """``RestInput`` that rejects malformed bodies with 400 instead of failing with 500."""

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's REST channel."""
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _body(req).get("sender")
        if sender is None:
            return None
        if not isinstance(sender, str | int) or isinstance(sender, bool):
            raise InvalidUsage("'sender' must be a string.")
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if message is None:
            return ""
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        return message

    def _extract_input_channel(self, req: Request) -> Text:
        """Always ``rest``: the client's ``input_channel`` is not trusted."""
        return self.name()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        """Rasa's REST blueprint, with the size limits checked before a message is handled."""
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def limits(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _too_large()
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - the handler answers 400 for this
                return None
            if not isinstance(body, dict):
                return None
            message = body.get("message")
            if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
                # Not processed: answered like a bot reply, so every client shows it.
                sender = body.get("sender")
                return response.json(
                    [{"recipient_id": sender, "text": too_long_reply(len(message))}]
                )
            return None

        webhook.listener("before_server_start")(_limit_request_size)
        return webhook


class SafeSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with server-side limits on what a client may send.

    A message that is not a JSON object, or whose ``message`` is not text, is ignored
    (Rasa's handler would fail on it); a message longer than :data:`MAX_MESSAGE_CHARS`
    gets :func:`too_long_reply` on that socket only and is not processed. Engine.IO
    refuses packets larger than :data:`MAX_BODY_BYTES`. Same name (``socketio``) and
    path as Rasa's channel.
    """

    @classmethod
    def name(cls) -> Text:
        """Same name (and path) as Rasa's socket.io channel."""
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's socket.io blueprint, with its message handler wrapped by the checks."""
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()
        # Engine.IO's own packet limit (1,000,000 bytes by default).
        sio.eio.max_http_buffer_size = MAX_BODY_BYTES
        namespace = self.namespace or "/"
        handle_message = sio.handlers[namespace][self.user_message_evt]

        async def checked_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                return  # nothing a person typed: there is no message to answer
            message = data.get("message", "")
            if not isinstance(message, str):
                return
            if len(message) > MAX_MESSAGE_CHARS:
                await sio.emit(
                    self.bot_message_evt,
                    {"text": too_long_reply(len(message))},
                    room=sid,
                    namespace=self.namespace,
                )
                return
            # Rasa's handler parses text metadata with json.loads and fails on bad JSON.
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = None
            if not isinstance(metadata, dict):
                metadata = {}
            await handle_message(sid, {**data, self.metadata_key: metadata})

        sio.on(self.user_message_evt, checked_message, namespace=self.namespace)
        webhook.listener("before_server_start")(_limit_request_size)
        return webhook
