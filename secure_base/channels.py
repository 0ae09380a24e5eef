"""Input channels: Rasa's REST channel with a clear 400 for malformed requests.

Rasa's own REST channel answers 500 when the body is valid JSON but not an object
(``[]``, ``"hi"``), because it calls ``.get`` on it. A client's mistake must get a clear
client error, and the server must stay healthy; this subclass checks the body first.
It keeps the name ``rest``, so the URL stays ``/webhooks/rest/webhook``.
"""

from __future__ import annotations

from typing import Any, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_MESSAGE_CHARS = 20_000


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
        # Longer texts are cut rather than refused, so nothing crashes on a paste.
        return message[:MAX_MESSAGE_CHARS]
