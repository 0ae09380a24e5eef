"""Waits until every given URL answers HTTP 200 (development tooling for the run scripts).

Usage: python scripts/wait_ready.py [--timeout SECONDS] URL [URL ...]
"""

from __future__ import annotations

import argparse
import sys
import time

import requests


def wait_ready(urls: list[str], timeout: float) -> bool:
    """Polls each URL until it answers 200 or the timeout passes.

    Returns:
        True when all answered in time.
    """
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        url = pending[0]
        try:
            if requests.get(url, timeout=2).status_code == 200:
                pending.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.25)
    for url in pending:
        print(f"wait_ready: no answer from {url} after {timeout:.0f}s", file=sys.stderr)
    return not pending


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    return 0 if wait_ready(args.urls, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
