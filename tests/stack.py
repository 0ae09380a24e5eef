"""Starts the real Secure Base servers (action server, Rasa server) for tests.

Each stack gets free ports and a private data directory, so tests never touch the
developer's var/ and several stacks can run side by side. The servers start through
``python -m secure_base.launch``, exactly as ``make run`` starts them; each stack has its
own random API token, action-server secret and session secret (in ``env``).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def reply_text(replies: list[dict]) -> str:
    """The text of the bot's REST replies, one per line."""
    return "\n".join(r.get("text", "") for r in replies)


def free_port() -> int:
    """A TCP port nobody listens on right now (also used as a closed port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_module(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m ARGS`` from the project root, with its output captured as text.

    Args:
        args: The module and its arguments, e.g. ``"secure_base.intake", "list"``.
        env: The process's whole environment; the project root is put on PYTHONPATH.
    """
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def latest_model() -> Path | None:
    """The newest trained model in models/, if any."""
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def _wait(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    """Polls ``url`` (which needs no token) until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited early; log:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url}: no answer after {timeout}s; log:\n{log.read_text()[-3000:]}")


class Stack:
    """An action server and a Rasa server (REST + socket.io + HTTP API)."""

    def __init__(
        self,
        data_dir: Path,
        model: Path | None,
        with_actions: bool = True,
        endpoints: str = "endpoints.yml",
        env: dict[str, str] | None = None,
    ) -> None:
        """``model`` may be None for a stack that only runs the action server.

        ``endpoints`` is the Rasa endpoints file; ``env`` adds or overrides variables
        (e.g. another stack's ``SECURE_BASE_ACTION_URL`` to share its action server)."""
        self.data_dir = data_dir
        self.model = model
        self.with_actions = with_actions
        self.endpoints = endpoints
        self.action_port = free_port()
        self.rasa_port = free_port()
        # The website's port: Rasa allows its origin (CORS) and the tests serve it there.
        self.web_port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "SECURE_BASE_DATA_DIR": str(data_dir),
            "SECURE_BASE_TRACKER_DB": str(data_dir / "tracker.db"),
            "SECURE_BASE_DATABASE_URL": f"sqlite:///{data_dir / 'app.db'}",
            "SECURE_BASE_ACTION_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "SECURE_BASE_ACTION_PORT": str(self.action_port),
            "SECURE_BASE_RASA_PORT": str(self.rasa_port),
            "SECURE_BASE_WEB_PORT": str(self.web_port),
            "SECURE_BASE_API_TOKEN": secrets.token_urlsafe(32),
            "SECURE_BASE_ACTION_SECRET": secrets.token_urlsafe(32),
            "SECURE_BASE_SESSION_SECRET": secrets.token_urlsafe(32),
        }
        for name in ("SECURE_BASE_ACTION_BIND", "SECURE_BASE_BIND", "SECURE_BASE_REST_TOKEN",
                     "SECURE_BASE_SITE_ORIGIN", "SECURE_BASE_ENV"):
            self.env.pop(name, None)
        self.env["SECURE_BASE_ENDPOINTS"] = endpoints
        self.env.update(env or {})

    @property
    def url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def api_token(self) -> str:
        """The token of Rasa's HTTP API (``?token=``)."""
        return self.env["SECURE_BASE_API_TOKEN"]

    @property
    def session_secret(self) -> str:
        """The secret that signs this stack's chat session tokens."""
        return self.env["SECURE_BASE_SESSION_SECRET"]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        """A request to Rasa's HTTP API with the token (``path`` starts with ``/``)."""
        params = {**kwargs.pop("params", {}), "token": self.api_token}
        kwargs.setdefault("timeout", 60)
        return requests.request(method, f"{self.url}{path}", params=params, **kwargs)

    def tracker(self, sender: str) -> dict:
        """The conversation's tracker from the HTTP API."""
        response = self.api("GET", f"/conversations/{sender}/tracker")
        response.raise_for_status()
        return response.json()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.data_dir / f"{name}.log"
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_actions(self) -> None:
        """Starts (or restarts) the action server and waits until it answers."""
        proc = self._spawn("actions", [sys.executable, "-m", "secure_base.launch", "actions"])
        _wait(f"http://127.0.0.1:{self.action_port}/health", 120, proc,
              self.data_dir / "actions.log")

    def stop(self, name: str) -> None:
        """Stops one server (its whole process group) and waits for it to exit."""
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def start(self) -> Stack:
        """Starts the servers and waits for them."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.with_actions:
            self.start_actions()
        proc = self._spawn(
            "rasa",
            [sys.executable, "-m", "secure_base.launch", "rasa", "--model", str(self.model)],
        )
        _wait(f"{self.url}/", 240, proc, self.data_dir / "rasa.log")
        return self

    def close(self) -> None:
        """Stops every server."""
        for name in list(self.procs):
            self.stop(name)

    def send(self, text: str, sender: str) -> list[dict]:
        """Sends a message over REST and returns the bot's replies."""
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def parse(self, text: str) -> dict:
        """The NLU parse of ``text`` from /model/parse."""
        response = self.api("POST", "/model/parse", json={"text": text})
        response.raise_for_status()
        return response.json()
