"""action_crisis_record against a real SQLite data dir and real SMTP/HTTP receivers,
and the crisis event queries on every database backend."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text

from actions.crisis import ActionCrisisRecord, detection_of
from secure_base.crisis.models import CrisisEvent
from secure_base.crisis.store import list_crisis_events, mark_notified, record_crisis_event
from secure_base.db import get_engine, session_scope
from tests.receivers import http_receiver, smtp_receiver  # noqa: F401 (fixtures)
from tests.stack import free_port

TRIGGER = "I have the pills here and I don't want to wake up tomorrow"
SENDER = "conv-7f3a"


def crisis_tracker(
    text_: str = TRIGGER,
    channel: str | None = "socketio",
    safety_net: dict | None = None,
) -> Tracker:
    """A tracker as the action server receives it right after ``utter_crisis``."""
    parse_data = {
        "text": text_,
        "intent": {"name": "crisis", "confidence": 0.97},
        "entities": [],
    }
    if safety_net is not None:
        parse_data["crisis_safety_net"] = safety_net
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text_, "parse_data": parse_data, "input_channel": channel},
        {"event": "slot", "name": "crisis_flag", "value": True},
        {"event": "action", "name": "utter_crisis"},
        {"event": "bot", "text": "If you are in danger, call 988 now."},
    ]
    return Tracker(
        sender_id=SENDER,
        slots={"crisis_flag": True, "requested_slot": None},
        latest_message=parse_data,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="utter_crisis",
    )


async def run_action(tracker: Tracker) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ActionCrisisRecord().run(dispatcher, tracker, {"responses": {}})
    return events, dispatcher


def stored_events() -> list[CrisisEvent]:
    with session_scope(get_engine()) as session:
        return list_crisis_events(session)


def raw_trigger_column() -> list[str]:
    with get_engine().connect() as conn:
        return list(conn.execute(text("SELECT trigger_message FROM crisis_events")).scalars())


@pytest.fixture
def notify_env(app_env, monkeypatch, smtp_receiver, http_receiver):  # noqa: F811
    """Settings (via the environment) that notify both local receivers."""
    monkeypatch.delenv("SECURE_BASE_INTAKE_KEY", raising=False)  # development key file
    monkeypatch.delenv("SECURE_BASE_ENV", raising=False)
    monkeypatch.setenv("SECURE_BASE_NOTIFY_EMAIL", "oncall@practice.test")
    monkeypatch.setenv("SECURE_BASE_SMTP_HOST", smtp_receiver.host)
    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", str(smtp_receiver.port))
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", http_receiver.url)
    return smtp_receiver, http_receiver


async def test_records_event_and_notifies_staff_without_the_message(notify_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    smtp, hook = notify_env
    before = datetime.now(UTC)

    events, dispatcher = await run_action(
        crisis_tracker(safety_net={"layer": "keyword", "rule": "means_and_intent"})
    )

    # Silent towards the person: the crisis response was already sent by Rasa.
    assert events == [] and dispatcher.messages == []

    (event,) = stored_events()
    assert event.conversation_id == SENDER
    assert event.channel == "socketio"
    assert event.trigger_message == TRIGGER
    assert event.detection_layer == "keyword" and event.rule == "means_and_intent"
    assert event.notified is True and event.notify_error is None
    assert event.occurred_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= event.occurred_at <= datetime.now(UTC)
    (raw,) = raw_trigger_column()
    assert "pills" not in raw and TRIGGER not in raw

    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["oncall@practice.test"]
    assert mail.message["X-Secure-Base-Kind"] == "crisis"
    assert f"Crisis event ID: {event.id}" in mail.text
    assert "Channel: socketio" in mail.text
    (request,) = hook.requests
    payload = request.json()
    assert payload["kind"] == "crisis"
    assert payload["data"]["event_id"] == event.id
    assert payload["data"]["stored"] is True
    # An opaque reference, never the (client-chosen) conversation ID.
    assert payload["data"]["reference"] and "conversation_id" not in payload["data"]
    assert SENDER not in mail.text and SENDER not in request.body.decode()

    # Never the person's words, in the notifications or in the logs.
    for outgoing in (mail.text, request.body.decode(), caplog.text):
        assert TRIGGER not in outgoing
        assert "pills" not in outgoing and "wake up" not in outgoing


async def test_classifier_detection_and_unknown_channel(notify_env) -> None:
    await run_action(crisis_tracker(channel=None))

    (event,) = stored_events()
    assert event.detection_layer == "classifier" and event.rule is None
    assert event.channel is None
    assert "Channel: unknown" in notify_env[0].wait_for(1)[0].text


async def test_failed_notification_is_recorded_on_the_event(app_env, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    closed = free_port()
    monkeypatch.setenv("SECURE_BASE_NOTIFY_EMAIL", "oncall@practice.test")
    monkeypatch.setenv("SECURE_BASE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", str(closed))
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", f"http://127.0.0.1:{closed}/hook")

    events, dispatcher = await run_action(crisis_tracker())

    assert events == [] and dispatcher.messages == []
    (event,) = stored_events()
    assert event.trigger_message == TRIGGER  # the event is kept whatever the notifier did
    assert event.notified is False
    assert event.notify_error.startswith("email: ConnectionRefusedError")
    assert "webhook: ConnectionError" in event.notify_error
    assert "Staff were not notified of crisis event" in caplog.text
    assert TRIGGER not in caplog.text and TRIGGER not in event.notify_error


async def test_partial_notification_counts_as_notified(
    app_env,
    monkeypatch,
    http_receiver,  # noqa: F811
) -> None:
    monkeypatch.setenv("SECURE_BASE_NOTIFY_EMAIL", "oncall@practice.test")
    monkeypatch.setenv("SECURE_BASE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SECURE_BASE_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", http_receiver.url)

    await run_action(crisis_tracker())

    (event,) = stored_events()
    assert event.notified is True
    assert event.notify_error.startswith("email: ")
    assert len(http_receiver.requests) == 1


async def test_no_transport_configured_is_recorded(app_env, monkeypatch) -> None:
    monkeypatch.delenv("SECURE_BASE_NOTIFY_EMAIL", raising=False)
    monkeypatch.delenv("SECURE_BASE_NOTIFY_WEBHOOK", raising=False)

    await run_action(crisis_tracker())

    (event,) = stored_events()
    assert event.notified is False
    assert event.notify_error == "no notification transport is configured"


async def test_database_failure_still_notifies_staff(
    notify_env, monkeypatch, tmp_path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    # A database file in a directory that does not exist: SQLite cannot open it.
    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/app.db")
    smtp, hook = notify_env

    events, dispatcher = await run_action(crisis_tracker())

    assert events == [] and dispatcher.messages == []
    (mail,) = smtp.wait_for(1)
    assert "Crisis event ID: not stored" in mail.text
    assert "could NOT be stored" in mail.text
    assert hook.requests[0].json()["data"]["stored"] is False
    assert "could not be stored (OperationalError" in caplog.text
    assert TRIGGER not in caplog.text and TRIGGER not in mail.text


@pytest.mark.parametrize(
    ("safety_net", "expected"),
    [
        (None, ("classifier", None)),
        ({}, ("classifier", None)),
        ({"triggered": False, "rule": "x"}, ("classifier", None)),
        ({"layer": "keyword", "rule": "plan"}, ("keyword", "plan")),
        ({"detection_layer": "regex", "rule_id": 3}, ("regex", "3")),
        ({"triggered": True}, ("safety_net", None)),
        ("explicit_intent", ("safety_net", "explicit_intent")),
    ],
)
def test_detection_of(safety_net, expected) -> None:
    latest = {"text": TRIGGER}
    if safety_net is not None:
        latest["crisis_safety_net"] = safety_net
    assert detection_of(latest) == expected


def test_store_functions(engine, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    base = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        first = record_crisis_event(
            session, "c-1", "first message", channel="rest", occurred_at=base
        )
        second = record_crisis_event(
            session,
            "c-2",
            "second message",
            channel="x" * 200,  # not a known channel: stored as "other", not an error
            detection_layer="keyword",
            rule="plan",
            # Another zone: stored as the same instant in UTC.
            occurred_at=(base + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-5))),
        )
        assert first.id and second.id and first.notified is False

    with session_scope(engine) as session:
        assert mark_notified(session, first.id, True, None).notified is True
        assert mark_notified(session, second.id, False, "email: SMTPException").notified is False
        assert mark_notified(session, 999_999, True, None) is None

    with session_scope(engine) as session:
        newest, oldest = list_crisis_events(session)
        assert [newest.id, oldest.id] == [second.id, first.id]
        assert newest.occurred_at == base + timedelta(hours=1)
        assert newest.occurred_at.tzinfo is not None
        assert newest.trigger_message == "second message"
        assert newest.channel == "other"
        assert (newest.notified, newest.notify_error) == (False, "email: SMTPException")
        assert (oldest.notified, oldest.notify_error) == (True, None)
        assert [e.id for e in list_crisis_events(session, limit=1)] == [second.id]
        assert "message" not in repr(newest)


async def test_raise_crisis_alert_without_a_message(notify_env) -> None:
    """The one alert path, as the intake's acute answer uses it: no text to keep."""
    from secure_base.crisis.alerts import raise_crisis_alert

    smtp, hook = notify_env
    alert = raise_crisis_alert(
        SENDER,
        trigger_message=None,
        channel="rest",
        detection_layer="intake_asq",
        rule="asq_5_acute",
    )

    assert alert.event_id is not None and alert.result.ok and not alert.result.failed
    (event,) = stored_events()
    assert event.id == alert.event_id and event.trigger_message is None
    assert (event.detection_layer, event.rule) == ("intake_asq", "asq_5_acute")
    assert event.notified is True and event.notify_error is None
    (mail,) = smtp.wait_for(1)
    assert f"Crisis event ID: {event.id}" in mail.text
    assert hook.requests[0].json()["data"]["stored"] is True


def test_one_mark_notified_for_events_and_submissions() -> None:
    from secure_base import notify
    from secure_base.crisis.store import mark_notified as mark_event_notified
    from secure_base.intake.store import mark_notified as mark_submission_notified

    assert mark_event_notified.func is mark_submission_notified.func is notify.mark_notified


def test_crisis_names_match_the_domain() -> None:
    import yaml

    from secure_base.crisis import CRISIS_FLAG_SLOT, CRISIS_INTENT, CRISIS_RECORD_ACTION
    from secure_base.policies.crisis_policy import CRISIS_SEQUENCE
    from secure_base.settings import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert CRISIS_FLAG_SLOT in domain["slots"] and CRISIS_INTENT in domain["intents"]
    assert CRISIS_RECORD_ACTION in domain["actions"]
    assert ActionCrisisRecord().name() == CRISIS_SEQUENCE[1] == CRISIS_RECORD_ACTION
