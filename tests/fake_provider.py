"""A local HTTP server standing in for the Telegram, Twilio, Messenger and Slack APIs.

The channels' real outputs (aiogram, Twilio's client, fbmessenger, slack_sdk) call it
through their ``SECURE_BASE_<CHANNEL>_API_URL``. It records every call and answers each
API's success, unless a test scripted failures (a status, headers such as Retry-After,
a delay) for the next calls. One server is shared by the messaging tests (the
``fake_provider`` fixture in tests/conftest.py); the ``provider`` fixture empties it for
each test.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple


@dataclass
class Answer:
    """One scripted answer: status, extra headers, and a delay before answering."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Only for calls whose path ends so (e.g. ``/sendMessage``); others answer success.
    only: str = ""


class Call(NamedTuple):
    """One request the provider received (``path`` with its query string, if any)."""

    method: str
    path: str
    body: bytes


def success_answer(path: str) -> tuple[int, dict]:
    """Each API's answer to a call it accepts (``path`` without the query)."""
    if path.endswith("/getMe"):
        return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "SB",
                                            "username": "secure_base_bot"}}
    if path.endswith("/sendMessage"):
        return 200, {"ok": True, "result": {"message_id": 1, "date": 0,
                                            "chat": {"id": 42, "type": "private"}}}
    if path.endswith("/answerCallbackQuery"):
        return 200, {"ok": True, "result": True}
    if path.endswith("/Messages.json"):
        return 201, {"sid": "SM" + "1" * 32, "status": "queued"}
    if "/me/messages" in path:
        return 200, {"recipient_id": "1", "message_id": "m1"}
    if path.endswith("/chat.postMessage"):
        return 200, {"ok": True}
    return 404, {"error": "unknown"}


def error_answer(path: str, status: int) -> dict:
    """Each API's error body for a failed call."""
    if "/bot" in path:
        return {"ok": False, "error_code": status, "description": "scripted failure"}
    if path.endswith("/Messages.json"):
        return {"code": 20500, "message": "scripted failure", "status": status}
    if path.endswith("/chat.postMessage"):
        return {"ok": False, "error": "internal_error"}
    return {"error": {"message": "scripted failure", "code": status}}


class FakeProvider:
    """The providers' APIs on 127.0.0.1 and a free port, until :meth:`close`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.script: list[Answer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL the channels' API URL variables point at."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def paths(self) -> list[str]:
        """The path of every call so far, in order."""
        return [call.path for call in self.calls]

    def answer(self, *answers: Answer) -> None:
        """Forgets the calls so far; the next calls are answered from ``answers``."""
        with self._lock:
            self.script[:] = list(answers)
            self.calls.clear()

    def reset(self) -> None:
        """No calls recorded, nothing scripted: every call succeeds."""
        self.answer()

    def close(self) -> None:
        """Stops the server."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _take(self, path: str) -> Answer | None:
        """The first scripted answer for ``path``, removed from the script."""
        with self._lock:
            scripted = next((a for a in self.script if path.endswith(a.only)), None)
            if scripted is not None:
                self.script.remove(scripted)
            return scripted


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            path = self.path.split("?")[0]
            fake.calls.append(Call(self.command, self.path, self.rfile.read(length)))
            scripted = fake._take(path)
            if scripted is not None and scripted.delay:
                time.sleep(scripted.delay)
            if scripted is None or scripted.status < 400:
                status, body = success_answer(path)
            else:
                status, body = scripted.status, error_answer(path, scripted.status)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (scripted.headers if scripted else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
