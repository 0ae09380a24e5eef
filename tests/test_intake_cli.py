"""The staff CLI (python -m secure_base.intake) against real databases and real Rasa
tracker stores (SQLite always, PostgreSQL when SECURE_BASE_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from datetime import datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import URL, make_url

from secure_base import crypto, db
from secure_base.db import get_engine, session_scope
from secure_base.intake.cli import HEALTH_WARNING, main
from secure_base.intake.store import record_from_slots, submit_intake
from tests.conftest import (
    BACKENDS,
    HEALTH_TEXT,
    POSTGRES_URL,
    fresh_database_url,
    open_rasa_events,
)
from tests.stack import run_module
from tests.test_intake_store import EMAIL, NAME, REASON, confirmed_slots


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):
    """A fresh application database URL on each backend, with a key and a tracker path."""
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECURE_BASE_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("SECURE_BASE_DATABASE_URL", raising=False)
    # The default tracker store (endpoints.yml: SQLite) unless a test says otherwise.
    monkeypatch.delenv("SECURE_BASE_ENDPOINTS", raising=False)
    monkeypatch.delenv("POSTGRESQL_SCHEMA", raising=False)
    crypto.clear_cipher_cache()
    db.dispose_engines()
    with fresh_database_url(request.param, tmp_path) as url:
        yield url
        db.dispose_engines()
        crypto.clear_cipher_cache()


def add(url: str, conversation_id: str, **slots) -> int:
    record = record_from_slots(confirmed_slots(**slots), conversation_id)
    with session_scope(get_engine(url)) as session:
        submission, _ = submit_intake(session, record)
        return submission.id


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_list_sorts_by_urgency_or_date_without_decrypting(db_url, monkeypatch) -> None:
    calm = add(db_url, "conv-a", email="a@example.com")
    urgent = add(db_url, "conv-b", asq_1=True, asq_5=True, intake_urgent=True)
    code, out, err = run("list", "--database-url", db_url)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "CREATED", "URGENT"]
    assert lines[1].split()[0] == str(urgent) and "URGENT" in lines[1]
    assert lines[2].split()[0] == str(calm)
    assert "4" in lines[2] and "new" in lines[2]  # PHQ-2 score and status
    assert lines[-1] == "2 submission(s)"
    assert EMAIL not in out and NAME not in out

    code, out, _ = run("list", "--database-url", db_url, "--sort", "date", "--limit", "1")
    assert out.splitlines()[1].split()[0] == str(urgent)  # the newest
    assert out.splitlines()[-1] == "1 submission(s)"

    # No decryption: works even with a key that cannot read the rows.
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    assert run("list", "--database-url", db_url)[0] == 0
    code, _, err = run("show", str(calm), "--database-url", db_url)
    assert code == 2 and "Cannot decrypt" in err


def test_list_columns(db_url) -> None:
    add(db_url, "conv-a")
    _, out, _ = run("list", "--database-url", db_url)
    header, row = out.splitlines()[:2]
    assert header.split() == [
        "ID",
        "CREATED",
        "URGENT",
        "PHQ-2",
        "PHQ-9",
        "GAD-2",
        "GAD-7",
        "ASQ",
        "STATUS",
        "CHANGED",
    ]
    cells = row.split()
    # ID, date, time, "UTC", urgent, phq2, phq9, gad2, gad7, asq, status, status changed
    assert cells[4:] == ["no", "4", "9", "2", "-", "negative", "new", "-"]


def test_export_csv_to_a_private_file(db_url, tmp_path) -> None:
    first = add(db_url, "conv-a")
    second = add(db_url, "conv-b", email="b@example.com")
    target = tmp_path / "export.csv"
    code, out, err = run(
        "export", "--format", "csv", "--out", str(target), "--database-url", db_url
    )
    assert code == 0 and out == ""
    assert HEALTH_WARNING in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["id"]) for r in rows] == [second, first]
    assert rows[1]["email"] == EMAIL and rows[1]["preferred_name"] == NAME
    assert rows[1]["reason"] == REASON and rows[1]["conversation_id"] == "conv-a"
    assert json.loads(rows[1]["answers"])["screening"]["phq"]["phq_1"] == 2
    assert rows[0]["email"] == "b@example.com"


def test_export_json_to_stdout(db_url) -> None:
    add(db_url, "conv-a")
    code, out, err = run("export", "--format", "json", "--database-url", db_url)
    assert code == 0 and HEALTH_WARNING in err
    (item,) = json.loads(out)
    assert item["email"] == EMAIL and item["urgent"] is False and item["phq9"] == 9
    assert item["answers"]["contact_method"] == "email"


def test_show(db_url) -> None:
    sid = add(db_url, "conv-a")
    code, out, err = run("show", str(sid), "--database-url", db_url)
    assert code == 0 and HEALTH_WARNING in err
    assert EMAIL in out and REASON in out and "answers:" in out
    code, _, err = run("show", "999", "--database-url", db_url)
    assert code == 1 and "No intake submission with ID 999" in err


async def make_tracker_store(path, *conversations: str) -> None:
    """A real Rasa SQLite tracker store holding a few events per conversation."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for conversation in conversations:
        tracker = DialogueStateTracker.from_events(
            conversation,
            [
                ActionExecuted("action_listen"),
                UserUttered("I'd like to book"),
                ActionExecuted("intake_form"),
            ],
        )
        await store.save(tracker)
    store.engine.dispose()


def tracker_senders(path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return sorted({row[0] for row in conn.execute("SELECT sender_id FROM events")})


async def test_delete_with_conversation(db_url, tmp_path) -> None:
    tracker_db = tmp_path / "tracker.db"
    await make_tracker_store(tracker_db, "conv-a", "conv-b")
    doomed = add(db_url, "conv-a")
    kept = add(db_url, "conv-b")

    code, out, err = run(
        "delete", str(doomed), "--yes", "--with-conversation", "--database-url", db_url
    )

    assert code == 0, err
    assert f"Deleted intake submission {doomed}." in out
    assert "Deleted 3 conversation event(s)" in out
    assert tracker_senders(tracker_db) == ["conv-b"]
    _, listing, _ = run("list", "--database-url", db_url)
    ids = [line.split()[0] for line in listing.splitlines()[1:-1]]
    assert ids == [str(kept)]


PG_VARIABLES = (
    "SECURE_BASE_PG_HOST",
    "SECURE_BASE_PG_PORT",
    "SECURE_BASE_PG_DB",
    "SECURE_BASE_PG_USER",
    "SECURE_BASE_PG_PASSWORD",
    "SECURE_BASE_PG_SSLMODE",
)


def listed_ids(db_url: str) -> list[str]:
    _, listing, _ = run("list", "--database-url", db_url)
    return sorted(line.split()[0] for line in listing.splitlines()[1:-1])


def scale_environment(monkeypatch, postgres_url: str) -> None:
    """What the Rasa servers see with endpoints.scale.yml, for the given database."""
    pg = make_url(postgres_url)
    monkeypatch.setenv("SECURE_BASE_ENDPOINTS", "endpoints.scale.yml")
    monkeypatch.setenv("SECURE_BASE_PG_HOST", pg.host or "127.0.0.1")
    monkeypatch.setenv("SECURE_BASE_PG_PORT", str(pg.port or 5432))
    monkeypatch.setenv("SECURE_BASE_PG_DB", pg.database or "test")
    monkeypatch.setenv("SECURE_BASE_PG_USER", pg.username or "postgres")
    monkeypatch.setenv("SECURE_BASE_PG_PASSWORD", pg.password or "")
    monkeypatch.setenv("SECURE_BASE_PG_SSLMODE", "prefer")


def test_delete_with_conversation_from_each_tracker_store(db_url, rasa_events) -> None:
    doomed_sender = rasa_events.new_conversation()
    kept_sender = rasa_events.new_conversation()
    doomed = add(db_url, doomed_sender)
    kept = add(db_url, kept_sender)

    code, out, err = run(
        "delete", str(doomed), "--yes", "--with-conversation",
        "--tracker-url", rasa_events.url, "--database-url", db_url,
    )  # fmt: skip

    assert code == 0, err
    assert f"Deleted intake submission {doomed}." in out
    assert "Deleted 3 conversation event(s) from " in out
    assert rasa_events.count(doomed_sender) == 0
    assert rasa_events.count(kept_sender) == 3
    assert listed_ids(db_url) == [str(kept)]
    for secret in (doomed_sender, HEALTH_TEXT, EMAIL, NAME, REASON):
        assert secret not in out and secret not in err


def test_delete_with_conversation_follows_the_scale_endpoints(
    db_url, postgres_events, monkeypatch, tmp_path
) -> None:
    """With SECURE_BASE_ENDPOINTS=endpoints.scale.yml the conversation goes from PostgreSQL,
    and the SQLite tracker file is left alone."""
    scale_environment(monkeypatch, POSTGRES_URL)
    sender = postgres_events.new_conversation(events=2)
    other = postgres_events.new_conversation()
    sqlite_events = open_rasa_events(f"sqlite:///{tmp_path / 'tracker.db'}")
    sqlite_events.engine.dispose()
    sid = add(db_url, sender)

    code, out, err = run(
        "delete", str(sid), "--yes", "--with-conversation", "--database-url", db_url
    )

    assert code == 0, err
    pg = make_url(POSTGRES_URL)
    assert f"Deleted 2 conversation event(s) from postgresql://{pg.username}" in out
    assert f"Deleted intake submission {sid}." in out
    assert postgres_events.count(sender) == 0
    assert postgres_events.count(other) == 3
    assert listed_ids(db_url) == []


def test_delete_refuses_when_the_tracker_store_cannot_be_found(db_url, monkeypatch) -> None:
    sid = add(db_url, "conv-a")
    monkeypatch.setenv("SECURE_BASE_ENDPOINTS", "endpoints.scale.yml")
    for name in PG_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    code, out, err = run(
        "delete", str(sid), "--yes", "--with-conversation", "--database-url", db_url
    )

    assert code == 2 and out == ""
    assert "SECURE_BASE_PG_HOST" in err and "Nothing deleted." in err
    assert listed_ids(db_url) == [str(sid)]


def test_delete_keeps_the_submission_when_the_events_table_is_missing(db_url) -> None:
    """The application database has no `events` table: an easy mistake with --tracker-url."""
    sid = add(db_url, "conv-a")

    code, out, err = run(
        "delete", str(sid), "--yes", "--with-conversation",
        "--tracker-url", db_url, "--database-url", db_url,
    )  # fmt: skip

    assert code == 1 and out == ""
    assert "Could not delete the conversation: MissingEventsTableError: " in err
    assert "has no events table" in err
    assert f"Nothing was deleted: intake submission {sid} and its conversation" in err
    assert "conv-a" not in err
    assert listed_ids(db_url) == [str(sid)]


def test_delete_keeps_the_submission_when_the_sqlite_tracker_is_missing(db_url, tmp_path) -> None:
    sid = add(db_url, "conv-a")
    tracker_db = tmp_path / "tracker.db"  # SECURE_BASE_TRACKER_DB, never created

    code, out, err = run(
        "delete", str(sid), "--yes", "--with-conversation", "--database-url", db_url
    )

    assert code == 1 and out == ""
    assert (
        f"Could not delete the conversation: FileNotFoundError: tracker store not found: "
        f"{tracker_db}\n"
    ) in err
    assert "Nothing was deleted" in err
    assert not tracker_db.exists()  # not created empty by connecting
    assert listed_ids(db_url) == [str(sid)]


def test_delete_keeps_the_submission_when_the_tracker_is_unreachable(db_url) -> None:
    sid = add(db_url, "conv-a")
    unreachable = URL.create(
        "postgresql", username="staff", password="s3cret-pw", host="127.0.0.1", port=1,
        database="rasa",
    )  # fmt: skip

    code, out, err = run(
        "delete", str(sid), "--yes", "--with-conversation",
        "--tracker-url", unreachable.render_as_string(hide_password=False),
        "--database-url", db_url,
    )  # fmt: skip

    assert code == 1 and out == ""
    assert "Could not delete the conversation: OperationalError: " in err
    assert "postgresql://staff:***@127.0.0.1:1/rasa" in err
    assert "s3cret-pw" not in err and "conv-a" not in err
    assert listed_ids(db_url) == [str(sid)]


def test_tracker_url_only_with_conversation(db_url, tmp_path) -> None:
    sid = add(db_url, "conv-a")
    code, _, err = run(
        "delete", str(sid), "--yes", "--tracker-url", f"sqlite:///{tmp_path / 't.db'}",
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 2 and "only with --with-conversation" in err
    assert listed_ids(db_url) == [str(sid)]


def test_delete_without_conversation_and_missing_ids(db_url) -> None:
    sid = add(db_url, "conv-a")
    code, out, _ = run("delete", str(sid), "--yes", "--database-url", db_url)
    assert code == 0 and "Deleted intake submission" in out
    code, _, err = run("delete", str(sid), "--yes", "--database-url", db_url)
    assert code == 1 and "No intake submission" in err


def test_delete_needs_confirmation_when_not_interactive(db_url, monkeypatch) -> None:
    sid = add(db_url, "conv-a")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run("delete", str(sid), "--database-url", db_url)
    assert code == 2 and "--yes" in err
    assert "1 submission(s)" in run("list", "--database-url", db_url)[1]


def test_module_entry_point(db_url) -> None:
    """`python -m secure_base.intake` with the settings from the environment."""
    add(db_url, "conv-a")
    env = {**os.environ, "SECURE_BASE_DATABASE_URL": db_url}
    result = run_module("secure_base.intake", "list", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 submission(s)" in result.stdout
    result = run_module("secure_base.intake", "--help", env=env)
    assert result.returncode == 0
    for command in ("list", "show", "export", "status", "delete"):
        assert command in result.stdout


def status_of(db_url: str, sid: int) -> tuple[str, str]:
    """The status and status-changed cells of a submission in `list` (no decryption)."""
    _, out, _ = run("list", "--database-url", db_url)
    for line in out.splitlines()[1:-1]:
        cells = line.split()
        if cells[0] == str(sid):
            changed = " ".join(cells[11:])  # "-" or "YYYY-MM-DD HH:MM UTC"
            return cells[10], changed
    raise AssertionError(f"submission {sid} not listed")


def test_status_changes_the_status_and_records_when(db_url) -> None:
    sid = add(db_url, "conv-a")
    other = add(db_url, "conv-b", email="b@example.com")
    assert status_of(db_url, sid) == ("new", "-")

    code, out, err = run("status", str(sid), "contacted", "--database-url", db_url)

    assert code == 0 and err == ""
    assert out == f"Intake submission {sid}: new -> contacted\n"
    status, changed = status_of(db_url, sid)
    assert status == "contacted" and changed.endswith(" UTC")
    assert status_of(db_url, other) == ("new", "-")

    # show and export carry the time next to the status.
    _, exported, _ = run("export", "--format", "json", "--database-url", db_url)
    by_id = {item["id"]: item for item in json.loads(exported)}
    assert by_id[sid]["status"] == "contacted"
    changed_at = datetime.fromisoformat(by_id[sid]["status_changed_at"])
    assert changed_at.tzinfo is not None
    assert changed_at.strftime("%Y-%m-%d %H:%M UTC") == changed
    assert by_id[other]["status_changed_at"] is None
    _, shown, _ = run("show", str(sid), "--database-url", db_url)
    fields = dict(line.split(None, 1) for line in shown.split("answers:")[0].splitlines())
    assert fields["status"] == "contacted"
    assert fields["status_changed_at"] == by_id[sid]["status_changed_at"]

    code, out, _ = run("status", str(sid), "contacted", "--database-url", db_url)
    assert code == 0 and "already contacted" in out
    assert status_of(db_url, sid) == ("contacted", changed)


def test_status_output_has_no_health_information(db_url, monkeypatch) -> None:
    sid = add(db_url, "conv-secret")
    # With a key that cannot decrypt the row it still works: nothing is decrypted.
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    code, out, err = run("status", str(sid), "in_review", "--database-url", db_url)
    assert code == 0
    assert len(out.splitlines()) == 1
    for secret in (EMAIL, NAME, REASON, "conv-secret", "Portland", "divorce"):
        assert secret not in out and secret not in err
    assert HEALTH_WARNING not in err


def test_status_rejects_an_unknown_status(db_url, capsys) -> None:
    sid = add(db_url, "conv-a")
    with pytest.raises(SystemExit) as exited:
        run("status", str(sid), "done", "--database-url", db_url)
    assert exited.value.code == 2
    assert "invalid choice: 'done'" in capsys.readouterr().err
    assert status_of(db_url, sid) == ("new", "-")


def test_status_of_an_unknown_id(db_url) -> None:
    sid = add(db_url, "conv-a")
    code, out, err = run("status", "999", "closed", "--database-url", db_url)
    assert code == 1 and out == ""
    assert err == "No intake submission with ID 999.\n"
    assert status_of(db_url, sid) == ("new", "-")


def test_find_and_delete_by_conversation(db_url, rasa_events) -> None:
    from secure_base.crisis.store import record_crisis_event

    doomed_sender = rasa_events.new_conversation()
    kept_sender = rasa_events.new_conversation()
    first = add(db_url, doomed_sender, intake_started_at="2026-01-01T10:00:00+00:00")
    second = add(db_url, doomed_sender, intake_started_at="2026-02-01T10:00:00+00:00")
    assert first != second  # two intakes from one conversation
    kept = add(db_url, kept_sender)
    with session_scope(get_engine(db_url)) as session:
        crisis_id = record_crisis_event(session, doomed_sender, HEALTH_TEXT).id
        record_crisis_event(session, kept_sender, HEALTH_TEXT)

    code, out, err = run(
        "find-conversation", doomed_sender, "--tracker-url", rasa_events.url,
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "Conversation events:  3" in out
    assert f"Intake submissions:   {first}, {second}" in out
    assert f"Crisis events:        {crisis_id}" in out

    code, out, err = run(
        "delete-conversation", doomed_sender, "--yes", "--tracker-url", rasa_events.url,
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "Deleted 3 conversation event(s) from " in out
    assert (
        f"intake submission(s) {first}, {second}, crisis event(s) {crisis_id} "
        "and callback request(s) none" in out
    )
    assert rasa_events.count(doomed_sender) == 0 and rasa_events.count(kept_sender) == 3
    assert listed_ids(db_url) == [str(kept)]
    for secret in (HEALTH_TEXT, EMAIL, NAME, REASON):
        assert secret not in out and secret not in err

    code, out, err = run(
        "find-conversation", doomed_sender, "--tracker-url", rasa_events.url,
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 1 and "Nothing is kept of this conversation." in err
    assert "Conversation events:  0" in out


def test_delete_conversation_needs_confirmation_when_not_interactive(db_url, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run("delete-conversation", "conv-x", "--database-url", db_url)
    assert code == 2 and "add --yes" in err


@pytest.mark.redis
async def test_delete_conversation_waits_for_a_running_turn(db_url, rasa_events, monkeypatch):
    """With the Redis lock store of endpoints.scale.yml, the deletion takes the lock."""
    import asyncio
    import threading

    from secure_base.lock_store import RedisLockStore
    from secure_base.tracker_store import redis_lock_options
    from tests.conftest import redis_endpoint_env

    for name, value in redis_endpoint_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECURE_BASE_ENDPOINTS", "endpoints.scale.yml")
    sender = rasa_events.new_conversation()
    server = RedisLockStore(**redis_lock_options())  # as a Rasa server holds it for a turn
    results: list = []
    deleting = threading.Thread(
        target=lambda: results.append(
            run("delete-conversation", sender, "--yes", "--tracker-url", rasa_events.url,
                "--database-url", db_url)
        )
    )
    async with server.lock(sender):
        deleting.start()
        await asyncio.sleep(2)
        assert rasa_events.count(sender) == 3  # the deletion waits for the turn
    await asyncio.to_thread(deleting.join, 30)
    code, out, err = results[0]
    assert code == 0, err
    assert rasa_events.count(sender) == 0
    assert server.get_lock(sender) is None  # nothing left behind


def test_delete_conversation_refuses_when_the_lock_store_is_unreachable(
    db_url, rasa_events, monkeypatch
) -> None:
    from tests.stack import free_port

    monkeypatch.setenv("SECURE_BASE_ENDPOINTS", "endpoints.scale.yml")
    monkeypatch.setenv("SECURE_BASE_REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("SECURE_BASE_REDIS_PORT", str(free_port()))
    sender = rasa_events.new_conversation()
    code, _, err = run("delete-conversation", sender, "--yes", "--tracker-url",
                       rasa_events.url, "--database-url", db_url)
    assert code == 1 and "Could not take the conversation lock" in err
    assert "Nothing deleted." in err and rasa_events.count(sender) == 3
