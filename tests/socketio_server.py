"""A real Sanic server with the project's socket.io channel, for tests that need no model.

``python -m tests.socketio_server --port PORT [--unpatched]`` serves, on 127.0.0.1:

* ``/socket.io``: :class:`secure_base.channels.TokenSocketIOInput`, mounted as Rasa's
  ``register`` mounts it, whose message handler answers ``echo: <text>`` through the
  channel's real output (there is no model to ask);
* ``/ws-echo``: a plain Sanic websocket route that echoes each message, or answers (and
  prints) ``error: <type>: <message>`` when receiving fails;
* ``/`` and ``/socket.io.min.js``: an empty page with the socket.io browser client from
  website/node_modules, so a browser can use the client with its default settings from
  the server's own origin.

CORS is configured with Rasa's own ``configure_cors`` for the ``--cors`` origins, as
``rasa run --cors`` does. The session secret comes from ``SECURE_BASE_SESSION_SECRET``.
With ``--unpatched`` the websocket compatibility patch (:mod:`secure_base.websocket_compat`)
is not installed, so the tests can show the faults it fixes. The server runs in this
process (Sanic's single worker) until SIGTERM; it prints ``ready`` once it listens.
:class:`EchoServer` starts it for a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.server.websockets.impl import WebsocketImplProtocol

from secure_base import websocket_compat
from secure_base.channels import TokenSocketIOInput

ECHO_PREFIX = "echo: "
ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "website" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
PAGE = '<!doctype html><title>socket.io</title><script src="/socket.io.min.js"></script>'


async def _echo(message: UserMessage) -> None:
    await message.output_channel.send_text_message(
        message.sender_id, f"{ECHO_PREFIX}{message.text}"
    )


def make_app(session_secret: str, cors_origins: list[str]) -> Sanic:
    """The Sanic app with the socket.io channel, the plain websocket route and the page."""
    from rasa.server import configure_cors  # heavy (TensorFlow): only in the server

    app = Sanic("socketio_test_server")
    configure_cors(app, cors_origins)
    channel = TokenSocketIOInput("user_uttered", "bot_uttered", None, True, "/socket.io")
    channel.session_secret = session_secret
    # As rasa.core.channels.channel.register does, with this echo instead of the agent.
    app.blueprint(channel.blueprint(_echo), url_prefix=urljoin("/webhooks/", channel.url_prefix()))

    @app.websocket("/ws-echo")
    async def ws_echo(_request, ws: WebsocketImplProtocol) -> None:  # type: ignore[no-untyped-def]
        while True:
            try:
                message = await ws.recv()
            except Exception as exc:  # noqa: BLE001 - the test reads what failed
                # In the log too: the websocket may close before the answer gets out.
                print(f"ws-echo error: {type(exc).__name__}: {exc}", flush=True)
                await ws.send(f"error: {type(exc).__name__}: {exc}")
                return
            if message is None:
                return
            await ws.send(message)

    @app.get("/")
    async def page(_request):  # type: ignore[no-untyped-def]
        return response.html(PAGE)

    @app.get("/socket.io.min.js")
    async def bundle(_request):  # type: ignore[no-untyped-def]
        return await response.file(BUNDLE, mime_type="text/javascript")

    @app.listener("after_server_start")
    async def announce(_app, _loop) -> None:  # type: ignore[no-untyped-def]
        print("ready", flush=True)

    return app


def main(argv: list[str] | None = None) -> int:
    """Start the server until it is stopped."""
    parser = argparse.ArgumentParser(prog="python -m tests.socketio_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unpatched", action="store_true",
                        help="leave Sanic and python-engineio as installed")
    parser.add_argument("--cors", action="append", default=[], help="an allowed origin")
    args = parser.parse_args(argv)
    if not args.unpatched and not websocket_compat.install():
        print("the websocket compatibility patch was skipped", file=sys.stderr)
        return 2
    app = make_app(os.environ["SECURE_BASE_SESSION_SECRET"], args.cors)
    app.run(host="127.0.0.1", port=args.port, access_log=False, workers=1)
    return 0


class EchoServer:
    """This server in a subprocess (on a free port), stopped with SIGTERM."""

    def __init__(self, log: Path, session_secret: str, *, patched: bool = True,
                 cors: tuple[str, ...] = ()) -> None:
        """Starts the server and waits until it listens; its output goes to ``log``."""
        from tests.stack import free_port

        self.port = free_port()
        self.log = log
        self.secret = session_secret
        args = [sys.executable, "-m", "tests.socketio_server", "--port", str(self.port)]
        if not patched:
            args.append("--unpatched")
        for origin in cors:
            args += ["--cors", origin]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT),
                 "SECURE_BASE_SESSION_SECRET": session_secret},
        )
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the test server did not start:\n{log.read_text()}")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def session_token(self) -> str:
        """A fresh session token this server accepts (a new conversation)."""
        from secure_base import session_token

        return session_token.issue(self.secret, 600).token

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL) and waits for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    sys.exit(main())
