"""Starts the real Secure Base servers (action server, Rasa server) for tests.

Each stack gets free ports and a private data directory, so tests never touch the
developer's var/ and several stacks can run side by side.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


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
        model: Path,
        with_actions: bool = True,
        endpoints: str = "endpoints.yml",
        env: dict[str, str] | None = None,
    ) -> None:
        """``endpoints`` is the Rasa endpoints file; ``env`` adds or overrides variables
        (e.g. another stack's ``SECURE_BASE_ACTION_URL`` to share its action server)."""
        self.data_dir = data_dir
        self.model = model
        self.with_actions = with_actions
        self.endpoints = endpoints
        self.action_port = free_port()
        self.rasa_port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "SECURE_BASE_DATA_DIR": str(data_dir),
            "SECURE_BASE_TRACKER_DB": str(data_dir / "tracker.db"),
            "SECURE_BASE_DATABASE_URL": f"sqlite:///{data_dir / 'app.db'}",
            "SECURE_BASE_ACTION_URL": f"http://127.0.0.1:{self.action_port}/webhook",
        }
        self.env.pop("SECURE_BASE_ENDPOINTS", None)
        self.env.update(env or {})

    @property
    def url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

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
        proc = self._spawn(
            "actions",
            [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
             "--port", str(self.action_port)],
        )
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
            # Same flags as scripts/run.sh: the widget talks to Rasa across origins.
            [str(VENV_BIN / "rasa"), "run", "--model", str(self.model), "--enable-api",
             "--cors", "*",
             "--interface", "127.0.0.1", "--port", str(self.rasa_port), "--credentials",
             "credentials.yml", "--endpoints", self.endpoints],
        )
        _wait(f"{self.url}/status", 240, proc, self.data_dir / "rasa.log")
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
        response = requests.post(f"{self.url}/model/parse", json={"text": text}, timeout=60)
        response.raise_for_status()
        return response.json()
