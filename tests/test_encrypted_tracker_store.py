"""The encrypting tracker store (secure_base.encrypted_tracker_store) on real SQLite and
PostgreSQL: nothing readable at rest, erasure on request, no write-back after a deletion,
key rotation, and the retention purge (secure_base.purge)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from secure_base import crypto
from secure_base.crisis.models import CrisisEvent
from secure_base.crisis.store import record_crisis_event
from secure_base.db import session_scope
from secure_base.encrypted_tracker_store import EncryptedSQLTrackerStore
from secure_base.intake.models import IntakeSubmission
from secure_base.keys import rotate_all
from secure_base.privacy import delete_conversation_records, find_conversation_records
from secure_base.profile import ProfileError, Retention, parse_profile
from secure_base.purge import purge
from secure_base.settings import PROJECT_ROOT
from secure_base.tracker_store import (
    ERASURE_SLOT,
    count_conversation_events,
    decode_event_data,
    delete_conversation,
)
from tests.conftest import BACKENDS, HEALTH_TEXT, fresh_database_url

EMAIL = "sam.private@example.org"
DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch, app_env) -> str:  # type: ignore[no-untyped-def]
    """A fresh primary key for this test (and the app database in a private data dir)."""
    value = Fernet.generate_key().decode()
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", value)
    crypto.clear_cipher_cache()
    yield value
    crypto.clear_cipher_cache()


def use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", ",".join(keys))
    crypto.clear_cipher_cache()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path, key):  # type: ignore[no-untyped-def]
    """The encrypting store on a SQLite file, and in a PostgreSQL schema of its own."""
    with fresh_database_url(request.param, tmp_path) as url:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'tracker.db'}"
            made = EncryptedSQLTrackerStore(
                DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")
            )
        else:
            made = EncryptedSQLTrackerStore(DOMAIN, host=url)
        made.test_url = url  # type: ignore[attr-defined]
        yield made
        made.engine.dispose()


def new_sender(store: EncryptedSQLTrackerStore) -> str:
    return f"enc-test-{uuid.uuid4().hex}"


def a_turn(sender: str, when: float | None = None) -> DialogueStateTracker:
    """A conversation with a health message, an e-mail slot and a bot reply."""
    when = when or time.time()
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in [
        ActionExecuted("action_session_start", timestamp=when),
        SessionStarted(timestamp=when),
        ActionExecuted("action_listen", timestamp=when),
        UserUttered(HEALTH_TEXT, {"name": "crisis", "confidence": 1.0}, timestamp=when),
        SlotSet("email", EMAIL, timestamp=when),
        BotUttered(f"Thanks, we will write to {EMAIL}", timestamp=when),
        ActionExecuted("action_listen", timestamp=when),
    ]:
        tracker.update(event)
    return tracker


def raw_rows(store: EncryptedSQLTrackerStore, sender: str) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(
            text("SELECT type_name, intent_name, action_name, data FROM events "
                 "WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        ).all()


async def test_events_are_encrypted_at_rest_and_read_back(store) -> None:
    sender = new_sender(store)
    await store.save(a_turn(sender))

    rows = raw_rows(store, sender)
    assert len(rows) == 7
    stored = repr(rows)
    for secret in (HEALTH_TEXT, "panic", EMAIL, "crisis"):
        assert secret not in stored
    assert {r.intent_name for r in rows} == {None} and {r.action_name for r in rows} == {None}
    if store.engine.dialect.name == "sqlite":
        blob = Path(store.engine.url.database).read_bytes()
        assert HEALTH_TEXT.encode() not in blob and EMAIL.encode() not in blob

    loaded = await store.retrieve(sender)
    assert loaded.latest_message.text == HEALTH_TEXT
    assert loaded.get_slot("email") == EMAIL
    # A second turn appends only its own events, as with Rasa's store.
    loaded.update(UserUttered("thank you", {"name": "thanks"}))
    await store.save(loaded)
    assert count_conversation_events(store.test_url, sender) == 8


async def test_a_key_that_is_not_configured_cannot_read_the_events(store, monkeypatch) -> None:
    sender = new_sender(store)
    await store.save(a_turn(sender))
    data = raw_rows(store, sender)[3].data
    use_keys(monkeypatch, Fernet.generate_key().decode())
    with pytest.raises(crypto.DecryptionError):
        decode_event_data(data)
    # An error for this conversation, not Rasa's "schema not found" exit of the server.
    with pytest.raises(crypto.DecryptionError):
        await store.retrieve(sender)


async def test_erasure_request_deletes_every_event_and_stores_nothing_of_the_turn(store) -> None:
    sender, other = new_sender(store), new_sender(store)
    await store.save(a_turn(sender))
    await store.save(a_turn(other))

    tracker = await store.retrieve(sender)
    tracker.update(UserUttered("delete my data", {"name": "delete_my_data"}))
    tracker.update(ActionExecuted("action_delete_my_data"))
    tracker.update(BotUttered("Done: I've deleted every message"))
    tracker.update(SlotSet(ERASURE_SLOT, True))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)

    assert count_conversation_events(store.test_url, sender) == 0
    assert await store.retrieve(sender) is None
    assert count_conversation_events(store.test_url, other) == 7  # nobody else's
    # Writing again starts a new conversation, stored normally.
    await store.save(a_turn(sender))
    assert count_conversation_events(store.test_url, sender) == 7


async def test_a_conversation_deleted_during_a_turn_is_not_written_back(store) -> None:
    sender = new_sender(store)
    await store.save(a_turn(sender))
    tracker = await store.retrieve(sender)  # the turn starts

    assert delete_conversation(store.test_url, sender) == 7  # staff delete it meanwhile
    tracker.update(UserUttered("one more thing", {"name": "thanks"}))
    await store.save(tracker)  # the turn ends

    assert count_conversation_events(store.test_url, sender) == 0


async def test_rows_of_rasas_plain_store_are_still_read(store) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    sender = new_sender(store)
    plain = SQLTrackerStore(DOMAIN, host=str(store.engine.url.render_as_string(False)))
    await plain.save(a_turn(sender))
    plain.engine.dispose()
    assert HEALTH_TEXT in repr(raw_rows(store, sender))

    assert (await store.retrieve(sender)).latest_message.text == HEALTH_TEXT


def add_records(conversation_id: str, when: datetime) -> None:
    with session_scope() as session:
        record_crisis_event(session, conversation_id, HEALTH_TEXT, "rest", occurred_at=when)
        session.add(
            IntakeSubmission(
                idempotency_key=uuid.uuid4().hex,
                created_at=when,
                consent_version="abc",
                consent_at=when,
                conversation_id=conversation_id,
                preferred_name="Sam",
                email=EMAIL,
                answers_json="{}",
            )
        )


async def test_rotation_leaves_every_row_readable_with_the_new_key_alone(
    store, key, monkeypatch
) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    sender, legacy = new_sender(store), new_sender(store)
    await store.save(a_turn(sender))
    plain = SQLTrackerStore(DOMAIN, host=str(store.engine.url.render_as_string(False)))
    await plain.save(a_turn(legacy))  # written before encryption was switched on
    plain.engine.dispose()
    add_records(sender, datetime.now(UTC))

    new_key = Fernet.generate_key().decode()
    use_keys(monkeypatch, new_key, key)
    counts = rotate_all(tracker_url=store.test_url)
    assert counts["intake_submissions"] == 1 and counts["crisis_events"] == 1
    assert counts["events"] >= 14

    use_keys(monkeypatch, new_key)  # the old key is gone
    assert (await store.retrieve(sender)).get_slot("email") == EMAIL
    assert (await store.retrieve(legacy)).latest_message.text == HEALTH_TEXT
    assert HEALTH_TEXT not in repr(raw_rows(store, legacy))
    with session_scope() as session:
        submission = session.query(IntakeSubmission).one()
        assert (submission.email, submission.conversation_id) == (EMAIL, sender)
        assert session.query(CrisisEvent).one().trigger_message == HEALTH_TEXT
    old = Fernet(key.encode())
    with pytest.raises(InvalidToken):
        old.decrypt(raw_rows(store, sender)[3].data.encode())


async def test_records_of_a_conversation_are_found_and_deleted(key) -> None:
    add_records("conv-a", datetime.now(UTC))
    add_records("conv-a", datetime.now(UTC))
    add_records("conv-b", datetime.now(UTC))
    with session_scope() as session:
        found = find_conversation_records(session, "conv-a")
        assert (len(found.submission_ids), len(found.crisis_event_ids)) == (2, 2)
        deleted = delete_conversation_records(session, "conv-a")
        assert deleted.submission_ids == found.submission_ids
    with session_scope() as session:
        assert find_conversation_records(session, "conv-a").empty
        remaining = find_conversation_records(session, "conv-b")
        assert (len(remaining.submission_ids), len(remaining.crisis_event_ids)) == (1, 1)


async def test_purge_removes_exactly_what_is_past_retention(store, key) -> None:
    now = datetime.now(UTC)
    retention = Retention(conversations_days=30, crisis_events_days=60, submissions_days=90)
    old_chat, recent_chat, kept_chat = new_sender(store), new_sender(store), new_sender(store)
    await store.save(a_turn(old_chat, (now - timedelta(days=31)).timestamp()))
    await store.save(a_turn(recent_chat, (now - timedelta(days=29)).timestamp()))
    # Old history but a recent message: the whole conversation stays.
    await store.save(a_turn(kept_chat, (now - timedelta(days=40)).timestamp()))
    tracker = await store.retrieve(kept_chat)
    tracker.update(UserUttered("hello again", {"name": "greet"}, timestamp=now.timestamp()))
    await store.save(tracker)
    add_records("c-61", now - timedelta(days=61))  # crisis past, submission not
    add_records("c-59", now - timedelta(days=59))  # neither
    add_records("c-91", now - timedelta(days=91))  # both

    dry = purge(retention, tracker_url=store.test_url, now=now, dry_run=True)
    result = purge(retention, tracker_url=store.test_url, now=now)

    assert dry == result
    assert (result.crisis_events, result.submissions) == (2, 1)
    assert count_conversation_events(store.test_url, old_chat) == 0
    assert count_conversation_events(store.test_url, recent_chat) == 7
    assert count_conversation_events(store.test_url, kept_chat) == 8
    assert (result.conversations, result.conversation_events) == (1, 7)
    with session_scope() as session:
        assert find_conversation_records(session, "c-91").empty
        c61, c59 = (find_conversation_records(session, c) for c in ("c-61", "c-59"))
        assert (len(c61.submission_ids), len(c61.crisis_event_ids)) == (1, 0)
        assert (len(c59.submission_ids), len(c59.crisis_event_ids)) == (1, 1)
    assert purge(retention, tracker_url=store.test_url, now=now).crisis_events == 0


def test_sqlite_connections_use_secure_delete(tmp_path, key) -> None:
    from secure_base.db import get_engine

    engine = get_engine()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar_one() == 1
    made = EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    with made.engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar_one() == 1
    made.engine.dispose()


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ("  conversation_days: 30\n", "extra fields not permitted"),
        ("  submissions_days: 0\n", "greater than or equal to 1"),
        ("  crisis_events_days: forever\n", "not a valid integer"),
    ],
)
def test_retention_periods_are_validated(tmp_path, retention, message) -> None:
    source = (PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8")
    head = source.split("\nretention:\n")[0]
    path = tmp_path / "practice.yml"
    path.write_text(head + "\nretention:\n" + retention, encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        parse_profile(path)
    path.write_text(head + "\nretention:\n  submissions_days: 30\n", encoding="utf-8")
    assert parse_profile(path).retention == Retention(submissions_days=30)


@pytest.mark.server
async def test_the_website_process_runs_the_purge_while_it_runs(tmp_path, key, app_env) -> None:
    """``python -m secure_base.web`` (as `make run` starts it) purges at start."""
    import subprocess
    import sys

    import requests

    from tests.stack import ROOT, free_port

    now = datetime.now(UTC)
    made = EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await made.save(a_turn("old-chat", (now - timedelta(days=400)).timestamp()))
    await made.save(a_turn("new-chat", now.timestamp()))
    made.engine.dispose()
    add_records("old-records", now - timedelta(days=400))
    add_records("new-records", now - timedelta(days=1))
    url = f"sqlite:///{tmp_path / 'tracker.db'}"

    port = free_port()
    log = (tmp_path / "web.log").open("w")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SECURE_BASE_DATA_DIR": str(app_env),
        "SECURE_BASE_TRACKER_DB": str(tmp_path / "tracker.db"),
        "SECURE_BASE_INTAKE_KEY": key,
    }
    env.pop("SECURE_BASE_ENDPOINTS", None)
    env.pop("SECURE_BASE_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "secure_base.web", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and count_conversation_events(url, "old-chat"):
            time.sleep(0.5)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    output = (tmp_path / "web.log").read_text()
    assert "Retention purge: 1 conversations (7 events), 1 crisis events, 1 intake" in output
    assert "old-chat" not in output and "old-records" not in output
    assert count_conversation_events(url, "old-chat") == 0
    assert count_conversation_events(url, "new-chat") == 7
    with session_scope() as session:
        assert find_conversation_records(session, "old-records").empty
        assert not find_conversation_records(session, "new-records").empty


async def test_purge_and_rotate_commands(tmp_path, key, app_env) -> None:
    """``python -m secure_base.purge`` and ``python -m secure_base.keys rotate`` as run."""
    from tests.stack import run_module

    now = datetime.now(UTC)
    made = EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await made.save(a_turn("old-chat", (now - timedelta(days=400)).timestamp()))
    await made.save(a_turn("new-chat", now.timestamp()))
    add_records("old-records", now - timedelta(days=400))
    env = {
        **os.environ,
        "SECURE_BASE_DATA_DIR": str(app_env),
        "SECURE_BASE_TRACKER_DB": str(tmp_path / "tracker.db"),
        "SECURE_BASE_INTAKE_KEY": key,
    }
    env.pop("SECURE_BASE_ENDPOINTS", None)
    env.pop("SECURE_BASE_DATABASE_URL", None)

    dry = run_module("secure_base.purge", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("purge: would delete 1 conversations (7 events")
    assert "1 crisis events (kept 365 days), 1 intake submissions" in dry.stdout
    assert "0 callback requests (kept 90 days)" in dry.stdout
    done = run_module("secure_base.purge", env=env)
    assert done.stdout.startswith("purge: deleted 1 conversations (7 events"), done.stderr
    assert "old-chat" not in done.stdout + done.stderr

    new_key = Fernet.generate_key().decode()
    rotated = run_module("secure_base.keys", "rotate", env={**env,
                         "SECURE_BASE_INTAKE_KEY": f"{new_key},{key}"})
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 0 intake submissions, 0 crisis events and 7 conversation" in (
        rotated.stdout
    )
    wrong = run_module("secure_base.keys", "rotate", env={**env,
                       "SECURE_BASE_INTAKE_KEY": Fernet.generate_key().decode()})
    assert wrong.returncode == 1 and "fits none of the keys" in wrong.stderr
    bad = run_module("secure_base.keys", "rotate", env={**env, "SECURE_BASE_INTAKE_KEY": "x"})
    assert bad.returncode == 2 and "not a valid Fernet key" in bad.stderr
    made.engine.dispose()
