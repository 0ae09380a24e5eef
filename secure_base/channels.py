"""Input channels: REST and socket.io, with conversation identity checked by the server.

REST (:class:`SafeRestInput`, URL ``/webhooks/rest/webhook``):

* malformed bodies get a 400, not Rasa's 500 (``[]``, ``"hi"``, a non-string message);
* ``sender`` is required (400 otherwise): Rasa would put every request without one into
  one shared ``default`` conversation;
* a ``sender`` starting with ``web-`` is refused: those are the website's conversations,
  reachable only with a session token over socket.io;
* when ``SECURE_BASE_REST_TOKEN`` is set, the request needs
  ``Authorization: Bearer <token>`` (compared in constant time), else 401;
* ``input_channel`` is always ``rest``, never the client's text.

socket.io (:class:`TokenSocketIOInput`, same URL ``/socket.io``): the browser gets a
signed, expiring session token from the website (:mod:`secure_base.session_token`) and
presents it in ``session_request``. The channel joins the socket to the room of the
token's conversation, which the client never learns, and only to that room. A
``session_request`` without a valid token gets ``session_rejected`` and joins nothing;
messages from a socket without a valid session are dropped, whatever ``session_id``
they name.

Size limits, enforced by the server whatever the widget does:

* a message longer than :data:`MAX_MESSAGE_CHARS` characters is not processed; the
  person gets a clear reply (:func:`too_long_reply`, which also gives the crisis lines,
  since nobody read what they wrote) on REST and on socket.io;
* a REST request body larger than :data:`MAX_BODY_BYTES` is refused with 413;
* a socket.io packet larger than :data:`MAX_BODY_BYTES` is refused by Engine.IO (unread
  with 400 on long polling, discarded on the websocket) and that socket.io session is
  closed;
* every request to the Rasa server is capped at :data:`MAX_REQUEST_BYTES` (Sanic's
  ``REQUEST_MAX_SIZE``, 100 MB by default), answered with 413.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage, Unauthorized
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.access import bearer_token, same_secret, session_secret
from secure_base.profile import ProfileError, load_profile
from secure_base.session_token import (
    WEB_CONVERSATION_PREFIX,
    InvalidSessionToken,
    verify,
)
from secure_base.settings import load_settings

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

MAX_SENDER_CHARS = 128


def _body(req: Request) -> dict[str, Any]:
    try:
        body = req.json
    except Exception as exc:  # noqa: BLE001 - any parse failure is the client's
        raise InvalidUsage("The body must be JSON: {\"sender\": ..., \"message\": ...}") from exc
    if not isinstance(body, dict):
        raise InvalidUsage("The body must be a JSON object: {\"sender\": ..., \"message\": ...}")
    return body


class SafeRestInput(RestInput):
    """``RestInput`` with a required sender, an optional token and 400s for bad bodies."""

    def __init__(self, token: Optional[str] = None) -> None:
        """``token``: the bearer token every request must carry (None: no token)."""
        self.token = token

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's REST channel."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> SafeRestInput:
        """The token comes from the settings (``SECURE_BASE_REST_TOKEN``), not the file."""
        return cls(load_settings().rest_token)

    def _token_ok(self, req: Request) -> bool:
        """No token is configured, or the request carries it."""
        return self.token is None or same_secret(
            bearer_token(req.headers.get("Authorization")), self.token)

    def _check_token(self, req: Request) -> None:
        if not self._token_ok(req):
            raise Unauthorized(
                "A valid 'Authorization: Bearer <token>' header is required.", scheme="Bearer"
            )

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        # Rasa calls this first for every message: the token is checked before anything.
        self._check_token(req)
        sender = _body(req).get("sender")
        if sender is None:
            raise InvalidUsage("'sender' is required: the conversation this message belongs to.")
        if not isinstance(sender, str | int) or isinstance(sender, bool):
            raise InvalidUsage("'sender' must be a string.")
        sender = str(sender).strip()
        if not sender or len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
            raise InvalidUsage(f"'sender' must be 1 to {MAX_SENDER_CHARS} printable characters.")
        if sender.startswith(WEB_CONVERSATION_PREFIX):
            raise InvalidUsage(
                f"'sender' must not start with '{WEB_CONVERSATION_PREFIX}': those are the "
                "website's conversations."
            )
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if message is None:
            return ""
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        return message

    def _extract_input_channel(self, req: Request) -> Text:
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
            if not self._token_ok(request):
                return None  # the handler answers 401
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


class TokenSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel where the server, not the client, names the conversation."""

    @classmethod
    def name(cls) -> Text:
        """Same name (and URL) as Rasa's socket.io channel."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> TokenSocketIOInput:
        """Event names from credentials.yml; the secret from the settings."""
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,  # replies go to the conversation's room, never to a client-named one
            credentials.get("socketio_path", "/socket.io"),
        )
        channel.session_secret = session_secret(load_settings())
        return channel

    session_secret: str = ""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint with the session and message handlers replaced."""
        if not self.session_secret:
            raise ValueError("TokenSocketIOInput needs a session secret (use from_credentials)")
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        # Engine.IO's own packet limit (1,000,000 bytes by default).
        sio.eio.max_http_buffer_size = MAX_BODY_BYTES
        namespace = self.namespace or "/"

        async def reject(sid: Text, reason: str) -> None:
            await sio.emit("session_rejected", {"reason": reason}, room=sid, namespace=namespace)

        async def session_request(sid: Text, data: Any = None) -> None:
            token = data.get("token") if isinstance(data, dict) else None
            # Whatever happens next, the socket leaves every conversation it was in.
            for room in list(sio.rooms(sid, namespace=namespace)):
                if room != sid:
                    sio.leave_room(sid, room, namespace=namespace)
            await sio.save_session(sid, {}, namespace=namespace)
            try:
                session = verify(self.session_secret, token)
            except InvalidSessionToken as exc:
                logger.info("Refused a socket.io session: token %s", exc.reason)
                await reject(sid, exc.reason)
                return
            sio.enter_room(sid, session.conversation_id, namespace=namespace)
            await sio.save_session(
                sid,
                {"conversation_id": session.conversation_id, "expires_at": session.expires_at},
                namespace=namespace,
            )
            # The conversation id stays on the server; the client learns only the expiry.
            await sio.emit("session_confirm", {"expires_at": session.expires_at}, room=sid,
                           namespace=namespace)

        async def handle_message(sid: Text, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation = session.get("conversation_id")
            if not conversation:
                await reject(sid, "missing")
                return
            if session.get("expires_at", 0) <= time.time():
                sio.leave_room(sid, conversation, namespace=namespace)
                await sio.save_session(sid, {}, namespace=namespace)
                await reject(sid, "expired")
                return
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                return  # nothing a person typed: there is no message to answer
            if len(text) > MAX_MESSAGE_CHARS:
                # Not processed; the reply goes to this socket only.
                await sio.emit(self.bot_message_evt, {"text": too_long_reply(len(text))},
                               room=sid, namespace=self.namespace)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(
                UserMessage(text, output, conversation, input_channel=self.name())
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        blueprint.listener("before_server_start")(_limit_request_size)
        return blueprint
