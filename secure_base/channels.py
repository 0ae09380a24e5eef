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
"""

from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, Unauthorized
from sanic.request import Request

from secure_base.access import bearer_token, same_secret, session_secret
from secure_base.session_token import (
    WEB_CONVERSATION_PREFIX,
    InvalidSessionToken,
    verify,
)
from secure_base.settings import load_settings

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000
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

    def _check_token(self, req: Request) -> None:
        if self.token is None:
            return
        if not same_secret(bearer_token(req.headers.get("Authorization")), self.token):
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
        # Longer texts are cut rather than refused, so nothing crashes on a paste.
        return message[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()


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
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(
                UserMessage(text[:MAX_MESSAGE_CHARS], output, conversation,
                            input_channel=self.name())
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
