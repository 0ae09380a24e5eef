"""The real action server, started as ``make run`` starts it (secure_base.launch): loopback
only, the shared secret, capped compressed bodies, and no tracker data in replies or logs."""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from secure_base.access import ACTION_SECRET_HEADER
from secure_base.action_server import MAX_BODY_BYTES
from tests.stack import Stack

pytestmark = pytest.mark.server

MARKER = "my-private-answer-7f3a"


def crisis_call(text_: str = MARKER) -> dict:
    """A complete call of action_crisis_record, as Rasa makes it."""
    return {
        "next_action": "action_crisis_record",
        "sender_id": "forged-conversation",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "forged-conversation",
            "slots": {},
            "latest_message": {"text": text_, "intent": {"name": "crisis", "confidence": 1.0},
                               "entities": []},
            "events": [{"event": "user", "text": text_, "input_channel": "rest"}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def actions(tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path_factory.mktemp("actions"), None)
    stack.data_dir.mkdir(parents=True, exist_ok=True)
    stack.start_actions()
    yield stack
    stack.close()


def webhook(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.action_port}/webhook"


def secret_header(stack: Stack) -> dict[str, str]:
    return {ACTION_SECRET_HEADER: stack.env["SECURE_BASE_ACTION_SECRET"]}


def crisis_events(data_dir: Path) -> int:
    db = data_dir / "app.db"
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}", future=True)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            if "crisis_events" not in {row[0] for row in tables}:
                return 0
            return conn.execute(text("SELECT count(*) FROM crisis_events")).scalar_one()
    finally:
        engine.dispose()


def test_a_forged_call_is_refused_and_runs_nothing(actions: Stack) -> None:
    for headers in ({}, {ACTION_SECRET_HEADER: "guess"},
                    {ACTION_SECRET_HEADER: actions.env["SECURE_BASE_ACTION_SECRET"] + "x"}):
        response = requests.post(webhook(actions), json=crisis_call(), headers=headers,
                                 timeout=30)
        assert response.status_code == 401
        assert MARKER not in response.text
    listing = requests.get(f"http://127.0.0.1:{actions.action_port}/actions", timeout=30)
    assert listing.status_code == 401
    assert crisis_events(actions.data_dir) == 0
    # The same call with the secret (what Rasa sends) runs the action.
    response = requests.post(webhook(actions), json=crisis_call(), headers=secret_header(actions),
                             timeout=60)
    assert response.status_code == 200, response.text
    assert crisis_events(actions.data_dir) == 1
    # Health needs no secret (readiness checks).
    assert requests.get(f"http://127.0.0.1:{actions.action_port}/health",
                        timeout=10).status_code == 200


def test_compressed_bodies_are_capped(actions: Stack) -> None:
    headers = {**secret_header(actions), "Content-Type": "application/json"}
    ok = json.dumps({**crisis_call(), "next_action": "no_such_action"}).encode()
    for encoding, data in (("gzip", gzip.compress(ok)), ("deflate", zlib.compress(ok))):
        response = requests.post(webhook(actions), data=data, timeout=30,
                                 headers={**headers, "Content-Encoding": encoding})
        assert response.status_code == 404, (encoding, response.text)  # decoded, then routed
    # A small body that inflates past the limit: refused before it is all in memory.
    bomb = gzip.compress(b" " * (MAX_BODY_BYTES + 1024))
    assert len(bomb) < 100_000
    response = requests.post(webhook(actions), data=bomb, timeout=30,
                             headers={**headers, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    for encoding, data in (("br", ok), ("gzip", b"not gzip at all")):
        response = requests.post(webhook(actions), data=data, timeout=30,
                                 headers={**headers, "Content-Encoding": encoding})
        assert response.status_code in (400, 415), (encoding, response.status_code)


def test_errors_never_echo_or_log_the_tracker(actions: Stack) -> None:
    headers = secret_header(actions)
    broken = crisis_call()
    broken["tracker"] = {"events": [{"event": "user", "text": MARKER}]}  # no sender_id
    response = requests.post(webhook(actions), json=broken, headers=headers, timeout=30)
    assert response.status_code == 500
    assert MARKER not in response.text
    for body in (b"[]", b'"' + MARKER.encode() + b'"', MARKER.encode(), b'{"next_action": 5}'):
        response = requests.post(webhook(actions), data=body, headers=headers, timeout=30)
        assert response.status_code == 400, body
        assert MARKER not in response.text
    log = (actions.data_dir / "actions.log").read_text()
    assert "action_crisis_record failed with KeyError" in log
    assert MARKER not in log


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (None if it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


def test_the_action_server_listens_on_loopback_only(actions: Stack, tmp_path: Path) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    assert _reachable("127.0.0.1", actions.action_port)
    assert not _reachable(address, actions.action_port)
    # The setting does what it says: bound to all interfaces, the same check succeeds.
    opened = Stack(tmp_path / "open", None, env={"SECURE_BASE_ACTION_BIND": "0.0.0.0"})
    opened.data_dir.mkdir(parents=True)
    try:
        opened.start_actions()
        assert _reachable(address, opened.action_port)
    finally:
        opened.close()
