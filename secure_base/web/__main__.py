"""``python -m secure_base.web [--port 8080] [--rasa-url http://localhost:5005]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from secure_base.web.server import DEFAULT_RASA_URL, WebConfigError, load_web_config, serve


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, then serve the website until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.web",
        description="Serve the practice website and chat widget.",
    )
    parser.add_argument(
        "--port", type=int, help="port to listen on (default: SECURE_BASE_WEB_PORT or 8080)"
    )
    parser.add_argument(
        "--rasa-url",
        help=f"Rasa server URL as the browser sees it (default: SECURE_BASE_RASA_URL or "
        f"{DEFAULT_RASA_URL})",
    )
    parser.add_argument(
        "--host", help="interface to bind (default: SECURE_BASE_WEB_HOST or 127.0.0.1)"
    )
    parser.add_argument(
        "--articles-dir", type=Path, help="folder of <slug>.md articles (default: articles/)"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = load_web_config(
            port=args.port, rasa_url=args.rasa_url, host=args.host, articles_dir=args.articles_dir
        )
    except WebConfigError as exc:
        print(f"secure_base.web: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        print(
            f"secure_base.web: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
