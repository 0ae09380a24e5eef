"""Callback requests in the database: encryption at rest (also in the raw SQLite file),
one row per idempotency key, deletion by ID, by conversation (erasure on request) and by
age (retention purge), and the staff CLI."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, text

from actions.privacy import deleted_details
from secure_base import crypto
from secure_base.callback.cli import main as callback_cli
from secure_base.callback.models import CallbackRequest
from secure_base.callback.store import (
    callback_ids_for_conversation,
    delete_callback,
    get_callback,
    list_callbacks,
    mark_notified,
    record_from_slots,
    submit_callback,
)
from secure_base.db import make_engine, session_scope
from secure_base.privacy import delete_conversation_records, find_conversation_records
from secure_base.profile import Retention
from secure_base.purge import purge
from secure_base.schema import create_schema

PHONE = "+12075550187"
EMAIL = "robin.private@example.com"
NAME = "Robin Vale"
TIMES = "Tuesday after 4pm"
STARTED = "2026-03-01T10:00:00+00:00"
SENDER = "conv-callback-1"


@pytest.fixture(autouse=True)
def field_key(monkeypatch):
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    yield
    crypto.clear_cipher_cache()


def finished_slots(**overrides) -> dict:
    """Validated slot values of a finished callback_form."""
    slots = {
        "callback_consent": "0a1b2c3d4e5f",
        "callback_started_at": STARTED,
        "callback_name": NAME,
        "callback_contact_method": "phone",
        "callback_phone": PHONE,
        "callback_email": EMAIL,  # typed before switching to phone: not to be stored
        "callback_times": TIMES,
    }
    slots.update(overrides)
    return slots


def store(engine, conversation_id: str = SENDER, **overrides) -> int:
    with session_scope(engine) as session:
        request, created = submit_callback(
            session, record_from_slots(finished_slots(**overrides), conversation_id)
        )
        assert created
        return request.id


def test_record_keeps_only_the_chosen_contact_detail() -> None:
    by_phone = record_from_slots(finished_slots(), SENDER)
    assert (by_phone.phone, by_phone.email) == (PHONE, None)
    by_email = record_from_slots(finished_slots(callback_contact_method="email"), SENDER)
    assert (by_email.phone, by_email.email) == (None, EMAIL)
    assert by_phone.consent_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        record_from_slots(finished_slots(callback_contact_method=None), SENDER)


def test_stored_once_and_encrypted_at_rest(engine) -> None:
    first = store(engine)
    with session_scope(engine) as session:
        again, created = submit_callback(session, record_from_slots(finished_slots(), SENDER))
        assert not created and again.id == first

    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM callback_requests")).mappings().one()
    raw = " ".join(str(value) for value in row.values())
    for secret in (PHONE, "2075550187", NAME, TIMES, SENDER):
        assert secret not in raw
    assert row["contact_method"] == "phone" and row["status"] == "new"
    with session_scope(engine) as session:
        request = get_callback(session, first)
        assert (request.preferred_name, request.phone, request.email) == (NAME, PHONE, None)
        assert request.best_times == TIMES and request.conversation_id == SENDER
        assert NAME not in repr(request) and PHONE not in repr(request)


def test_raw_sqlite_file_holds_no_phone_or_email(tmp_path) -> None:
    path = tmp_path / "app.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    store(engine)
    store(engine, "conv-callback-2", callback_contact_method="email",
          callback_started_at="2026-03-02T10:00:00+00:00")  # fmt: skip
    engine.dispose()

    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("app.db"))
    assert b"callback_requests" in raw  # the table is there, in these bytes
    for secret in (PHONE, "2075550187", EMAIL, "robin.private", NAME, TIMES, SENDER):
        assert secret.encode() not in raw


def test_list_mark_notified_and_delete(engine) -> None:
    first = store(engine)
    second = store(engine, callback_started_at="2026-03-05T10:00:00+00:00")
    with session_scope(engine) as session:
        assert [r.id for r in list_callbacks(session)] == [second, first]
        assert mark_notified(session, first, False, "webhook: timeout").notify_error
    with session_scope(engine) as session:
        assert delete_callback(session, first) is True
        assert delete_callback(session, first) is False
        assert [r.id for r in list_callbacks(session)] == [second]


def test_erasure_by_conversation_covers_callback_requests(engine) -> None:
    mine = store(engine)
    other = store(engine, "conv-someone-else")
    with session_scope(engine) as session:
        found = find_conversation_records(session, SENDER)
        assert found.callback_request_ids == [mine] and not found.empty
        assert callback_ids_for_conversation(session, "conv-someone-else") == [other]
    with session_scope(engine) as session:
        deleted = delete_conversation_records(session, SENDER)
    assert deleted.callback_request_ids == [mine]
    assert deleted_details(deleted) == ", and 1 callback request you sent from it"
    with session_scope(engine) as session:
        assert find_conversation_records(session, SENDER).empty
        assert [r.id for r in list_callbacks(session)] == [other]


def test_details_of_a_deletion_name_every_kind() -> None:
    from secure_base.privacy import ConversationRecords

    records = ConversationRecords([1], [4, 5], [7])
    assert deleted_details(records) == (
        ", and 1 intake, 1 callback request and 2 crisis records you sent from it"
    )


def test_purge_deletes_callback_requests_past_their_retention(engine, tmp_path) -> None:
    old = store(engine)
    recent = store(engine, callback_started_at="2026-03-09T10:00:00+00:00")
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.get(CallbackRequest, old).created_at = now - timedelta(days=31)
        session.get(CallbackRequest, recent).created_at = now - timedelta(days=29)
    retention = Retention(callback_requests_days=30)
    no_tracker = f"sqlite:///{tmp_path / 'no-tracker.db'}"

    dry = purge(retention, engine=engine, tracker_url=no_tracker, now=now, dry_run=True)
    assert dry.callback_requests == 1
    done = purge(retention, engine=engine, tracker_url=no_tracker, now=now)
    assert done.callback_requests == 1
    with engine.connect() as conn:
        ids = conn.execute(select(CallbackRequest.id)).scalars().all()
        assert ids == [recent]
        assert conn.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 1


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = callback_cli(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_staff_cli_lists_without_details_shows_and_deletes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    create_schema(engine)
    request_id = store(engine)
    engine.dispose()

    code, out, _ = run_cli("list", "--database-url", url)
    assert code == 0 and f"{request_id}" in out and "phone" in out and "1 callback request" in out
    assert NAME not in out and "555" not in out

    code, out, err = run_cli("show", str(request_id), "--database-url", url)
    assert code == 0 and NAME in out and "+1 207-555-0187" in out and TIMES in out
    assert "WARNING" in err

    code, out, _ = run_cli("status", str(request_id), "contacted", "--database-url", url)
    assert code == 0 and f"Callback request {request_id}: new -> contacted" in out
    code, out, _ = run_cli("list", "--database-url", url)
    assert "contacted" in out
    code, _, err = run_cli("status", "999", "closed", "--database-url", url)
    assert code == 1 and "No callback request with ID 999" in err

    code, out, _ = run_cli("delete", str(request_id), "--yes", "--database-url", url)
    assert code == 0 and f"Deleted callback request {request_id}." in out
    code, _, err = run_cli("show", str(request_id), "--database-url", url)
    assert code == 1 and "No callback request" in err


def test_key_rotation_covers_callback_requests(engine, monkeypatch) -> None:
    from secure_base.keys import ENCRYPTED_MODELS, rotate_table

    assert CallbackRequest in ENCRYPTED_MODELS
    old_raw = os.environ["SECURE_BASE_INTAKE_KEY"]  # the fixture's key
    old_key = Fernet(old_raw.encode())
    request_id = store(engine)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", f"{new_key},{old_raw}")
    crypto.clear_cipher_cache()
    assert rotate_table(engine, CallbackRequest) == 1

    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", new_key)  # the old key is gone
    crypto.clear_cipher_cache()
    with session_scope(engine) as session:
        request = get_callback(session, request_id)
        assert (request.phone, request.preferred_name) == (PHONE, NAME)
    with engine.connect() as conn:
        token = conn.execute(text("SELECT phone FROM callback_requests")).scalar_one()
    with pytest.raises(InvalidToken):
        old_key.decrypt(token.encode())
