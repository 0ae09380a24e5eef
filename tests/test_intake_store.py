"""Intake submissions in the database, on every backend: encryption at rest, one row per
idempotency key (replays and races), listing, changing the status and deleting, and
adding new columns to a table created by an older version."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, inspect, select, text

from secure_base import crypto
from secure_base.db import session_scope
from secure_base.intake import store
from secure_base.intake.models import STATUSES, IntakeSubmission
from secure_base.intake.store import (
    change_status,
    delete_submission,
    get_submission,
    idempotency_key,
    list_submissions,
    mark_notified,
    record_from_slots,
    submit_intake,
)
from secure_base.schema import add_missing_columns, create_schema

EMAIL = "sam.private@example.com"
NAME = "Sam Quiet"
REASON = "Since my divorce I can't let anyone close."
STARTED = "2026-03-01T10:00:00+00:00"


@pytest.fixture(autouse=True)
def intake_key(monkeypatch):
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    yield
    crypto.clear_cipher_cache()


def confirmed_slots(**overrides) -> dict:
    """Validated slot values of a finished, confirmed intake."""
    slots = {
        "intake_consent": "0a1b2c3d4e5f",
        "intake_started_at": STARTED,
        "preferred_name": NAME,
        "age": 34,
        "contact_method": "email",
        "email": EMAIL,
        "phone": "+12075550123",  # left over from an edit: not the chosen method
        "region": "Portland, Maine",
        "reason": REASON,
        "previous_therapy": False,
        "hopes": "To trust people again.",
        "session_format": "online",
        "availability": "Weekday evenings",
        "payment": "self_pay",
        "phq_1": 2,
        "phq_2": 2,
        "phq_3": 1,
        "phq_4": 1,
        "phq_5": 0,
        "phq_6": 2,
        "phq_7": 1,
        "phq_8": 0,
        "phq_9": 0,
        "gad_1": 1,
        "gad_2": 1,
        "asq_1": False,
        "asq_2": False,
        "asq_3": False,
        "asq_4": False,
        "intake_confirm": True,
        "intake_urgent": False,
    }
    slots.update(overrides)
    return slots


def record(conversation_id: str = "conv-1", **overrides):
    return record_from_slots(
        confirmed_slots(**overrides),
        conversation_id,
        {"online": "Online (secure video)", "in_person": "In person"},
        licensed_region="Maine",
    )


def count(engine) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(IntakeSubmission)).scalar_one()


def test_record_from_slots() -> None:
    rec = record()
    assert rec.idempotency_key == idempotency_key("conv-1", STARTED)
    assert (rec.phq2, rec.phq9, rec.gad2, rec.gad7) == (4, 9, 2, None)
    assert rec.asq_positive is False and rec.urgent is False
    assert rec.email == EMAIL and rec.phone is None  # only the chosen contact method
    assert rec.consent_version == "0a1b2c3d4e5f"
    assert rec.consent_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert rec.answers["session_format_label"] == "Online (secure video)"
    assert rec.answers["screening"]["phq"]["phq_6"] == 2
    assert rec.answers["region_licensed"] is True
    urgent = record(asq_1=True, asq_5=True, intake_urgent=True)
    assert urgent.urgent and urgent.asq_positive


def test_idempotency_key_depends_on_conversation_and_start() -> None:
    key = idempotency_key("conv-1", STARTED)
    assert key == idempotency_key("conv-1", STARTED)
    assert key != idempotency_key("conv-2", STARTED)
    assert key != idempotency_key("conv-1", "2026-03-02T10:00:00+00:00")
    assert len(key) == 64


def test_encrypted_at_rest(engine) -> None:
    with session_scope(engine) as session:
        submission, created = submit_intake(session, record())
    assert created

    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM intake_submissions")).mappings().one()
    raw = " ".join(str(value) for value in row.values())
    for secret in (EMAIL, NAME, REASON, "Portland", "Weekday evenings", "conv-1", "divorce"):
        assert secret not in raw
    # Sortable, non-identifying columns stay in clear.
    assert row["phq2"] == 4 and row["phq9"] == 9 and row["gad2"] == 2 and row["gad7"] is None
    assert row["session_format"] == "online" and row["payment_type"] == "self_pay"
    assert row["consent_version"] == "0a1b2c3d4e5f" and row["status"] == "new"

    with session_scope(engine) as session:
        stored = get_submission(session, submission.id)
        assert stored.email == EMAIL and stored.preferred_name == NAME
        assert stored.conversation_id == "conv-1"
        assert stored.answers["reason"] == REASON
        assert stored.created_at.tzinfo is not None
        assert NAME not in repr(stored)


def test_replay_returns_the_same_row(engine) -> None:
    with session_scope(engine) as session:
        first, created = submit_intake(session, record())
    with session_scope(engine) as session:
        again, created_again = submit_intake(session, record())
    assert created and not created_again
    assert again.id == first.id
    assert count(engine) == 1
    # A new intake from the same conversation (new consent time) is a new row.
    with session_scope(engine) as session:
        other, created_other = submit_intake(
            session, record(intake_started_at="2026-04-01T09:00:00+00:00")
        )
    assert created_other and other.id != first.id
    assert count(engine) == 2


def test_lost_race_returns_the_winners_row(engine, monkeypatch) -> None:
    """The key was not there when we looked, but another attempt committed it since."""
    with session_scope(engine) as session:
        winner, _ = submit_intake(session, record())

    real_get = store.get_by_key
    calls = []

    def not_yet_there(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real_get(session, key)

    monkeypatch.setattr(store, "get_by_key", not_yet_there)
    with session_scope(engine) as session:
        loser, created = submit_intake(session, record())
        assert not created and loser.id == winner.id
        # The session is still usable after the failed insert (savepoint rolled back).
        mark_notified(session, loser.id, True)
    assert len(calls) == 2
    assert count(engine) == 1


def test_concurrent_submissions_store_one_row(engine) -> None:
    barrier = threading.Barrier(4)
    results: list = []
    errors: list = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            with session_scope(engine) as session:
                submission, created = submit_intake(session, record())
                results.append((submission.id, created))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({sid for sid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count(engine) == 1


def test_list_orders_by_urgency_or_date(engine) -> None:
    with session_scope(engine) as session:
        plain, _ = submit_intake(session, record("conv-a"))
        positive, _ = submit_intake(session, record("conv-b", asq_1=True, asq_5=False))
        urgent, _ = submit_intake(
            session, record("conv-c", asq_1=True, asq_5=True, intake_urgent=True)
        )
        newest, _ = submit_intake(session, record("conv-d"))
    with session_scope(engine) as session:
        by_urgency = [s.id for s in list_submissions(session)]
        by_date = [s.id for s in list_submissions(session, sort="date")]
        assert [s.id for s in list_submissions(session, limit=2)] == by_urgency[:2]
    assert by_urgency[:2] == [urgent.id, positive.id]
    assert by_urgency[2:] == [newest.id, plain.id]
    assert by_date == [newest.id, urgent.id, positive.id, plain.id]
    with pytest.raises(ValueError):
        with session_scope(engine) as session:
            list_submissions(session, sort="name")


def test_delete(engine) -> None:
    with session_scope(engine) as session:
        submission, _ = submit_intake(session, record("conv-del"))
    with session_scope(engine) as session:
        assert delete_submission(session, submission.id) == "conv-del"
    with session_scope(engine) as session:
        assert delete_submission(session, submission.id) is None
    assert count(engine) == 0


def status_row(engine, submission_id: int):
    with session_scope(engine) as session:
        statement = select(IntakeSubmission.status, IntakeSubmission.status_changed_at).where(
            IntakeSubmission.id == submission_id
        )
        return session.execute(statement).one()


def test_change_status_records_the_old_status_and_when(engine) -> None:
    with session_scope(engine) as session:
        submission, _ = submit_intake(session, record("conv-status"))
    assert status_row(engine, submission.id) == ("new", None)

    before = datetime.now(UTC)
    with session_scope(engine) as session:
        assert change_status(session, submission.id, "contacted") == "new"
    after = datetime.now(UTC)
    status, changed_at = status_row(engine, submission.id)
    assert status == "contacted"
    assert changed_at.tzinfo is not None and before <= changed_at <= after

    # The same status again is no change: the time of the last real change stays.
    with session_scope(engine) as session:
        assert change_status(session, submission.id, "contacted") == "contacted"
    assert status_row(engine, submission.id) == ("contacted", changed_at)

    with session_scope(engine) as session:
        assert change_status(session, submission.id, "closed") == "contacted"
    assert status_row(engine, submission.id)[0] == "closed"


def test_change_status_rejects_unknown_ids_and_statuses(engine) -> None:
    with session_scope(engine) as session:
        submission, _ = submit_intake(session, record("conv-status"))
    with session_scope(engine) as session:
        assert change_status(session, submission.id + 1, "closed") is None
    with pytest.raises(ValueError, match="unknown status"):
        with session_scope(engine) as session:
            change_status(session, submission.id, "done")
    assert status_row(engine, submission.id) == ("new", None)
    assert STATUSES == ("new", "in_review", "contacted", "closed")


def test_change_status_needs_no_key(engine, monkeypatch) -> None:
    with session_scope(engine) as session:
        submission, _ = submit_intake(session, record("conv-status"))
    # A key that cannot read the row: changing the status must not decrypt anything.
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    with session_scope(engine) as session:
        assert change_status(session, submission.id, "in_review") == "new"
    assert status_row(engine, submission.id)[0] == "in_review"


def old_table_sql(dialect: str) -> str:
    """intake_submissions as the first version created it (no status_changed_at)."""
    if dialect == "postgresql":
        key, timestamp = "id SERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE"
    else:
        key, timestamp = "id INTEGER PRIMARY KEY", "DATETIME"
    return f"""
        CREATE TABLE intake_submissions (
            {key},
            idempotency_key VARCHAR(64) NOT NULL,
            created_at {timestamp} NOT NULL,
            status VARCHAR(32) NOT NULL,
            urgent BOOLEAN NOT NULL,
            phq2 INTEGER, phq9 INTEGER, gad2 INTEGER, gad7 INTEGER,
            asq_positive BOOLEAN NOT NULL,
            session_format VARCHAR(64),
            payment_type VARCHAR(32),
            consent_version VARCHAR(64) NOT NULL,
            consent_at {timestamp} NOT NULL,
            notified BOOLEAN NOT NULL,
            notify_error TEXT,
            conversation_id TEXT NOT NULL,
            preferred_name TEXT NOT NULL,
            email TEXT, phone TEXT, region TEXT, reason TEXT, hopes TEXT, availability TEXT,
            answers_json TEXT NOT NULL,
            CONSTRAINT uq_intake_idempotency_key UNIQUE (idempotency_key)
        )
    """


def test_add_missing_columns_upgrades_an_old_table(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE intake_submissions"))
        conn.execute(text(old_table_sql(engine.dialect.name)))
        conn.execute(
            text(
                "INSERT INTO intake_submissions (idempotency_key, created_at, status, urgent, "
                "asq_positive, consent_version, consent_at, notified, conversation_id, "
                "preferred_name, answers_json) VALUES ('k1', '2026-03-01 10:00:00', 'new', "
                "FALSE, FALSE, 'v1', '2026-03-01 10:00:00', FALSE, 'x', 'x', 'x')"
            )
        )
    columns = {c["name"] for c in inspect(engine).get_columns("intake_submissions")}
    assert "status_changed_at" not in columns

    assert add_missing_columns(engine) == ["status_changed_at"]

    columns = {c["name"]: c for c in inspect(engine).get_columns("intake_submissions")}
    assert columns["status_changed_at"]["nullable"] is True
    # Idempotent, directly and where the schema is created.
    assert add_missing_columns(engine) == []
    create_schema(engine)
    assert add_missing_columns(engine) == []
    # The old row reads as never changed, and its status can change now.
    with engine.connect() as conn:
        row_id = conn.execute(text("SELECT id FROM intake_submissions")).scalar_one()
    assert status_row(engine, row_id) == ("new", None)
    with session_scope(engine) as session:
        assert change_status(session, row_id, "closed") == "new"
    status, changed_at = status_row(engine, row_id)
    assert status == "closed" and changed_at.tzinfo is not None
