"""action_submit_intake and action_intake_discard against real databases and real
SMTP/HTTP receivers: one row per intake, safe notifications, and a database that fails
and then recovers without losing or duplicating anything."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.intake.submission import ActionIntakeDiscard, ActionSubmitIntake
from secure_base import crypto, db
from secure_base.db import get_engine, session_scope
from secure_base.intake import FORM_SLOTS, INTAKE_SLOTS
from secure_base.intake.models import IntakeSubmission
from tests.conftest import BACKENDS, fresh_database_url
from tests.receivers import http_receiver, smtp_receiver  # noqa: F401 (fixtures)
from tests.stack import free_port
from tests.test_intake_store import EMAIL, NAME, REASON, confirmed_slots

SENDER = "conv-submit-1"


@pytest.fixture(params=BACKENDS)
def app_db(request, tmp_path, monkeypatch):
    """SECURE_BASE_DATABASE_URL pointing at a fresh database on each backend.

    PostgreSQL gets a schema of its own, selected through the connection's search_path.
    """
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    for name in ("SECURE_BASE_NOTIFY_EMAIL", "SECURE_BASE_NOTIFY_WEBHOOK", "SECURE_BASE_ENV"):
        monkeypatch.delenv(name, raising=False)
    crypto.clear_cipher_cache()
    db.dispose_engines()
    with fresh_database_url(request.param, tmp_path) as url:
        monkeypatch.setenv("SECURE_BASE_DATABASE_URL", url)
        yield url
        db.dispose_engines()
        crypto.clear_cipher_cache()


@pytest.fixture
def notify_env(monkeypatch, smtp_receiver, http_receiver):  # noqa: F811
    monkeypatch.setenv("SECURE_BASE_NOTIFY_EMAIL", "intake@practice.test")
    monkeypatch.setenv("SECURE_BASE_SMTP_HOST", smtp_receiver.host)
    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", str(smtp_receiver.port))
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", http_receiver.url)
    return smtp_receiver, http_receiver


def tracker_for(slots: dict, latest_intent: str = "affirm") -> Tracker:
    """The tracker right after the form finished (or after "try again")."""
    all_slots = {name: None for name in (*INTAKE_SLOTS, "intake_submission_id", "crisis_flag")}
    all_slots.update(slots)
    all_slots["requested_slot"] = None
    message = {"text": "Yes", "intent": {"name": latest_intent, "confidence": 0.97}}
    return Tracker(
        sender_id=SENDER,
        slots=all_slots,
        latest_message=message,
        events=[
            {"event": "user", "text": "Yes", "parse_data": message},
            {"event": "action", "name": "intake_form"},
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "requested_slot", "value": None},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="intake_form",
    )


async def submit(slots: dict) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitIntake().run(dispatcher, tracker_for(slots), {"responses": {}})
    return events, [m["response"] for m in dispatcher.messages]


def rows() -> list[IntakeSubmission]:
    with session_scope(get_engine()) as session:
        return list(session.execute(select(IntakeSubmission)).scalars())


def row_count(url: str) -> int:
    """Rows in the database at ``url`` (its schema is created if nothing was stored yet)."""
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(func.count()).select_from(IntakeSubmission.__table__)
        ).scalar_one()


def slot_sets(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_submission_is_stored_notified_safely_and_reset(app_db, notify_env) -> None:
    smtp, hook = notify_env
    events, said = await submit(confirmed_slots())

    assert said == ["utter_intake_submitted"]
    (row,) = rows()
    assert row.email == EMAIL and row.notified is True and row.notify_error is None
    assert row.conversation_id == SENDER
    values = slot_sets(events)
    assert values["intake_submission_id"] == str(row.id)
    # Every intake slot is reset, except the submission ID.
    assert all(values[name] is None for name in INTAKE_SLOTS)
    assert set(FORM_SLOTS) <= set(values)

    (mail,) = smtp.wait_for(1)
    assert mail.message["X-Secure-Base-Kind"] == "intake"
    assert f"Submission ID: {row.id}" in mail.text and "not urgent" in mail.text
    (request,) = hook.requests
    payload = request.json()
    assert payload["kind"] == "intake"
    assert payload["data"] == {
        "submission_id": row.id,
        "urgent": False,
        "created_at": row.created_at.isoformat(),
    }
    # Never answers or scores.
    everything = mail.text + mail.message["Subject"] + request.body.decode()
    for secret in (EMAIL, NAME, REASON, "Maine", "self_pay", "phq", "PHQ", "score", SENDER):
        assert secret not in everything


async def test_replayed_action_creates_no_second_row(app_db, notify_env) -> None:
    smtp, _ = notify_env
    slots = confirmed_slots()
    first, _ = await submit(slots)
    again, said = await submit(slots)  # Rasa retried: same tracker, same key
    assert said == ["utter_intake_submitted"]
    assert slot_sets(again)["intake_submission_id"] == slot_sets(first)["intake_submission_id"]
    assert len(rows()) == 1
    assert len(smtp.wait_for(1)) == 1  # staff were told once


async def test_urgent_submission(app_db, notify_env) -> None:
    smtp, _ = notify_env
    _, said = await submit(
        confirmed_slots(asq_1=True, asq_5=True, intake_urgent=True, crisis_flag=True)
    )
    assert said == ["utter_intake_submitted_urgent"]
    (row,) = rows()
    assert row.urgent is True and row.asq_positive is True
    (mail,) = smtp.wait_for(1)
    assert "URGENT" in mail.message["Subject"] and "Urgency: URGENT" in mail.text


async def test_database_down_then_back_keeps_everything_and_stores_once(
    app_db, monkeypatch
) -> None:
    good_url = app_db
    slots = confirmed_slots()
    # PostgreSQL on a port where nothing listens.
    monkeypatch.setenv(
        "SECURE_BASE_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/secure_base"
    )
    db.dispose_engines()

    events, said = await submit(slots)

    assert said == ["utter_intake_submit_failed"]
    assert events == []  # the answers stay in the conversation; the form is done

    # The database is back; the person says "try again" (same slots, same key).
    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", good_url)
    events, said = await submit(slots)
    assert said == ["utter_intake_submitted"]
    submission_id = slot_sets(events)["intake_submission_id"]
    assert submission_id

    # A second retry (say the reply was lost) finds the same row.
    events, _ = await submit(slots)
    assert slot_sets(events)["intake_submission_id"] == submission_id
    assert row_count(good_url) == 1


async def test_unsaved_urgent_intake_alerts_staff_without_answers(
    app_db, notify_env, monkeypatch, caplog
) -> None:
    smtp, _ = notify_env
    monkeypatch.setenv(
        "SECURE_BASE_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/secure_base"
    )
    db.dispose_engines()
    _, said = await submit(confirmed_slots(asq_2=True, asq_5=True, intake_urgent=True))
    assert said == ["utter_intake_submit_failed"]
    (mail,) = smtp.wait_for(1)
    assert "could not be saved" in mail.message["Subject"]
    # An opaque reference that the action server's log ties to the conversation; the
    # conversation ID itself never leaves in a notification.
    assert SENDER not in mail.text
    reference = mail.text.split("Alert reference: ", 1)[1].split()[0]
    assert any(
        reference in r.getMessage() and SENDER in r.getMessage() for r in caplog.records
    )
    assert EMAIL not in mail.text and NAME not in mail.text


@pytest.mark.parametrize(
    "slots",
    [
        {"intake_consent": False},
        {"intake_consent": "0a1b2c3d4e5f", "preferred_name": "Kid", "age": 15},
        {"intake_consent": "0a1b2c3d4e5f", "preferred_name": "Kid", "age": False},
    ],
)
async def test_declined_or_under_age_stores_nothing(app_db, slots: dict) -> None:
    events, said = await submit(slots)
    assert said == []  # the form already explained
    assert events[0] == SlotSet("requested_slot", None)
    assert all(value is None for value in slot_sets(events).values())
    assert row_count(app_db) == 0


async def test_try_again_with_nothing_pending(app_db) -> None:
    events, said = await submit({})
    assert events == [] and said == ["utter_intake_nothing_to_submit"]
    events, said = await submit({"intake_submission_id": "7"})
    assert events == [] and said == ["utter_intake_already_submitted"]


async def test_discard_resets_and_deactivates() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionIntakeDiscard().run(
        dispatcher,
        tracker_for({**confirmed_slots(), "intake_submission_id": "3"}),
        {"responses": {}},
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_intake_discarded"]
    assert events[0] == ActiveLoop(None)
    values = slot_sets(events)
    assert values["requested_slot"] is None
    assert all(values[name] is None for name in INTAKE_SLOTS)
    assert "intake_submission_id" not in values  # the earlier submission stays known
