"""The action server: rasa-sdk's app, closed to everyone but Rasa.

``python -m secure_base.action_server [--actions actions] [--host H] [--port P]`` serves
rasa-sdk's ``create_app`` with these changes (see docs/security.md):

* it listens on ``SECURE_BASE_ACTION_BIND`` (loopback unless set), not rasa-sdk's 0.0.0.0;
* every route but ``/health`` needs the shared secret in the ``X-Secure-Base-Action-Secret``
  header (endpoints.yml sends it), compared in constant time;
* bodies are capped: at most :data:`MAX_BODY_BYTES` on the wire and, for a compressed
  body (``deflate`` or ``gzip``), at most :data:`MAX_BODY_BYTES` once decompressed; other
  encodings are refused;
* a body that is not a JSON object is a 400, not a 500;
* error replies and logs never carry the request body (the tracker: the whole
  conversation), only the status, the action name and the code location.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
import types
import zlib

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from secure_base.access import ACTION_SECRET_HEADER, action_secret, same_secret
from secure_base.settings import load_settings

logger = logging.getLogger(__name__)

#: Largest action call accepted, compressed or not (a long conversation's tracker).
MAX_BODY_BYTES = 16 * 1024 * 1024
_OPEN_PATHS = frozenset({"/health"})
_ENCODINGS = frozenset({"deflate", "gzip"})


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _decompress(body: bytes) -> bytes | None:
    """The decompressed body, or None when it is not valid zlib/gzip data.

    Raises:
        ValueError: When the decompressed body would exceed :data:`MAX_BODY_BYTES`.

    """
    decompressor = zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib or gzip header
    try:
        data = decompressor.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error:
        return None
    if len(data) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
        raise ValueError("too large")
    if not decompressor.eof:
        return None
    return data


def _action_name(request: Request) -> str:
    try:
        name = json.loads(request.body or b"{}").get("next_action")
    except (ValueError, AttributeError):
        return "?"
    return name if isinstance(name, str) and name.isidentifier() else "?"


def create_app(
    action_package: str | types.ModuleType, secret: str, *, auto_reload: bool = False
) -> Sanic:
    """rasa-sdk's action server app with the secret check, body limits and safe errors.

    Args:
        action_package: Package (or module) the actions are loaded from.
        secret: The shared secret Rasa must send.
        auto_reload: Reload changed actions (development only).

    """
    from rasa_sdk.endpoint import create_app as sdk_create_app

    app = sdk_create_app(action_package, cors_origins=None, auto_reload=auto_reload)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.middleware("request")
    async def guard(request: Request) -> HTTPResponse | None:
        if request.path in _OPEN_PATHS:
            return None
        if not same_secret(request.headers.get(ACTION_SECRET_HEADER), secret):
            logger.warning("Refused an action-server call without the shared secret")
            return _error(401, "not authorized")
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding and encoding != "identity":
            if encoding not in _ENCODINGS:
                return _error(415, "unsupported content encoding")
            try:
                data = _decompress(request.body or b"")
            except ValueError:
                return _error(413, "body too large once decompressed")
            if data is None:
                return _error(400, "the body is not valid compressed data")
            request.body = data
            # rasa-sdk would decompress again (without a limit) if the header stayed.
            del request.headers["content-encoding"]
        if request.method == "POST":
            try:
                body = json.loads(request.body or b"")
            except ValueError:
                return _error(400, "the body must be a JSON object")
            if not isinstance(body, dict):
                return _error(400, "the body must be a JSON object")
            if request.path == "/webhook" and not (
                isinstance(body.get("next_action"), str) and isinstance(body.get("tracker"), dict)
            ):
                return _error(400, "an action call needs 'next_action' and a 'tracker' object")
        return None

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException):
            status = int(getattr(exception, "status_code", 500) or 500)
            if status < 500:
                return _error(status, "bad request" if status != 404 else "not found")
        # The type and where it happened; never the message or the body (tracker data).
        logger.error(
            "Action %s failed with %s at:\n%s",
            _action_name(request),
            type(exception).__name__,
            "".join(traceback.format_tb(exception.__traceback__)),
        )
        return _error(500, "the action failed")

    # Replaces rasa-sdk's handler, which echoes the whole request body (the tracker).
    app.error_handler.add(Exception, on_error)
    return app


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until stopped."""
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m secure_base.action_server",
                                     description="Serve the custom actions to Rasa.")
    parser.add_argument("--actions", default="actions", help="actions package (default: actions)")
    parser.add_argument("--host", default=settings.action_bind,
                        help="interface (default: SECURE_BASE_ACTION_BIND or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=settings.action_port,
                        help="port (default: SECURE_BASE_ACTION_PORT or 5055)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    utils.configure_colored_logging(args.log_level.upper())
    utils.update_sanic_log_level()
    app = create_app(args.actions, action_secret(settings))
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action server on http://%s:%d", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
