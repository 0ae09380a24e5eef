"""action_submit_callback and action_callback_discard against real databases and real
SMTP/HTTP receivers: one encrypted row per request, staff told its ID and time only,
nothing stored after a declined consent, and an honest message when the database is down."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.handoff import ActionCallbackDiscard, ActionSubmitCallback
from secure_base import db
from secure_base.callback import CALLBACK_SLOTS
from secure_base.callback.models import CallbackRequest
from secure_base.db import get_engine, session_scope
from tests.receivers import http_receiver, smtp_receiver  # noqa: F401 (fixtures)
from tests.stack import free_port
from tests.test_callback_store import NAME, PHONE, TIMES, finished_slots
from tests.test_intake_submit import app_db, notify_env  # noqa: F401 (fixtures)

SENDER = "conv-callback-submit-1"


def tracker_for(slots: dict) -> Tracker:
    """The tracker right after callback_form finished."""
    all_slots = {name: None for name in (*CALLBACK_SLOTS, "crisis_flag")}
    all_slots.update(slots)
    all_slots["requested_slot"] = None
    message = {"text": "Weekday mornings", "intent": {"name": "inform", "confidence": 0.9}}
    return Tracker(
        sender_id=SENDER,
        slots=all_slots,
        latest_message=message,
        events=[
            {"event": "user", "text": "Weekday mornings", "parse_data": message},
            {"event": "action", "name": "callback_form"},
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "requested_slot", "value": None},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="callback_form",
    )


async def submit(slots: dict) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitCallback().run(dispatcher, tracker_for(slots), {"responses": {}})
    return events, [m["response"] for m in dispatcher.messages]


def rows() -> list[CallbackRequest]:
    with session_scope(get_engine()) as session:
        return list(session.execute(select(CallbackRequest)).scalars())


def slot_sets(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_request_is_stored_staff_notified_safely_and_slots_reset(
    app_db, notify_env  # noqa: F811
) -> None:
    smtp, hook = notify_env
    events, said = await submit(finished_slots())

    assert said == ["utter_callback_submitted"]
    (row,) = rows()
    assert (row.preferred_name, row.phone, row.email, row.best_times) == (NAME, PHONE, None, TIMES)
    assert row.conversation_id == SENDER and row.notified is True and row.notify_error is None
    values = slot_sets(events)
    assert values["requested_slot"] is None
    assert all(values[name] is None for name in CALLBACK_SLOTS)

    (mail,) = smtp.wait_for(1)
    assert mail.message["X-Secure-Base-Kind"] == "callback"
    assert f"Callback request ID: {row.id}" in mail.text
    assert f"python -m secure_base.callback show {row.id}" in mail.text
    (request,) = hook.requests
    payload = request.json()
    assert payload["kind"] == "callback"
    assert payload["data"] == {
        "callback_request_id": row.id,
        "created_at": row.created_at.isoformat(),
    }
    # Like an intake notification: an ID and a time, never what the person gave.
    everything = mail.text + mail.message["Subject"] + request.body.decode()
    for secret in (NAME, PHONE, "2075550187", "555-0187", TIMES, SENDER, "Robin"):
        assert secret not in everything


async def test_replayed_action_creates_no_second_row_or_notification(
    app_db, notify_env  # noqa: F811
) -> None:
    smtp, _ = notify_env
    await submit(finished_slots())
    _, said = await submit(finished_slots())
    assert said == ["utter_callback_submitted"]
    assert len(rows()) == 1
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


async def test_declined_or_unfinished_stores_nothing(app_db) -> None:  # noqa: F811
    for slots in ({"callback_consent": False}, finished_slots(callback_phone=None), {}):
        events, said = await submit(slots)
        assert said == []
        assert events[0] == SlotSet("requested_slot", None)
        assert all(value is None for value in slot_sets(events).values())
    assert rows() == []


async def test_database_down_is_said_honestly(app_db, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv(
        "SECURE_BASE_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/secure_base"
    )
    db.dispose_engines()
    events, said = await submit(finished_slots())
    assert said == ["utter_callback_submit_failed"]
    assert all(value is None for value in slot_sets(events).values())

    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", app_db)
    db.dispose_engines()
    with get_engine(app_db).connect() as conn:
        count = conn.execute(select(func.count()).select_from(CallbackRequest.__table__))
        assert count.scalar_one() == 0


async def test_discard_resets_and_deactivates() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCallbackDiscard().run(
        dispatcher, tracker_for(finished_slots()), {"responses": {}}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_discarded"]
    assert events[0] == ActiveLoop(None)
    values = slot_sets(events)
    assert all(values[name] is None for name in ("requested_slot", *CALLBACK_SLOTS))
