"""Starts the Rasa server or the action server exactly as ``make run`` does.

``python -m secure_base.launch rasa [--model models]`` and
``python -m secure_base.launch actions``. scripts/run.sh and the tests (tests/stack.py)
both start the servers through this module, so the tests check the real configuration.

The Rasa server:

* its HTTP API (``/conversations``, ``/model``, ``/status``...) is on only when
  ``SECURE_BASE_API_TOKEN`` is set, and then needs that token (``?token=``);
* CORS allows only the site's origins (``SECURE_BASE_SITE_ORIGIN``);
* the channels (REST, socket.io, and the messaging webhooks, each verified by its
  provider's signature: secure_base.messaging) and ``/`` answer without the API token;
  ``/`` is the readiness check. The channels are listed in credentials.yml and take
  their secrets from the settings, so an unconfigured messaging channel is simply off.

Rasa runs in this process (not as a child), so the API token never appears in a
process list, and so that the websocket compatibility patch
(:mod:`secure_base.websocket_compat`: socket.io's websocket transport on Sanic 21.12
under Python 3.11) applies to it. The action server's secret reaches Rasa through the
environment, where endpoints.yml reads it.
"""

from __future__ import annotations

import argparse
import os
import sys

from secure_base.access import ACTION_SECRET_ENV, action_secret
from secure_base.settings import Settings, load_settings


def rasa_arguments(settings: Settings, model: str) -> list[str]:
    """The ``rasa`` command-line arguments (without the program name)."""
    args = [
        "run",
        "--model", model,
        "--interface", settings.bind_host,
        "--port", str(settings.rasa_port),
        "--credentials", "credentials.yml",
        "--endpoints", settings.endpoints_file,
        "--cors", *settings.site_origins,
    ]
    if settings.api_token:
        # One argument: a token may start with "-" (token_urlsafe does, 1 time in 64).
        args += ["--enable-api", f"--auth-token={settings.api_token}"]
    return args


def ready_urls(settings: Settings, *, rasa_port: int | None = None,
               action_port: int | None = None) -> dict[str, str]:
    """URLs that answer 200 without any token once each server is ready."""
    return {
        "actions": f"http://127.0.0.1:{action_port or settings.action_port}/health",
        # Rasa listens only once the model is loaded; "/" needs no token.
        "rasa": f"http://127.0.0.1:{rasa_port or settings.rasa_port}/",
    }


def server_environment(settings: Settings) -> dict[str, str]:
    """Variables endpoints.yml needs: the action server's URL and shared secret."""
    return {
        "SECURE_BASE_ACTION_URL": os.environ.get("SECURE_BASE_ACTION_URL") or settings.action_url,
        ACTION_SECRET_ENV: action_secret(settings),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the named server in this process until it stops."""
    parser = argparse.ArgumentParser(prog="python -m secure_base.launch",
                                     description="Start a Secure Base server as make run does.")
    parser.add_argument("server", choices=("rasa", "actions"))
    parser.add_argument("--model", default="models", help="model file or folder (rasa only)")
    args = parser.parse_args(argv)
    settings = load_settings()
    os.environ.update(server_environment(settings))
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    if args.server == "actions":
        from secure_base.action_server import main as actions_main

        return actions_main([])
    import rasa.__main__

    from secure_base import websocket_compat

    websocket_compat.install()
    sys.argv = ["rasa", *rasa_arguments(settings, args.model)]
    rasa.__main__.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
