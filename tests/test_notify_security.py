"""Notifications: signed webhooks, SMTP with STARTTLS and login, and flood limits.

Against real local receivers: an HTTP server, and aiosmtpd with a real TLS certificate
(made here) and a real login check.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from secure_base.crisis.alerts import raise_crisis_alert
from secure_base.crisis.store import list_crisis_events
from secure_base.db import session_scope
from secure_base.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AlertThrottle,
    Notification,
    send_notification,
    verify_webhook_signature,
)
from secure_base.preflight import PreflightError, check
from secure_base.settings import load_settings
from tests.receivers import (  # noqa: F401 (fixtures)
    ReceivedMail,
    _SmtpHandler,
    http_receiver,
    smtp_receiver,
)
from tests.stack import free_port

SECRET = "b3f1c2d4e5a6978812345678901234567890abcdefabcdef"
USER, PASSWORD = "alerts@practice.test", "correct horse battery staple"


def settings_for(**env: str):  # type: ignore[no-untyped-def]
    return load_settings({"SECURE_BASE_DATA_DIR": "/nonexistent-unused", **env})


def sample() -> Notification:
    return Notification(kind="crisis", subject="s", body="b", data={"event_id": 1})


# --- the signed webhook -------------------------------------------------------------


def test_webhook_is_signed_and_a_receiver_can_verify_it(http_receiver) -> None:  # noqa: F811
    settings = settings_for(
        SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url, SECURE_BASE_NOTIFY_WEBHOOK_SECRET=SECRET
    )
    assert send_notification(sample(), settings).succeeded == ["webhook"]
    (request,) = http_receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER.lower()]
    signature = request.headers[SIGNATURE_HEADER.lower()]
    assert signature.startswith("sha256=") and abs(int(timestamp) - time.time()) < 60
    assert verify_webhook_signature(SECRET, timestamp, request.body, signature)
    # Anything changed, or too old, or the wrong key: refused.
    assert not verify_webhook_signature(SECRET, timestamp, request.body + b" ", signature)
    assert not verify_webhook_signature(SECRET, str(int(timestamp) + 1), request.body, signature)
    assert not verify_webhook_signature("other-secret", timestamp, request.body, signature)
    assert not verify_webhook_signature(
        SECRET, timestamp, request.body, signature, now=int(timestamp) + 301
    )
    assert not verify_webhook_signature(SECRET, None, request.body, signature)
    assert not verify_webhook_signature(SECRET, timestamp, request.body, "sha256=00")


def test_webhook_without_a_secret_is_unsigned(http_receiver) -> None:  # noqa: F811
    settings = settings_for(SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url)
    assert send_notification(sample(), settings).ok
    (request,) = http_receiver.requests
    assert SIGNATURE_HEADER.lower() not in request.headers


def test_webhook_redirect_is_a_failure_and_not_followed(http_receiver) -> None:  # noqa: F811
    http_receiver.respond_with(302)
    settings = settings_for(SECURE_BASE_NOTIFY_WEBHOOK=http_receiver.url)
    result = send_notification(sample(), settings)
    assert not result.ok and "HTTP 302" in result.failed["webhook"]
    assert len(http_receiver.requests) == 1


# --- SMTP with STARTTLS and login ---------------------------------------------------


@dataclass
class TlsSmtp:
    port: int
    ca_file: Path
    inbox: list[ReceivedMail]
    logins: list[str]


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure-base test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.crt", directory / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[TlsSmtp]:
    """aiosmtpd that requires STARTTLS before anything, and a login after it."""
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    logins: list[str] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USER, PASSWORD)
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    receiver = TlsSmtp(free_port(), cert_file, [], logins)
    controller = Controller(
        _SmtpHandler(receiver.inbox, set()),
        hostname="127.0.0.1",
        port=receiver.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


def smtp_env(server: TlsSmtp, **extra: str) -> dict[str, str]:
    return {
        "SECURE_BASE_NOTIFY_EMAIL": "oncall@practice.test",
        "SECURE_BASE_SMTP_HOST": "127.0.0.1",
        "SECURE_BASE_SMTP_PORT": str(server.port),
        "SECURE_BASE_SMTP_CA_FILE": str(server.ca_file),
        **extra,
    }


def test_email_over_starttls_with_login(tls_smtp: TlsSmtp) -> None:
    settings = settings_for(
        **smtp_env(tls_smtp, SECURE_BASE_SMTP_USER=USER, SECURE_BASE_SMTP_PASSWORD=PASSWORD)
    )
    assert settings.smtp_starttls  # on by default once a login is configured
    result = send_notification(sample(), settings)
    assert result.succeeded == ["email"], result.failed
    assert tls_smtp.logins == [USER]
    assert len(tls_smtp.inbox) == 1


@pytest.mark.parametrize(
    ("extra", "failure"),
    [
        # Wrong password: refused by the server (which may then hang up).
        ({"SECURE_BASE_SMTP_USER": USER, "SECURE_BASE_SMTP_PASSWORD": "wrong"},
         "SMTPAuthenticationError|SMTPServerDisconnected"),
        # No STARTTLS and no login: the server refuses the mail (530).
        ({}, "SMTP 530"),
        # A login without STARTTLS is never attempted.
        ({"SECURE_BASE_SMTP_USER": USER, "SECURE_BASE_SMTP_PASSWORD": PASSWORD,
          "SECURE_BASE_SMTP_STARTTLS": "0"}, "SmtpConfigError"),
        # The server's certificate is not trusted (system CAs only): no mail, no login.
        ({"SECURE_BASE_SMTP_USER": USER, "SECURE_BASE_SMTP_PASSWORD": PASSWORD,
          "SECURE_BASE_SMTP_CA_FILE": ""}, "SSLCertVerificationError"),
    ],
)
def test_email_failures_are_safe(tls_smtp: TlsSmtp, extra: dict, failure: str) -> None:
    result = send_notification(sample(), settings_for(**smtp_env(tls_smtp, **extra)))
    assert not result.ok and re.search(failure, result.failed["email"]), result.failed
    assert tls_smtp.inbox == [] and tls_smtp.logins == []


def test_starttls_required_but_not_offered_is_a_failure(smtp_receiver) -> None:  # noqa: F811
    settings = settings_for(
        SECURE_BASE_NOTIFY_EMAIL="oncall@practice.test",
        SECURE_BASE_SMTP_HOST=smtp_receiver.host,
        SECURE_BASE_SMTP_PORT=str(smtp_receiver.port),
        SECURE_BASE_SMTP_STARTTLS="yes",
    )
    result = send_notification(sample(), settings)
    assert not result.ok and "SMTPNotSupportedError" in result.failed["email"]
    assert smtp_receiver.inbox == []  # no fallback to plain text


def test_yes_no_settings_reject_typos() -> None:
    with pytest.raises(ValueError, match="yes/no"):
        settings_for(SECURE_BASE_SMTP_STARTTLS="ture")
    assert not settings_for().smtp_starttls
    assert settings_for(SECURE_BASE_SMTP_USER="u", SECURE_BASE_SMTP_STARTTLS="off").smtp_user


def test_preflight_refuses_unsigned_webhooks_in_production_and_plain_logins(tmp_path) -> None:
    base = {
        "SECURE_BASE_DATA_DIR": str(tmp_path),
        "SECURE_BASE_ENV": "production",
        "SECURE_BASE_INTAKE_KEY": Fernet.generate_key().decode(),
        # What production also needs (docs/security.md, "Servers and access").
        "SECURE_BASE_API_TOKEN": "t" * 40,
        "SECURE_BASE_ACTION_SECRET": "a" * 40,
        "SECURE_BASE_SESSION_SECRET": "s" * 40,
        "SECURE_BASE_SITE_ORIGIN": "https://www.example.org",
    }
    check(load_settings(base))
    with pytest.raises(PreflightError, match="WEBHOOK_SECRET"):
        check(load_settings({**base, "SECURE_BASE_NOTIFY_WEBHOOK": "https://hooks.test/x"}))
    check(load_settings({**base, "SECURE_BASE_NOTIFY_WEBHOOK": "https://hooks.test/x",
                         "SECURE_BASE_NOTIFY_WEBHOOK_SECRET": SECRET}))
    with pytest.raises(PreflightError, match="STARTTLS"):
        check(load_settings({**base, "SECURE_BASE_SMTP_USER": "u",
                             "SECURE_BASE_SMTP_STARTTLS": "0"}))


# --- flood limits -------------------------------------------------------------------


class Clock:
    """A clock the test moves forward (the throttle's only notion of time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_limits_per_conversation_and_per_source() -> None:
    clock = Clock()
    throttle = AlertThrottle(per_conversation=2, per_source=3, window_seconds=3600, clock=clock)
    assert throttle.admit("conv-x1", "crisis:rest").allowed
    assert throttle.admit("conv-x1", "crisis:rest").allowed
    held = throttle.admit("conv-x1", "crisis:rest")
    assert not held.allowed and "this conversation" in held.reason
    assert "conv-x1" not in held.reason
    # The 3rd of the source goes out and reports the one held back before it.
    assert throttle.admit("b", "crisis:rest").held_back == 1
    held = throttle.admit("c", "crisis:rest")
    assert not held.allowed and "crisis:rest" in held.reason
    # Another channel has its own budget: a flood on REST does not silence the widget.
    assert throttle.admit("d", "crisis:socketio").allowed
    # After the window, the next one goes out and reports what was held back.
    clock.now += 3601
    admitted = throttle.admit("e", "crisis:rest")
    assert admitted.allowed and admitted.held_back == 1
    assert throttle.admit("f", "crisis:rest").held_back == 0


def test_crisis_alert_flood_is_stored_but_throttled(
    engine, http_receiver, monkeypatch  # noqa: F811
) -> None:
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", http_receiver.url)
    monkeypatch.delenv("SECURE_BASE_NOTIFY_EMAIL", raising=False)
    clock = Clock()
    throttle = AlertThrottle(per_conversation=2, per_source=100, clock=clock)

    def alert(conversation: str, channel: str = "rest"):  # type: ignore[no-untyped-def]
        return raise_crisis_alert(
            conversation,
            trigger_message="I want to end it",
            channel=channel,
            detection_layer="classifier",
            rule=None,
            engine=engine,
            throttle=throttle,
        )

    alerts = [alert("conv-\u202e-7731") for _ in range(5)]
    assert [a.result.ok for a in alerts] == [True, True, False, False, False]
    assert all(a.result.throttled for a in alerts[2:])
    assert len(http_receiver.requests) == 2
    with session_scope(engine) as session:
        events = list_crisis_events(session)
        assert len(events) == 5  # every event is stored
        held = [e for e in events if not e.notified]
        assert len(held) == 3 and all(e.notify_error.startswith("throttled") for e in held)
    # An hour later the conversation's next alert goes out and counts the held-back ones.
    clock.now += 3601
    assert alert("conv-\u202e-7731").result.ok
    payload = http_receiver.requests[-1].json()
    assert payload["data"]["held_back"] == 3 and payload["data"]["channel"] == "rest"
    # A channel name the client made up is reported as "other".
    assert alert("another", channel="evil\x1bchannel").result.ok
    assert http_receiver.requests[-1].json()["data"]["channel"] == "other"
    for request in http_receiver.requests:
        body = request.body.decode()
        assert "7731" not in body and "end it" not in body and "evil" not in body
