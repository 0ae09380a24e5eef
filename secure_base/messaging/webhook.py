"""What every verified messaging webhook shares: the guard, limits and refusals.

Each channel's blueprint is Rasa's, with a request middleware (:func:`guard`) that runs
before Rasa's handler and before anything reads the body as JSON or a form. In order:

1. a body over :data:`MAX_WEBHOOK_BYTES` gets 413;
2. the channel's ``check`` verifies the request: a missing signature or token gets 401,
   a wrong, stale or replayed one 403, a malformed body (once its signature is known to
   be right, or when the body must be read to check it) 400.

A refused request is logged with its channel, status and reason only: never its body,
headers or signature. It reaches neither the tracker nor the model, since Rasa's handler
never runs for it.

A message longer than :data:`secure_base.channels.MAX_MESSAGE_CHARS` is not processed
(:func:`within_limits`): the person gets the same clear reply as on REST and socket.io.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.channels import MAX_MESSAGE_CHARS, too_long_reply
from secure_base.channels import _limit_request_size as limit_request_size
from secure_base.logsafe import describe_error
from secure_base.messaging.replies import current_agent, guarded
from secure_base.settings import CHANNEL_VARIABLES

logger = logging.getLogger(__name__)

#: Largest webhook body (bytes). Larger than a REST message: Messenger batches several
#: events in one request and Slack's interactive payloads repeat the whole message.
MAX_WEBHOOK_BYTES = 256 * 1024

#: Verifies one request; returns the refusal, or None to let Rasa's handler run.
Check = Callable[[Request], Awaitable[Optional[HTTPResponse]]]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def refuse(channel: str, status: int, reason: str) -> HTTPResponse:
    """A refusal, logged with the channel, status and reason, never the request.

    Args:
        channel: The channel's name (``telegram``...).
        status: 400 (malformed), 401 (no signature), 403 (wrong, stale, replayed) or 413.
        reason: A short reason without anything from the request.
    """
    logger.warning("Refused a %s webhook request (%d): %s", channel, status, reason)
    return response.json({"error": reason}, status=status)


def guard(blueprint: Blueprint, channel: str, check: Check) -> Blueprint:
    """Runs ``check`` on every request to the blueprint's ``/webhook`` before its handler.

    Other routes of the blueprint (the health check ``/``) are left alone.

    Args:
        blueprint: Rasa's blueprint for the channel.
        channel: The channel's name, for the logs.
        check: The channel's verification.

    Returns:
        The same blueprint.
    """

    @blueprint.middleware("request")
    async def verify_first(request: Request) -> Optional[HTTPResponse]:
        if not request.path.rstrip("/").endswith("/webhook"):
            return None
        # For the replies (secure_base.messaging.replies): was this sender answered before?
        current_agent.set(getattr(request.app.ctx, "agent", None))
        if len(request.body or b"") > MAX_WEBHOOK_BYTES:
            return refuse(channel, 413, f"the body is over {MAX_WEBHOOK_BYTES:,} bytes")
        return await check(request)

    blueprint.listener("before_server_start")(limit_request_size)
    return blueprint


def json_object(body: bytes) -> Optional[dict[str, Any]]:
    """``body`` as a JSON object, or None when it is not one."""
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def within_limits(on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message`` for a messaging channel: limits, replies, failures logged safely.

    The message's output channel is wrapped (:func:`secure_base.messaging.replies.guarded`):
    the first reply a sender ever gets on the channel is preceded by the disclosure, and
    a crisis reply the provider never accepts is recorded and told to staff. A message
    over the length limit is answered without being read. A failure while
    handling a message is logged by type only (Rasa's connectors log the exception's
    text, which may quote the message) and not raised: the provider would otherwise
    deliver the same message again.
    """

    async def handle(message: UserMessage) -> Any:
        text = message.text or ""
        try:
            message.output_channel = guarded(message.output_channel, message.input_channel,
                                             message.sender_id)
            if len(text) <= MAX_MESSAGE_CHARS:
                return await on_new_message(message)
            logger.info("A %s message over %d characters was not processed",
                        message.input_channel, MAX_MESSAGE_CHARS)
            await message.output_channel.send_text_message(
                message.sender_id, too_long_reply(len(text)))
        except Exception as exc:  # noqa: BLE001 - logged without its text, see above
            logger.error("Handling a %s message failed: %s", message.input_channel,
                         describe_error(exc))
        return None

    return handle


def disabled_blueprint(channel: str, config: Any) -> Blueprint:
    """A blueprint without routes, for a channel whose variables are not set.

    A channel with only some of its variables set is a mistake worth an error in the
    log (naming the variables, never their values); the server still starts.
    """
    given = [variable for name, attribute, variable, _secret in CHANNEL_VARIABLES
             if name == channel and attribute not in _OPTIONAL and getattr(config, attribute)]
    if given:
        logger.error("The %s channel is off: only some of its variables are set (%s); "
                     "see docs/channels.md", channel, ", ".join(given))
    return Blueprint(f"{channel}_webhook_off")


#: Settings with a default or not needed to enable a channel.
_OPTIONAL = ("api_url", "public_url")
