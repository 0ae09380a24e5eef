"""Staff notifications: e-mail over SMTP and a generic JSON webhook.

Crisis events and intake submissions tell the practice that something needs a person's
attention. Every configured transport is tried; :func:`send_notification` never raises,
because a notification problem must not break the conversation that caused it. The
result says which transports delivered and why the others failed; :func:`mark_notified`
keeps that outcome on the stored row the notification was about.

Privacy rule: a notification carries only safe fields (kind, time, a channel name from
:data:`KNOWN_CHANNELS`, and an opaque ID staff can look up). It never contains what the
person wrote, any health detail, or anything the client chose (the conversation ID, a
channel name it made up): e-mail and webhooks leave the practice's database and its
encryption. Failures are logged with the transport and the error type only.

Integrity and transport: the webhook body is signed (:func:`webhook_signature`, HMAC-SHA256
over the timestamp and the body, with ``SECURE_BASE_NOTIFY_WEBHOOK_SECRET``) so the receiver
can tell it came from the practice and is fresh (:func:`verify_webhook_signature`); e-mail
is sent with STARTTLS (certificate verified) and SMTP login when configured.

Flooding: :class:`AlertThrottle` limits notifications per conversation and per source
(kind and channel) in a time window; what it holds back is counted and reported with the
next notification that goes out (:func:`send_throttled`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import requests

from secure_base.logsafe import describe_error
from secure_base.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
Notified = TypeVar("Notified")

SMTP_TIMEOUT_SECONDS = 10
WEBHOOK_TIMEOUT_SECONDS = 5
TRANSPORT_EMAIL = "email"
TRANSPORT_WEBHOOK = "webhook"
SIGNATURE_HEADER = "X-Secure-Base-Signature"
TIMESTAMP_HEADER = "X-Secure-Base-Timestamp"
#: How old (or how far in the future) a signed webhook may be; receivers should refuse
#: anything outside it, so a captured request cannot be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300
#: Input channels a notification may name (Rasa's channel names). Anything else (a
#: REST client can send any ``input_channel``) is reported as ``other``.
KNOWN_CHANNELS = frozenset(
    {
        "rest",
        "socketio",
        "telegram",
        "twilio",
        "twilio_voice",
        "facebook",
        "slack",
        "mattermost",
        "rocketchat",
        "botframework",
        "webexteams",
        "hangouts",
        "callback",
        "cmdline",
    }
)
OTHER_CHANNEL = "other"


def channel_name(channel: Optional[str]) -> Optional[str]:
    """The input channel's name if it is a known channel, else ``other`` (``None`` stays)."""
    if channel is None:
        return None
    return channel if channel in KNOWN_CHANNELS else OTHER_CHANNEL


def alert_reference() -> str:
    """A random, opaque reference for a notification about something not stored.

    The action server logs it next to the conversation, so staff can follow up from the
    log without the notification naming the conversation.
    """
    return uuid.uuid4().hex[:12]


@dataclass
class Notification:
    """One message for the practice's staff.

    Attributes:
        kind: What happened, e.g. ``crisis`` or ``intake_submitted``.
        subject: One-line summary (the e-mail subject).
        body: Plain-text body for people.
        data: Machine-readable safe fields (JSON-serialisable; other values are sent
            as strings).

    """

    kind: str
    subject: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class NotifyResult:
    """What happened to one notification.

    Attributes:
        succeeded: Transports that delivered it.
        failed: Transport name mapped to a short error description (no content).
        throttled: Why it was held back by :class:`AlertThrottle` (then nothing was
            attempted), else ``None``.

    """

    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    throttled: Optional[str] = None

    @property
    def attempted(self) -> list[str]:
        """Every transport that was configured and tried."""
        return [*self.succeeded, *self.failed]

    @property
    def ok(self) -> bool:
        """Whether at least one transport reached the staff."""
        return bool(self.succeeded)

    @property
    def error(self) -> Optional[str]:
        """All failures in one line, or a note that nothing is configured; else ``None``."""
        if self.throttled:
            return f"throttled: {self.throttled}"
        if not self.attempted:
            return "no notification transport is configured"
        if not self.failed:
            return None
        return "; ".join(f"{name}: {message}" for name, message in self.failed.items())


def notification_time(when: datetime) -> str:
    """Format a time for a notification's subject and body, in UTC."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _recipients(raw: str) -> list[str]:
    return [address.strip() for address in raw.split(",") if address.strip()]


def _data_lines(data: dict[str, Any]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in data.items())


class SmtpConfigError(ValueError):
    """The SMTP settings are unsafe (a login without STARTTLS)."""


def send_email(notification: Notification, settings: Settings) -> None:
    """Send the notification by SMTP to ``settings.notify_email_to`` (comma-separated).

    With ``smtp_starttls`` the connection is upgraded with STARTTLS (the server's
    certificate is verified against the system's CAs or ``smtp_ca_file``) before anything
    else is sent; with ``smtp_user`` the notifier logs in after STARTTLS.

    Raises:
        smtplib.SMTPException, ssl.SSLError, OSError: When the server cannot be reached,
            does not offer STARTTLS, fails verification, refuses the login or the mail.
        SmtpConfigError: When a login is configured without STARTTLS.

    """
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = settings.smtp_sender
    message["To"] = ", ".join(_recipients(settings.notify_email_to))
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="secure-base.local")
    # Lets mail rules sort notifications without parsing the subject.
    message["X-Secure-Base-Kind"] = notification.kind
    body = notification.body
    if notification.data:
        body = f"{body}\n\n{_data_lines(notification.data)}"
    message.set_content(body + "\n")
    if settings.smtp_user and not settings.smtp_starttls:
        # A password over a plain connection can be read by anyone on the path.
        raise SmtpConfigError(
            "SMTP login is configured without STARTTLS; set SECURE_BASE_SMTP_STARTTLS=1"
        )
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            # Raises SMTPNotSupportedError when the server does not offer STARTTLS: never
            # fall back to plain text. The certificate and host name are verified.
            context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def webhook_payload(notification: Notification) -> str:
    """Return the JSON document POSTed to the webhook."""
    payload = asdict(notification)
    payload["sent_at"] = datetime.now(UTC).isoformat()
    # default=str: a datetime or UUID in ``data`` must not cost the notification.
    return json.dumps(payload, default=str)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body``.

    Args:
        secret: The shared secret (``SECURE_BASE_NOTIFY_WEBHOOK_SECRET``).
        timestamp: The ``X-Secure-Base-Timestamp`` header (Unix seconds, as sent).
        body: The exact request body bytes.

    """
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook_signature(
    secret: str,
    timestamp: Optional[str],
    body: bytes,
    signature: Optional[str],
    *,
    now: Optional[float] = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: check the signature (constant time) and the timestamp's age.

    Args:
        secret: The shared secret.
        timestamp: The ``X-Secure-Base-Timestamp`` header as received.
        body: The raw request body, before any JSON parsing.
        signature: The ``X-Secure-Base-Signature`` header as received.
        now: The current Unix time (default: the clock).
        tolerance: Largest accepted difference between ``timestamp`` and ``now``.

    Returns:
        ``True`` only for a correct signature on a fresh timestamp.

    """
    if not secret or not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace"))


def send_webhook(notification: Notification, settings: Settings) -> None:
    """POST the notification as JSON to ``settings.notify_webhook_url``.

    With ``notify_webhook_secret`` set, the request carries ``X-Secure-Base-Timestamp``
    and ``X-Secure-Base-Signature`` (see :func:`webhook_signature`).

    Raises:
        requests.RequestException: On connection errors, timeouts and non-2xx replies.

    """
    body = webhook_payload(notification).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "secure-base-notifier"}
    if settings.notify_webhook_secret:
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = webhook_signature(
            settings.notify_webhook_secret, timestamp, body
        )
    response = requests.post(
        settings.notify_webhook_url,
        data=body,
        headers=headers,
        timeout=WEBHOOK_TIMEOUT_SECONDS,
        # A redirect would re-send the alert to wherever the first server points.
        allow_redirects=False,
    )
    try:
        response.raise_for_status()
        if not 200 <= response.status_code < 300:  # e.g. a redirect, which is not followed
            raise requests.HTTPError(f"HTTP {response.status_code}", response=response)
    finally:
        response.close()


def configured_transports(settings: Settings) -> list[str]:
    """Names of the transports that are switched on in ``settings``."""
    names = []
    if _recipients(settings.notify_email_to):
        names.append(TRANSPORT_EMAIL)
    if settings.notify_webhook_url.strip():
        names.append(TRANSPORT_WEBHOOK)
    return names


_SENDERS = {TRANSPORT_EMAIL: send_email, TRANSPORT_WEBHOOK: send_webhook}


def send_notification(
    notification: Notification, settings: Optional[Settings] = None
) -> NotifyResult:
    """Send ``notification`` through every configured transport; never raises.

    Blocking (SMTP and HTTP with timeouts): call it from a worker thread in async code,
    e.g. ``await asyncio.to_thread(send_notification, notification)``.

    Args:
        notification: The notification; it must hold only safe fields.
        settings: Settings to use; :func:`secure_base.settings.load_settings` when omitted.

    Returns:
        Which transports succeeded and which failed (with a content-free reason).

    """
    try:
        return _send_everywhere(notification, settings)
    except Exception as exc:  # noqa: BLE001 - a notifier must never take its caller down
        return NotifyResult(failed={"notifier": describe_error(exc)})


def _send_everywhere(notification: Notification, settings: Optional[Settings]) -> NotifyResult:
    """Try every configured transport; each one's failure is caught and named."""
    result = NotifyResult()
    try:
        settings = settings or load_settings()
        transports = configured_transports(settings)
    except Exception as exc:  # noqa: BLE001 - see send_notification
        reason = describe_error(exc)
        logger.error("Notification %r not sent: settings unusable (%s)", notification.kind, reason)
        result.failed["settings"] = reason
        return result

    if not transports:
        logger.warning(
            "Notification %r not sent: no transport configured "
            "(set SECURE_BASE_NOTIFY_EMAIL and/or SECURE_BASE_NOTIFY_WEBHOOK)",
            notification.kind,
        )
        return result

    for name in transports:
        try:
            _SENDERS[name](notification, settings)
        except Exception as exc:  # noqa: BLE001 - see send_notification
            reason = describe_error(exc)
            result.failed[name] = reason
            # Kind and reason only: never the subject, body or data.
            logger.error("Notification %r via %s failed: %s", notification.kind, name, reason)
        else:
            result.succeeded.append(name)
            logger.info("Notification %r sent via %s", notification.kind, name)
    return result


@dataclass(frozen=True)
class Admission:
    """The throttle's decision on one notification.

    Attributes:
        allowed: Whether it may be sent.
        reason: Why it is held back (no conversation ID or content), if it is.
        held_back: How many notifications of the same source were held back since the
            last one of that source went out (reported with this one).

    """

    allowed: bool
    reason: Optional[str] = None
    held_back: int = 0


class AlertThrottle:
    """Sliding-window limits on staff notifications, per conversation and per source.

    A source is a kind of notification on one channel (``crisis:rest``): someone who
    floods one channel with crisis messages, from one conversation or from thousands,
    cannot bury the alerts of another channel, and one conversation cannot send more
    than a few alerts an hour. What is held back is counted; the next notification of
    the same source that goes out reports the count. The stored rows record every event
    either way, so nothing is lost, only not announced again.

    Thread-safe (notifications are sent from worker threads). The counts live in this
    process: with several action servers, each has its own budget.
    """

    def __init__(
        self,
        per_conversation: int = 3,
        per_source: int = 30,
        window_seconds: float = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limits per window; ``clock`` returns seconds (monotonic)."""
        self.per_conversation = per_conversation
        self.per_source = per_source
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._by_conversation: dict[str, deque[float]] = {}
        self._by_source: dict[str, deque[float]] = {}
        self._held_back: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertThrottle:
        """The limits of ``SECURE_BASE_NOTIFY_MAX_PER_CONVERSATION`` / ``_PER_SOURCE``."""
        return cls(
            settings.notify_max_per_conversation,
            settings.notify_max_per_source,
            settings.notify_window_seconds,
        )

    def _prune(self, table: dict[str, deque[float]], now: float) -> None:
        oldest = now - self.window_seconds
        for key in list(table):
            times = table[key]
            while times and times[0] <= oldest:
                times.popleft()
            if not times:
                del table[key]  # keeps memory bounded by the window's traffic

    def admit(self, conversation_id: Optional[str], source: str) -> Admission:
        """Decide whether a notification about ``conversation_id`` from ``source`` may go.

        Args:
            conversation_id: The conversation it is about (kept only as a hash, in
                memory), or ``None`` when there is none.
            source: Kind and channel, e.g. ``crisis:socketio``.

        """
        with self._lock:
            now = self._clock()
            self._prune(self._by_conversation, now)
            self._prune(self._by_source, now)
            key = None
            if conversation_id is not None:
                key = hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()
            conversation = self._by_conversation.get(key, deque()) if key else deque()
            sent = self._by_source.get(source, deque())
            reason = None
            if key is not None and len(conversation) >= self.per_conversation:
                reason = (
                    f"{self.per_conversation} notification(s) for this conversation within "
                    f"{self.window_seconds:g} s"
                )
            elif len(sent) >= self.per_source:
                reason = (
                    f"{self.per_source} notification(s) from {source} within "
                    f"{self.window_seconds:g} s"
                )
            if reason is not None:
                self._held_back[source] = self._held_back.get(source, 0) + 1
                return Admission(False, reason)
            if key is not None:
                self._by_conversation.setdefault(key, conversation).append(now)
            self._by_source.setdefault(source, sent).append(now)
            return Admission(True, None, self._held_back.pop(source, 0))


_default_throttle: Optional[AlertThrottle] = None
_default_throttle_lock = threading.Lock()


def default_throttle(settings: Optional[Settings] = None) -> AlertThrottle:
    """The process's throttle, made from the settings on first use."""
    global _default_throttle
    with _default_throttle_lock:
        if _default_throttle is None:
            _default_throttle = AlertThrottle.from_settings(settings or load_settings())
        return _default_throttle


def reset_default_throttle() -> None:
    """Forget the process's throttle (its counts); the next use reads the settings again."""
    global _default_throttle
    with _default_throttle_lock:
        _default_throttle = None


def with_held_back(notification: Notification, count: int) -> Notification:
    """``notification`` with a line saying how many earlier ones were held back."""
    if not count:
        return notification
    note = (
        f"{count} earlier notification(s) of this kind were held back by the flood limit; "
        "the practice database lists every stored event."
    )
    return Notification(
        kind=notification.kind,
        subject=notification.subject,
        body=f"{notification.body}\n\n{note}",
        data={**notification.data, "held_back": count},
    )


def send_throttled(
    notification: Notification,
    *,
    conversation_id: Optional[str],
    channel: Optional[str],
    throttle: Optional[AlertThrottle] = None,
    settings: Optional[Settings] = None,
) -> NotifyResult:
    """Send ``notification`` unless the throttle holds it back; never raises.

    Args:
        notification: The notification (safe fields only).
        conversation_id: The conversation it is about (for the per-conversation limit;
            never put into the notification), or ``None``.
        channel: Its input channel; the source is the kind and :func:`channel_name`.
        throttle: The limits to apply; :func:`default_throttle` when omitted.
        settings: Settings to use; :func:`secure_base.settings.load_settings` when omitted.

    Returns:
        The outcome; ``throttled`` says why when it was held back (nothing attempted).

    """
    try:
        throttle = throttle or default_throttle(settings)
        source = f"{notification.kind}:{channel_name(channel) or 'unknown'}"
        admission = throttle.admit(conversation_id, source)
    except Exception as exc:  # noqa: BLE001 - an alert is better than none
        logger.error("Notification throttle failed (%s); sending anyway", describe_error(exc))
        return send_notification(notification, settings)
    if not admission.allowed:
        logger.warning("Notification %r held back: %s", notification.kind, admission.reason)
        return NotifyResult(throttled=admission.reason)
    return send_notification(with_held_back(notification, admission.held_back), settings)


def mark_notified(
    model: type[Notified], session: Session, row_id: int, ok: bool, error: Optional[str] = None
) -> Optional[Notified]:
    """Record on a stored row whether staff were notified about it.

    Crisis events and intake submissions both keep the outcome in ``notified`` and
    ``notify_error`` columns; the stores bind ``model`` (``partial``) so their callers pass
    only the row's ID.

    Args:
        model: The mapped class of the row (it has ``notified`` and ``notify_error``).
        session: Open session; the caller commits.
        row_id: Primary key of the row.
        ok: Whether at least one notification was delivered.
        error: Content-free description of what failed, if anything.

    Returns:
        The updated row, or ``None`` if there is no row with that ID.

    """
    row = session.get(model, row_id)
    if row is None:
        return None
    row.notified = bool(ok)
    row.notify_error = error
    session.flush()
    return row
