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


def test_postgresql_sslmode_reaches_the_driver(scale_env, monkeypatch) -> None:
    """SECURE_BASE_PG_SSLMODE goes into the URL Rasa connects with (and the staff CLI's).

    The test server has no TLS: ``require`` must then fail to connect (proving the option
    is used, not dropped), ``prefer`` connects.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from secure_base.tracker_store import resolve_tracker_url

    def rasa_url() -> object:
        config = read_endpoint_config(SCALE, "tracker_store")
        options = config.kwargs
        return SQLTrackerStore.get_db_url(
            "postgresql", config.url, options["port"], options["db"], options["username"],
            options["password"], query=options["query"],
        )

    for url in (rasa_url, lambda: resolve_tracker_url(None)):
        monkeypatch.setenv("SECURE_BASE_ENDPOINTS", "endpoints.scale.yml")
        monkeypatch.setenv("SECURE_BASE_PG_SSLMODE", "require")
        resolved = url()
        assert resolved.query["sslmode"] == "require"
        engine = create_engine(resolved, future=True)
        with pytest.raises(OperationalError, match="SSL"):
            engine.connect()
        engine.dispose()
        monkeypatch.setenv("SECURE_BASE_PG_SSLMODE", "prefer")
        engine = create_engine(url(), future=True)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        engine.dispose()


def test_redis_password_and_tls_reach_the_client(scale_env, monkeypatch) -> None:
    """SECURE_BASE_REDIS_PASSWORD and _TLS are used, typed (text "0" is not TLS on)."""
    import redis

    store = LockStore.create(read_endpoint_config(SCALE, "lock_store"))
    assert store.red.ping()  # TLS "0", no password: the test server's setup
    kwargs = store.red.connection_pool.connection_kwargs
    assert kwargs.get("password") is None and "ssl_ca_certs" not in kwargs

    monkeypatch.setenv("SECURE_BASE_REDIS_PASSWORD", "not-the-password")
    store = LockStore.create(read_endpoint_config(SCALE, "lock_store"))
    with pytest.raises(redis.AuthenticationError):
        store.red.ping()

    monkeypatch.setenv("SECURE_BASE_REDIS_PASSWORD", "")
    monkeypatch.setenv("SECURE_BASE_REDIS_TLS", "1")
    store = LockStore.create(read_endpoint_config(SCALE, "lock_store"))
    assert store.red.connection_pool.connection_class is redis.SSLConnection
    store.red.connection_pool.connection_kwargs["socket_timeout"] = 3
    with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
        store.red.ping()  # the test server speaks plain text

    monkeypatch.setenv("SECURE_BASE_REDIS_TLS", "maybe")
    with pytest.raises(ValueError, match="use_ssl"):
        LockStore.create(read_endpoint_config(SCALE, "lock_store"))


def test_settings_export_the_scale_defaults_without_printing_the_redis_password() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "SECURE_BASE_REDIS_PASSWORD": "a b$c"}
    env.pop("SECURE_BASE_PG_SSLMODE", None)
    printed = subprocess.run(
        [sys.executable, "-m", "secure_base.settings"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, check=True,
    ).stdout
    assert "a b$c" not in printed
    shown = subprocess.run(
        ["bash", "-c", 'eval "$1"; echo "$SECURE_BASE_REDIS_PASSWORD|$SECURE_BASE_PG_SSLMODE|'
         '$SECURE_BASE_REDIS_TLS"', "_", printed],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert shown == "a b$c|prefer|0"
