"""Shared fixtures: real databases (SQLite always, PostgreSQL when its URL is set), Rasa's
events table in them, and the real servers."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from secure_base.db import make_engine
from secure_base.schema import create_schema

if TYPE_CHECKING:
    from tests.fake_provider import FakeProvider
    from tests.receivers import HttpReceiver
    from tests.stack import Stack

POSTGRES_URL = os.environ.get("SECURE_BASE_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("SECURE_BASE_TEST_REDIS_URL", "")

# The application-database backends every database test runs on.
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _on_postgres(statement: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(statement))
    admin.dispose()


@contextmanager
def fresh_database_url(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty application database on ``backend``.

    SQLite: ``app.db`` in ``directory``. PostgreSQL: a schema of its own in the test
    database, selected through the connection's search_path and dropped afterwards, so
    parallel runs never collide.
    """
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'app.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _on_postgres(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        _on_postgres(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A fresh application database with the full schema, on each available backend."""
    with fresh_database_url(request.param, tmp_path) as url:
        eng = make_engine(url)
        create_schema(eng)
        yield eng
        eng.dispose()


@pytest.fixture(autouse=True)
def fresh_notify_throttle() -> Iterator[None]:
    """Every test starts with empty notification flood counts (they are per process)."""
    from secure_base.notify import reset_default_throttle

    reset_default_throttle()
    yield
    reset_default_throttle()


@pytest.fixture
def app_env(tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Points the settings (and so get_engine()) at a private data directory."""
    from secure_base import db

    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SECURE_BASE_DATABASE_URL", raising=False)
    db.dispose_engines()
    yield tmp_path / "var"
    db.dispose_engines()


REQUIRE_SERVICES = os.environ.get("SECURE_BASE_TEST_REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    """Skips a test whose prerequisite is missing, or fails it in CI."""
    if not condition:
        if REQUIRE_SERVICES:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


def redis_endpoint_env() -> dict[str, str]:
    """The SECURE_BASE_REDIS_* variables endpoints.scale.yml names, from the test URL."""
    need(bool(REDIS_URL), "SECURE_BASE_TEST_REDIS_URL is not set")
    red = urlparse(REDIS_URL)
    return {
        "SECURE_BASE_REDIS_HOST": red.hostname or "127.0.0.1",
        "SECURE_BASE_REDIS_PORT": str(red.port or 6379),
        "SECURE_BASE_REDIS_PASSWORD": red.password or "",
        "SECURE_BASE_REDIS_TLS": "1" if red.scheme == "rediss" else "0",
        "SECURE_BASE_REDIS_CA_CERTS": "",
    }


def scale_endpoint_env() -> dict[str, str]:
    """Every variable endpoints.scale.yml names (PostgreSQL and Redis), from the test URLs."""
    need(bool(POSTGRES_URL), "SECURE_BASE_TEST_POSTGRES_URL is not set")
    pg = urlparse(POSTGRES_URL)
    return {
        **redis_endpoint_env(),
        "SECURE_BASE_PG_HOST": pg.hostname or "127.0.0.1",
        "SECURE_BASE_PG_PORT": str(pg.port or 5432),
        "SECURE_BASE_PG_DB": pg.path.lstrip("/") or "test",
        "SECURE_BASE_PG_USER": pg.username or "postgres",
        "SECURE_BASE_PG_PASSWORD": pg.password or "",
        "SECURE_BASE_PG_SSLMODE": "prefer",
    }


def started_stack(data_dir: Path) -> Iterator[Stack]:
    """For a fixture to ``yield from``: the real servers on the latest model, then closed.

    Skipped (failed in CI) when there is no trained model.
    """
    from tests.stack import Stack, latest_model

    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    running = Stack(data_dir, model).start()
    yield running
    running.close()


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[FakeProvider]:
    """The providers' APIs (tests/fake_provider.py), one server for the whole run."""
    from tests.fake_provider import FakeProvider

    fake = FakeProvider()
    yield fake
    fake.close()


@pytest.fixture
def provider(fake_provider: FakeProvider) -> FakeProvider:
    """The shared fake provider with no calls recorded and nothing scripted."""
    fake_provider.reset()
    return fake_provider


@pytest.fixture(scope="session")
def staff_receiver() -> Iterator[HttpReceiver]:
    """A local webhook receiver for staff notifications, one for the whole run."""
    import threading

    from tests.receivers import HttpReceiver, _Handler, _Server

    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests, server.status, server.delay = [], 200, 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield HttpReceiver(server)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def staff(staff_receiver: HttpReceiver) -> HttpReceiver:
    """The shared staff receiver with nothing received, answering 200."""
    staff_receiver.requests.clear()
    staff_receiver.respond_with(200)
    return staff_receiver


@pytest.fixture(scope="session")
def stack(fake_provider: FakeProvider, staff_receiver: HttpReceiver,
          tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """The real action server and Rasa server with the latest trained model, started
    once for the run: REST and socket.io as always, and every messaging channel on,
    calling the fake provider (tests/messaging_stack.py). Tests that stop its action
    server start it again before they end."""
    from tests.messaging_stack import start_messaging_stack
    from tests.stack import latest_model

    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    running = start_messaging_stack(tmp_path_factory.mktemp("stack"), model,
                                    fake_provider.url, staff_receiver.url)
    yield running
    running.close()


@pytest.fixture
def messaging_stack(stack: Stack, provider: FakeProvider, staff: HttpReceiver) -> Stack:
    """The shared stack, its action server up; the provider and the staff receiver
    emptied for this test (after the start-up, whose calls are not its own)."""
    from tests.messaging_stack import ensure_actions

    ensure_actions(stack)
    return stack


@pytest.fixture(scope="session")
def scale_servers(fake_provider: FakeProvider,
                  tmp_path_factory) -> Iterator[tuple[Stack, Stack]]:  # type: ignore[no-untyped-def]
    """Two Rasa servers on endpoints.scale.yml (PostgreSQL trackers, Redis locks) as in
    production: server B uses server A's action server, and they share one application
    database (a PostgreSQL schema of its own: SMS opt-outs) and one encryption key.
    Twilio is on, calling the fake provider. Started once for test_scale_out and
    test_sms; each test cleans up the tracker events of its own senders."""
    from concurrent.futures import ThreadPoolExecutor

    from cryptography.fernet import Fernet

    from tests.messaging_stack import TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN
    from tests.stack import Stack, latest_model

    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    env = {**scale_endpoint_env(),
           # Every server reads every conversation: one key, as in production (each data
           # directory would otherwise get its own development key).
           "SECURE_BASE_INTAKE_KEY": Fernet.generate_key().decode(),
           "SECURE_BASE_TWILIO_ACCOUNT_SID": TWILIO_SID,
           "SECURE_BASE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "SECURE_BASE_TWILIO_NUMBER": TWILIO_NUMBER,
           "SECURE_BASE_TWILIO_API_URL": fake_provider.url}
    with fresh_database_url("postgresql", tmp_path_factory.mktemp("scale_db")) as app_db:
        env["SECURE_BASE_DATABASE_URL"] = app_db
        first = Stack(tmp_path_factory.mktemp("scale_a"), model,
                      endpoints="endpoints.scale.yml", env=env)
        second = Stack(tmp_path_factory.mktemp("scale_b"), model, with_actions=False,
                       endpoints="endpoints.scale.yml",
                       env={**env, "SECURE_BASE_ACTION_URL": first.env["SECURE_BASE_ACTION_URL"],
                            "SECURE_BASE_ACTION_SECRET": first.env["SECURE_BASE_ACTION_SECRET"]})
        try:
            with ThreadPoolExecutor(2) as pool:  # the two cold starts overlap
                for started in [pool.submit(first.start), pool.submit(second.start)]:
                    started.result()
            yield first, second
        finally:
            first.close()
            second.close()


# A message with health information, stored in the tracker as Rasa stores it; it must
# never appear in any output.
HEALTH_TEXT = "I have had panic attacks every night since the divorce"


@dataclass
class RasaEvents:
    """Rasa's own `events` table (SQLTrackerStore.SQLEvent) in a real database."""

    url: str
    engine: Engine
    senders: list[str] = field(default_factory=list)

    def new_conversation(self, events: int = 3) -> str:
        """Store a conversation of `events` events; return its (unique) sender ID."""
        from rasa.core.tracker_store import SQLTrackerStore

        # Unique per run: on PostgreSQL the table is shared with other tests and runs.
        sender = f"cli-test-{uuid.uuid4().hex}"
        self.senders.append(sender)
        data = json.dumps({"event": "user", "text": HEALTH_TEXT})
        with Session(self.engine) as session, session.begin():
            session.add_all(
                SQLTrackerStore.SQLEvent(
                    sender_id=sender,
                    type_name="user",
                    timestamp=time.time(),
                    intent_name="start_intake",
                    data=data,
                )
                for _ in range(events)
            )
        return sender

    def count(self, sender: str) -> int:
        from rasa.core.tracker_store import SQLTrackerStore

        event = SQLTrackerStore.SQLEvent
        with self.engine.connect() as conn:
            statement = select(func.count()).where(event.sender_id == sender)
            return conn.execute(statement).scalar_one()

    def remove_test_rows(self) -> None:
        from rasa.core.tracker_store import SQLTrackerStore

        event = SQLTrackerStore.SQLEvent
        if self.senders:
            with self.engine.begin() as conn:
                conn.execute(delete(event).where(event.sender_id.in_(self.senders)))
        self.engine.dispose()


def open_rasa_events(url: str) -> RasaEvents:
    """Rasa's events table at `url`, created with Rasa's model only if it is absent."""
    from rasa.core.tracker_store import SQLTrackerStore

    engine = create_engine(url, future=True)
    SQLTrackerStore.SQLEvent.__table__.create(engine, checkfirst=True)
    return RasaEvents(url, engine)


@pytest.fixture(params=BACKENDS)
def rasa_events(request, tmp_path):
    """Rasa's events table in a SQLite file, and in the test PostgreSQL database."""
    url = f"sqlite:///{tmp_path / 'rasa-tracker.db'}" if request.param == "sqlite" else POSTGRES_URL
    events = open_rasa_events(url)
    yield events
    events.remove_test_rows()


@pytest.fixture
def postgres_events():
    """Rasa's events table in the test PostgreSQL database (skipped without one)."""
    need(bool(POSTGRES_URL), "SECURE_BASE_TEST_POSTGRES_URL is not set")
    events = open_rasa_events(POSTGRES_URL)
    yield events
    events.remove_test_rows()
