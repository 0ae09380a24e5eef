"""The staff notifier against a real local SMTP server and a real local HTTP receiver."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from secure_base import notify
from secure_base.notify import Notification, send_notification
from secure_base.settings import load_settings
from tests.receivers import http_receiver, smtp_receiver  # noqa: F401 (fixtures)
from tests.stack import free_port

SECRET_BODY = "Conversation conv-42 needs a look (event #7)."


def make_settings(**env: str):
    """Settings from an explicit environment (nothing from the real one)."""
    return load_settings({"SECURE_BASE_DATA_DIR": "/nonexistent-unused", **env})


def sample(**data) -> Notification:
    return Notification(
        kind="crisis",
        subject="[Secure Base] Crisis response given",
        body=SECRET_BODY,
        data={"event_id": 7, "conversation_id": "conv-42", **data},
    )


def test_email_is_delivered_to_every_recipient(smtp_receiver) -> None:  # noqa: F811
    settings = make_settings(
        SECURE_BASE_NOTIFY_EMAIL="staff@practice.test, lead@practice.test",
        SECURE_BASE_SMTP_HOST=smtp_receiver.host,
        SECURE_BASE_SMTP_PORT=str(smtp_receiver.port),
        SECURE_BASE_SMTP_SENDER="bot@practice.test",
    )

    result = send_notification(sample(), settings)

    assert result.ok and result.succeeded == ["email"] and result.failed == {}
    assert result.error is None
    (mail,) = smtp_receiver.wait_for(1)
    assert mail.mail_from == "bot@practice.test"
    assert sorted(mail.rcpt_tos) == ["lead@practice.test", "staff@practice.test"]
    msg = mail.message
    assert msg["Subject"] == "[Secure Base] Crisis response given"
    assert msg["X-Secure-Base-Kind"] == "crisis"
    body = msg.get_content()
    assert SECRET_BODY in body
    assert "event_id: 7" in body and "conversation_id: conv-42" in body


def test_webhook_posts_json(http_receiver) -> None:  # noqa: F811
    settings = make_settings(SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url)
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    result = send_notification(sample(occurred_at=when), settings)

    assert result.ok and result.succeeded == ["webhook"]
    (request,) = http_receiver.requests
    assert request.path == "/hooks/s3cr3t-token"
    assert request.headers["content-type"] == "application/json"
    payload = request.json()
    assert payload["kind"] == "crisis"
    assert payload["subject"] == "[Secure Base] Crisis response given"
    assert payload["body"] == SECRET_BODY
    # Non-JSON values (a datetime) are sent as strings rather than failing the send.
    assert payload["data"] == {
        "event_id": 7,
        "conversation_id": "conv-42",
        "occurred_at": str(when),
    }
    assert payload["sent_at"]


def test_both_transports_are_tried(smtp_receiver, http_receiver) -> None:  # noqa: F811
    settings = make_settings(
        SECURE_BASE_NOTIFY_EMAIL="staff@practice.test",
        SECURE_BASE_SMTP_HOST=smtp_receiver.host,
        SECURE_BASE_SMTP_PORT=str(smtp_receiver.port),
        SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url,
    )

    result = send_notification(sample(), settings)

    assert result.succeeded == ["email", "webhook"] and result.failed == {}
    assert len(smtp_receiver.wait_for(1)) == 1
    assert len(http_receiver.requests) == 1


def test_nothing_configured_sends_nothing_and_says_so(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="secure_base.notify")

    result = send_notification(sample(), make_settings())

    assert not result.ok and result.attempted == []
    assert result.error == "no notification transport is configured"
    assert "no transport configured" in caplog.text


def test_closed_ports_fail_without_raising_or_leaking(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    closed = free_port()
    settings = make_settings(
        SECURE_BASE_NOTIFY_EMAIL="staff@practice.test",
        SECURE_BASE_SMTP_HOST="127.0.0.1",
        SECURE_BASE_SMTP_PORT=str(closed),
        SECURE_BASE_NOTIFY_WEBHOOK=f"http://127.0.0.1:{closed}/hooks/s3cr3t-token",
    )

    result = send_notification(sample(), settings)

    assert not result.ok and result.succeeded == []
    assert set(result.failed) == {"email", "webhook"}
    assert "ConnectionRefusedError" in result.failed["email"]
    assert result.failed["webhook"].startswith("ConnectionError")
    # Neither the content nor the webhook's secret path shows up in errors or logs.
    for text in (result.error or "", caplog.text):
        assert SECRET_BODY not in text
        assert "Crisis response given" not in text
        assert "s3cr3t" not in text
    assert "Notification 'crisis' via email failed" in caplog.text
    assert "Notification 'crisis' via webhook failed" in caplog.text


def test_one_failing_transport_does_not_stop_the_other(http_receiver) -> None:  # noqa: F811
    settings = make_settings(
        SECURE_BASE_NOTIFY_EMAIL="staff@practice.test",
        SECURE_BASE_SMTP_HOST="127.0.0.1",
        SECURE_BASE_SMTP_PORT=str(free_port()),
        SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url,
    )

    result = send_notification(sample(), settings)

    assert result.ok
    assert result.succeeded == ["webhook"] and list(result.failed) == ["email"]
    assert result.error.startswith("email: ")
    assert len(http_receiver.requests) == 1


def test_webhook_error_status_is_a_failure(http_receiver) -> None:  # noqa: F811
    http_receiver.respond_with(500)

    result = send_notification(
        sample(), make_settings(SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url)
    )

    assert not result.ok
    assert result.failed == {"webhook": "HTTPError (HTTP 500)"}


def test_webhook_timeout_is_a_failure(http_receiver, monkeypatch) -> None:  # noqa: F811
    # A short timeout keeps the test fast; the receiver really is too slow.
    monkeypatch.setattr(notify, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    http_receiver.respond_with(200, delay=1.5)

    result = send_notification(
        sample(), make_settings(SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url)
    )

    assert not result.ok
    assert result.failed["webhook"].startswith("ReadTimeout")


def test_default_webhook_timeout_is_five_seconds() -> None:
    assert notify.WEBHOOK_TIMEOUT_SECONDS == 5


def test_refused_recipient_is_a_failure(smtp_receiver) -> None:  # noqa: F811
    smtp_receiver.refuse.add("gone@practice.test")
    settings = make_settings(
        SECURE_BASE_NOTIFY_EMAIL="gone@practice.test",
        SECURE_BASE_SMTP_HOST=smtp_receiver.host,
        SECURE_BASE_SMTP_PORT=str(smtp_receiver.port),
    )

    result = send_notification(sample(), settings)

    assert not result.ok
    assert result.failed == {"email": "SMTPRecipientsRefused (SMTP 550)"}
    assert smtp_receiver.inbox == []


def test_settings_from_environment_and_broken_settings_never_raise(
    monkeypatch: pytest.MonkeyPatch,
    smtp_receiver,  # noqa: F811
) -> None:
    monkeypatch.setenv("SECURE_BASE_NOTIFY_EMAIL", "staff@practice.test")
    monkeypatch.setenv("SECURE_BASE_SMTP_HOST", smtp_receiver.host)
    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", str(smtp_receiver.port))
    monkeypatch.delenv("SECURE_BASE_NOTIFY_WEBHOOK", raising=False)

    assert send_notification(sample()).succeeded == ["email"]

    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", "not-a-port")
    result = send_notification(sample())
    assert not result.ok and result.failed == {"settings": "ValueError"}


def test_describe_error_keeps_database_errors_content_free() -> None:
    """One helper names every error for the logs: types and codes, never the statement."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from secure_base.logsafe import describe_error

    engine = create_engine("sqlite://", future=True)
    with engine.connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text("SELECT :secret FROM no_such_table"), {"secret": "my secret words"})
    described = describe_error(caught.value)
    assert described == "OperationalError/OperationalError/SQLITE_ERROR"
    assert describe_error(ValueError("my secret words")) == "ValueError"
    assert describe_error(FileNotFoundError(2, "No such file or directory", "/secret")) == (
        "FileNotFoundError (No such file or directory)"
    )
