"""endpoints.scale.yml against the real PostgreSQL and Redis (CI sets their URLs)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from secure_base.settings import PROJECT_ROOT
from tests.conftest import scale_endpoint_env

SCALE = str(PROJECT_ROOT / "endpoints.scale.yml")


@pytest.fixture
def scale_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_BASE_ACTION_URL", "http://127.0.0.1:5055/webhook")
    # endpoints.scale.yml names it (the action endpoint's header); not used here.
    monkeypatch.setenv("SECURE_BASE_ACTION_SECRET", "not-used-by-these-tests")
    for name, value in scale_endpoint_env().items():
        monkeypatch.setenv(name, value)


def test_conversations_persist_in_postgresql(scale_env) -> None:
    domain = Domain.from_path(str(PROJECT_ROOT / "domain.yml"))
    config = read_endpoint_config(SCALE, "tracker_store")
    store = TrackerStore.create(config, domain)
    # Rasa's SQL store, encrypting (secure_base/encrypted_tracker_store.py).
    assert type(store).__name__ == "EncryptedSQLTrackerStore"
    sender = f"scale-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(
        sender, [UserUttered("hello", {"name": "greet", "confidence": 1.0}),
                 SlotSet("crisis_flag", True)]
    )

    async def roundtrip() -> DialogueStateTracker:
        await store.save(tracker)
        # A second store object stands for a second Rasa server.
        other = TrackerStore.create(read_endpoint_config(SCALE, "tracker_store"), domain)
        return await other.retrieve(sender)

    loaded = asyncio.run(roundtrip())
    assert loaded is not None
    assert loaded.get_slot("crisis_flag") is True
    assert loaded.latest_message.text == "hello"
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT data FROM events WHERE sender_id = %(s)s", {"s": sender}
        ).scalars().all()
    assert stored and not any("hello" in row or "crisis_flag" in row for row in stored)


def test_conversation_locks_are_shared_through_redis(scale_env) -> None:
    first = LockStore.create(read_endpoint_config(SCALE, "lock_store"))
    second = LockStore.create(read_endpoint_config(SCALE, "lock_store"))
    assert type(first).__name__ == "RedisLockStore"
    conversation = f"lock-{uuid.uuid4()}"
    lock = first.create_lock(conversation)
    lock.issue_ticket(60)
    first.save_lock(lock)
    try:
        seen = second.get_lock(conversation)
        assert seen is not None and seen.tickets  # the other server sees the ticket
    finally:
        first.delete_lock(conversation)
    assert second.get_lock(conversation) is None
