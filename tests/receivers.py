"""Real local receivers for notifier tests: an SMTP server and an HTTP webhook endpoint.

Both listen on 127.0.0.1 on a free port and record what they receive. Import the
fixtures into a test module to use them (``from tests.receivers import ...``).
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.stack import free_port


@dataclass
class ReceivedMail:
    """One message accepted by the SMTP receiver."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The parsed message."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """Headers and body decoded, for "does not contain" checks."""
        msg = self.message
        return str(msg) + "\n" + msg.get_content()


class _SmtpHandler:
    def __init__(self, inbox: list[ReceivedMail], refuse: set[str]) -> None:
        self.inbox = inbox
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.inbox.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpReceiver:
    """A running local SMTP server."""

    host: str
    port: int
    inbox: list[ReceivedMail]
    refuse: set[str] = field(default_factory=set)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:
        """Waits until ``count`` messages arrived (delivery is synchronous; this is a guard)."""
        deadline = time.monotonic() + timeout
        while len(self.inbox) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.inbox


@dataclass
class ReceivedRequest:
    """One request received by the HTTP receiver."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        """The body parsed as JSON."""
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[ReceivedRequest]
    status: int
    delay: float


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.requests.append(
            ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        if self.server.delay:
            time.sleep(self.server.delay)
        payload = b'{"ok": true}'
        try:
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean


@dataclass
class HttpReceiver:
    """A running local HTTP server that records POSTs."""

    server: _Server

    @property
    def url(self) -> str:
        """Webhook URL, with a path that looks like a secret token."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/s3cr3t-token"

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Requests received so far."""
        return self.server.requests

    def respond_with(self, status: int = 200, delay: float = 0.0) -> None:
        """Sets the status code (and a delay) of the following replies."""
        self.server.status = status
        self.server.delay = delay


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port."""
    inbox: list[ReceivedMail] = []
    receiver = SmtpReceiver("127.0.0.1", free_port(), inbox)
    controller = Controller(
        _SmtpHandler(inbox, receiver.refuse), hostname=receiver.host, port=receiver.port
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A real HTTP server on 127.0.0.1 and a free port, answering 200 unless told."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.status = 200
    server.delay = 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpReceiver(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
