"""A real Sanic server with the project's socket.io channel, for tests that need no model.

``python -m tests.socketio_server --port PORT [--unpatched]`` serves, on 127.0.0.1:

* ``/socket.io``: :class:`secure_base.channels.TokenSocketIOInput`, mounted as Rasa's
  ``register`` mounts it, whose message handler answers ``echo: <text>`` through the
  channel's real output (there is no model to ask);
* ``/ws-echo``: a plain Sanic websocket route that echoes each message, or answers
  ``error: <type>: <message>`` when receiving fails.

The session secret comes from ``SECURE_BASE_SESSION_SECRET``. With ``--unpatched`` the
websocket compatibility patch (:mod:`secure_base.websocket_compat`) is not installed, so
the tests can show the fault it fixes. The server runs in this process (Sanic's single
worker) until SIGTERM; it prints ``ready`` once it listens.
"""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urljoin

from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic.server.websockets.impl import WebsocketImplProtocol

from secure_base import websocket_compat
from secure_base.channels import TokenSocketIOInput

ECHO_PREFIX = "echo: "


async def _echo(message: UserMessage) -> None:
    await message.output_channel.send_text_message(
        message.sender_id, f"{ECHO_PREFIX}{message.text}"
    )


def make_app(session_secret: str) -> Sanic:
    """The Sanic app with the socket.io channel and the plain websocket route."""
    app = Sanic("socketio_test_server")
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
                await ws.send(f"error: {type(exc).__name__}: {exc}")
                return
            if message is None:
                return
            await ws.send(message)

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
    args = parser.parse_args(argv)
    if not args.unpatched and not websocket_compat.install():
        print("the websocket compatibility patch was skipped", file=sys.stderr)
        return 2
    app = make_app(os.environ["SECURE_BASE_SESSION_SECRET"])
    app.run(host="127.0.0.1", port=args.port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
