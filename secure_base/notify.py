"""Staff notifications: e-mail over SMTP and a generic JSON webhook.

Crisis events and intake submissions tell the practice that something needs a person's
attention. Every configured transport is tried; :func:`send_notification` never raises,
because a notification problem must not break the conversation that caused it. The
result says which transports delivered and why the others failed; :func:`mark_notified`
keeps that outcome on the stored row the notification was about.

Privacy rule: a notification carries only safe fields (kind, time, channel,
conversation ID and an ID staff can look up). It must never contain what the person
wrote or any health detail: e-mail and webhooks leave the practice's database and its
encryption. Failures are logged with the transport and the error type only.
"""

from __future__ import annotations

import json
import logging
import smtplib
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

    """

    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

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


def send_email(notification: Notification, settings: Settings) -> None:
    """Send the notification by SMTP to ``settings.notify_email_to`` (comma-separated).

    Raises:
        smtplib.SMTPException, OSError: When the server cannot be reached or refuses.

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
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message)


def webhook_payload(notification: Notification) -> str:
    """Return the JSON document POSTed to the webhook."""
    payload = asdict(notification)
    payload["sent_at"] = datetime.now(UTC).isoformat()
    # default=str: a datetime or UUID in ``data`` must not cost the notification.
    return json.dumps(payload, default=str)


def send_webhook(notification: Notification, settings: Settings) -> None:
    """POST the notification as JSON to ``settings.notify_webhook_url``.

    Raises:
        requests.RequestException: On connection errors, timeouts and non-2xx replies.

    """
    response = requests.post(
        settings.notify_webhook_url,
        data=webhook_payload(notification).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "secure-base-notifier"},
        timeout=WEBHOOK_TIMEOUT_SECONDS,
    )
    try:
        response.raise_for_status()
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
