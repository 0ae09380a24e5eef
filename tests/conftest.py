"""Shared fixtures: real databases (SQLite always, PostgreSQL when its URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from secure_base.db import make_engine
from secure_base.schema import create_schema

POSTGRES_URL = os.environ.get("SECURE_BASE_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("SECURE_BASE_TEST_REDIS_URL", "")

_backends = ["sqlite"]
if POSTGRES_URL:
    _backends.append("postgresql")


def _postgres_engine(schema: str) -> Engine:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(POSTGRES_URL)
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _set_search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()

    return engine


@pytest.fixture(params=_backends)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A fresh application database with the full schema, on each available backend.

    PostgreSQL tests run in a schema of their own, so parallel runs never collide.
    """
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
        create_schema(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    eng = _postgres_engine(schema)
    create_schema(eng)
    yield eng
    eng.dispose()
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The real action server and Rasa server with the latest trained model."""
    from tests.stack import Stack, latest_model

    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    running = Stack(tmp_path_factory.mktemp("stack"), model).start()
    yield running
    running.close()
