"""Delivering replies to a messaging provider: retries, safe logs, failed crisis replies.

Every call a channel's output makes to its provider goes through :func:`deliver` (or,
for Messenger's synchronous client, :func:`deliver_blocking`). A failure that may pass
is tried again with exponential backoff, at most :attr:`RetryPolicy.attempts` times in a
few seconds:

* retried: HTTP 5xx, 429 (after its ``Retry-After`` when the provider gives one and it
  is short), timeouts and connection errors;
* not retried: any other 4xx (the request itself is wrong: retrying cannot help) and
  anything unknown.

Each failed attempt is logged with the channel, the status (or ``timeout``...) and the
attempt number only: never the message, the recipient or the provider's error text.
The last failure raises :class:`DeliveryFailed`.
:class:`~secure_base.messaging.replies.GuardedReplies` catches it; when the reply was
a crisis reply (:func:`crisis_response_of`), :func:`record_failed_crisis_reply`
stores a row (no text) and tells staff through the notification path crisis events use.

Each channel's output gets this with one mixin, listed first among its bases: Telegram
(:class:`ReliableTelegramOutput`: every Bot API call), Twilio
(:class:`ReliableTwilioOutput`: each message part), Slack (:class:`ReliableSlackBot`:
each post); Messenger's client gets a :class:`ProviderSession`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Mapping, Optional, TypeVar

import aiohttp
import requests
from aiogram.utils import exceptions as telegram_errors
from rasa.core.channels.slack import SlackBot
from slack_sdk.errors import SlackApiError, SlackClientError
from twilio.base.exceptions import TwilioRestException

from secure_base.crisis import CRISIS_FLAG_SLOT, CRISIS_RESPONSE
from secure_base.db import session_scope
from secure_base.logsafe import describe_error
from secure_base.messaging.models import FailedCrisisReply
from secure_base.notify import (
    AlertThrottle,
    Notification,
    NotifyResult,
    alert_reference,
    channel_name,
    mark_notified,
    notification_time,
    send_throttled,
)
from secure_base.sqltypes import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

#: Longest a provider call may take (seconds) when its client sets no timeout itself.
PROVIDER_TIMEOUT_SECONDS = 10.0
FAILED_CRISIS_REPLY_KIND = "crisis_reply_failed"
_CONVERSATION_MAX = FailedCrisisReply.__table__.c.conversation_id.type.length
_TELEGRAM_STATUS = re.compile(r"\[(\d{3})\]\s*$")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed provider call is tried again.

    Attributes:
        attempts: Tries in all (the first one included).
        first_delay: Seconds before the second try; doubled for each further one.
        max_retry_after: The longest ``Retry-After`` (seconds) waited for; a 429 asking
            for longer is not retried.

    """

    attempts: int = 3
    first_delay: float = 0.5
    max_retry_after: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return self.first_delay * 2 ** (attempt - 1)


DEFAULT_POLICY = RetryPolicy()


class ProviderHTTPError(Exception):
    """A provider answered with an error status (for clients that do not raise)."""

    def __init__(self, status: int, retry_after: Optional[float] = None) -> None:
        """``status``: the HTTP status; ``retry_after``: its Retry-After, in seconds."""
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class DeliveryFailed(Exception):
    """A provider call that failed for good (after its retries, or not retryable).

    Attributes:
        channel: The channel's name.
        status: The provider's last HTTP status, if it answered.
        reason: ``HTTP 500``, ``timeout``, ``connection error``... (no content).
        attempts: How many tries were made.

    """

    def __init__(self, channel: str, status: Optional[int], reason: str, attempts: int
                 ) -> None:
        """See the class's attributes."""
        super().__init__(f"{channel}: {reason} after {attempts} attempt(s)")
        self.channel = channel
        self.status = status
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class Failure:
    """What one failed provider call says about trying again.

    Attributes:
        reason: Short and content-free: ``HTTP 503``, ``timeout``, ``connection error``.
        status: The HTTP status, if the provider answered.
        retryable: Whether another try may succeed.
        retry_after: Seconds the provider asked to wait (429), if it said.

    """

    reason: str
    status: Optional[int] = None
    retryable: bool = False
    retry_after: Optional[float] = None


def retry_after_seconds(headers: Optional[Mapping[str, Any]]) -> Optional[float]:
    """A ``Retry-After`` header (seconds or an HTTP date) in seconds, if there is one."""
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _by_status(status: int, retry_after: Optional[float] = None) -> Failure:
    retryable = status >= 500 or status == 429
    return Failure(f"HTTP {status}", status, retryable, retry_after)


def _telegram_failure(exc: telegram_errors.TelegramAPIError) -> Failure:
    """Telegram's failure: aiogram raises by kind; its catch-all (5xx) names the status."""
    if isinstance(exc, telegram_errors.RetryAfter):
        return Failure("HTTP 429", 429, True, float(exc.timeout))
    if isinstance(exc, telegram_errors.NetworkError):
        return Failure("connection error", None, True)
    if isinstance(exc, telegram_errors.RestartingTelegram):
        return Failure("HTTP 5xx", None, True)
    for kind, status in ((telegram_errors.BadRequest, 400), (telegram_errors.Unauthorized, 401),
                         (telegram_errors.NotFound, 404),
                         (telegram_errors.ConflictError, 409)):
        if isinstance(exc, kind):
            return _by_status(status)
    match = _TELEGRAM_STATUS.search(str(exc.args[0]) if exc.args else "")
    if match:
        return _by_status(int(match.group(1)))
    if type(exc) is telegram_errors.TelegramAPIError:
        return Failure("HTTP 5xx", None, True)  # aiogram gives 5xx their description only
    return Failure(type(exc).__name__)


def classify(exc: BaseException) -> Failure:
    """What a provider call's exception says, for the retry and the log (no content)."""
    if isinstance(exc, ProviderHTTPError):
        return _by_status(exc.status, exc.retry_after)
    if isinstance(exc, telegram_errors.TelegramAPIError):
        return _telegram_failure(exc)
    if isinstance(exc, TwilioRestException):
        return _by_status(int(exc.status)) if exc.status else Failure("Twilio error")
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", None)
        if status is None:
            return Failure("Slack error")
        return _by_status(int(status), retry_after_seconds(getattr(response, "headers", None)))
    if isinstance(exc, aiohttp.ClientResponseError):
        return _by_status(exc.status, retry_after_seconds(exc.headers))
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return _by_status(exc.response.status_code,
                          retry_after_seconds(exc.response.headers))
    if isinstance(exc, asyncio.TimeoutError | TimeoutError | requests.Timeout):
        return Failure("timeout", None, True)
    if isinstance(exc, aiohttp.ClientError | requests.ConnectionError | SlackClientError
                  | OSError):
        return Failure("connection error", None, True)
    return Failure(type(exc).__name__)


def _next_wait(failure: Failure, attempt: int, policy: RetryPolicy) -> Optional[float]:
    """Seconds to wait before trying again, or None to give up."""
    if not failure.retryable or attempt >= policy.attempts:
        return None
    if failure.retry_after is not None:
        if failure.retry_after > policy.max_retry_after:
            return None
        return max(failure.retry_after, policy.delay(attempt))
    return policy.delay(attempt)


def _log_failure(channel: str, failure: Failure, attempt: int, policy: RetryPolicy,
                 wait: Optional[float]) -> None:
    if wait is None:
        logger.error("A %s delivery failed (%s), attempt %d of %d: giving up", channel,
                     failure.reason, attempt, policy.attempts)
    else:
        logger.warning("A %s delivery failed (%s), attempt %d of %d: retrying in %.1f s",
                       channel, failure.reason, attempt, policy.attempts, wait)


async def deliver(channel: str, call: Callable[[], Awaitable[Result]],
                  policy: Optional[RetryPolicy] = None) -> Result:
    """Runs one provider call, tried again as the module's docstring says.

    Args:
        channel: The channel's name, for the log.
        call: Makes the call afresh each time it is called.
        policy: How often and how soon; :data:`DEFAULT_POLICY` when omitted.

    Raises:
        DeliveryFailed: When the last try failed or the failure cannot pass.
    """
    policy = policy or DEFAULT_POLICY
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified; never logged with its text
            failure = classify(exc)
            wait = _next_wait(failure, attempt, policy)
            _log_failure(channel, failure, attempt, policy, wait)
            if wait is None:
                raise DeliveryFailed(channel, failure.status, failure.reason, attempt) from None
            await asyncio.sleep(wait)


def deliver_blocking(channel: str, call: Callable[[], Result],
                     policy: Optional[RetryPolicy] = None) -> Result:
    """:func:`deliver` for a synchronous client (it waits with ``time.sleep``)."""
    policy = policy or DEFAULT_POLICY
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - classified; never logged with its text
            failure = classify(exc)
            wait = _next_wait(failure, attempt, policy)
            _log_failure(channel, failure, attempt, policy, wait)
            if wait is None:
                raise DeliveryFailed(channel, failure.status, failure.reason, attempt) from None
            time.sleep(wait)


# --- each channel's output ----------------------------------------------------------


class ReliableTelegramOutput:
    """Mixin for an aiogram ``Bot``: every Bot API call is delivered with retries."""

    async def request(self, method: str, data: Optional[Dict] = None,
                      files: Optional[Dict] = None, **kwargs: Any) -> Any:
        """The Bot API call, with a timeout when none is set, tried again if it may pass."""
        if getattr(self, "_timeout", 0) is None:
            self.timeout = PROVIDER_TIMEOUT_SECONDS  # aiohttp's default is 5 minutes
        parent = super()
        return await deliver(
            "telegram", lambda: parent.request(method, data, files, **kwargs))  # type: ignore[misc]


class ReliableTwilioOutput:
    """Mixin for Rasa's ``TwilioOutput``: each message part delivered with retries.

    Rasa's ``_send_message`` logs Twilio's error text and gives up silently; this one
    sends in a worker thread (Twilio's client blocks) and raises :class:`DeliveryFailed`.
    """

    async def _send_message(self, message_data: Dict[str, Any]) -> Any:
        client = getattr(self, "http_client", None)
        if client is not None and getattr(client, "timeout", 0) is None:
            client.timeout = PROVIDER_TIMEOUT_SECONDS  # requests waits forever by default
        messages = self.messages  # type: ignore[attr-defined]
        return await deliver(
            "twilio", lambda: asyncio.to_thread(messages.create, **message_data))


class ReliableSlackBot(SlackBot):
    """Rasa's Slack output: each post delivered with retries."""

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        parent = super()
        await deliver("slack", lambda: parent._post_message(channel, **kwargs))


class ProviderSession(requests.Session):
    """A ``requests`` session for a synchronous provider client (Messenger's).

    Every call gets a timeout, an error status raises, and a failure that may pass is
    tried again (:func:`deliver_blocking`: the client is synchronous, so the waits block
    like its calls do). Sender actions (``typing_on``, ``mark_seen``) are tried once and
    never raise: they must not keep a message from being handled.
    """

    def __init__(self, channel: str, policy: Optional[RetryPolicy] = None) -> None:
        """``channel``: the channel's name, for the log; ``policy``: the default's."""
        super().__init__()
        self.channel = channel
        self.policy = policy

    def request(self, method: str, url: str, *args: Any, **kwargs: Any  # type: ignore[override]
                ) -> requests.Response:
        """The request, as described in the class's docstring."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = PROVIDER_TIMEOUT_SECONDS
        body = kwargs.get("json")
        if isinstance(body, dict) and "sender_action" in body:
            try:
                return super().request(method, url, *args, **kwargs)
            except requests.RequestException as exc:
                logger.info("A %s sender action failed (%s)", self.channel,
                            classify(exc).reason)
                # The client reads the answer as JSON: an empty object, status 503.
                placeholder = requests.Response()
                placeholder.status_code = 503
                placeholder._content = b"{}"
                return placeholder

        def once() -> requests.Response:
            response = super(ProviderSession, self).request(method, url, *args, **kwargs)
            if response.status_code >= 400:
                retry_after = retry_after_seconds(response.headers)
                response.close()
                raise ProviderHTTPError(response.status_code, retry_after)
            return response

        return deliver_blocking(self.channel, once, self.policy)


# --- crisis replies that never arrived ------------------------------------------------


def crisis_response_of(message: Mapping[str, Any]) -> Optional[str]:
    """The crisis response a bot message is (``utter_crisis...``), or None.

    Rasa puts the response's name in the message's ``utter_action``; a message may also
    be flagged ``crisis: true`` (or ``crisis_flag: true``) by whatever sent it.
    """
    response = message.get("utter_action")
    if isinstance(response, str) and response.startswith(CRISIS_RESPONSE):
        return response
    if message.get("crisis") is True or message.get(CRISIS_FLAG_SLOT) is True:
        return str(response or CRISIS_RESPONSE)
    return None


def failed_reply_notification(row_id: Optional[int], occurred_at: datetime,
                              channel: Optional[str], reason: str, attempts: int,
                              reference: str) -> Notification:
    """The staff notification: safe fields only, never the text or the recipient."""
    when = notification_time(occurred_at)
    shown_channel = channel_name(channel) or "unknown"
    lookup = (f"Look up failed crisis reply #{row_id} in the practice database for the "
              "conversation." if row_id is not None else
              "It could NOT be stored in the practice database; the provider's own message "
              f"log for that time and channel shows the recipient (alert reference {reference}).")
    body = (
        "The Secure Base assistant answered a message with the crisis response, but the "
        f"messaging provider did not deliver it ({reason}, {attempts} attempt(s)). The "
        "person may not have received the crisis lines.\n\n"
        f"Time: {when}\nChannel: {shown_channel}\nAlert reference: {reference}\n\n{lookup}"
    )
    return Notification(
        kind=FAILED_CRISIS_REPLY_KIND,
        subject=f"[Secure Base] Crisis reply NOT delivered ({when})",
        body=body,
        data={"failed_reply_id": row_id, "reference": reference, "channel": shown_channel,
              "reason": reason, "attempts": attempts, "occurred_at": occurred_at.isoformat(),
              "stored": row_id is not None},
    )


def record_failed_crisis_reply(conversation_id: str, *, channel: Optional[str],
                               response: str, failure: DeliveryFailed,
                               engine: Optional[Engine] = None,
                               throttle: Optional[AlertThrottle] = None) -> NotifyResult:
    """Store the failed crisis reply, tell staff, record whether they were told.

    Blocking (database, SMTP, HTTP): call it from a worker thread. Never raises; each
    step is independent, as in :func:`secure_base.crisis.alerts.raise_crisis_alert`.

    Args:
        conversation_id: Rasa sender ID (stored for the follow-up, never notified).
        channel: The messaging channel.
        response: The crisis response that was not delivered.
        failure: What the last try said.
        engine: Database; the settings' database when omitted.
        throttle: Notification flood limits; the process's when omitted.

    Returns:
        What happened to the staff notification.
    """
    occurred_at = utcnow()
    reference = alert_reference()
    row_id: Optional[int] = None
    try:
        with session_scope(engine) as session:
            row = FailedCrisisReply(
                occurred_at=occurred_at, channel=channel_name(channel),
                conversation_id=conversation_id[:_CONVERSATION_MAX], response=response[:128],
                status=failure.status, reason=failure.reason[:128],
                attempts=failure.attempts, notified=False)
            session.add(row)
            session.flush()
            new_id = row.id
        row_id = new_id  # only once the commit succeeded
    except Exception as exc:  # noqa: BLE001 - staff must still be told
        # No conversation ID: on SMS and WhatsApp it is the person's number.
        logger.error("A failed crisis reply could not be stored (%s); notifying anyway "
                     "with alert reference %s", describe_error(exc), reference)
    result = send_throttled(
        failed_reply_notification(row_id, occurred_at, channel, failure.reason,
                                  failure.attempts, reference),
        conversation_id=conversation_id, channel=channel, throttle=throttle)
    if not result.ok:
        logger.error("Staff were not told of failed crisis reply %s: %s", row_id,
                     result.error)
    if row_id is not None:
        try:
            with session_scope(engine) as session:
                mark_notified(FailedCrisisReply, session, row_id, result.ok, result.error)
        except Exception as exc:  # noqa: BLE001 - the row itself is stored
            logger.error("Could not record the notification outcome of failed crisis "
                         "reply %s (%s)", row_id, describe_error(exc))
    return result
