"""Database engine and session handling for the application database.

SQLAlchemy 1.4 in 2.0 style: ``future=True`` engines, ``select()`` queries, and one
session per unit of work. The engine is created on first use, never at import time.
Query functions elsewhere take a ``Session`` argument; callers own its life.

The layers, bottom up: :mod:`secure_base.sqltypes` (declarative base, column types,
clock), the model modules, :mod:`secure_base.schema` (creating the tables), then this
module, which creates the schema on an engine's first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from secure_base.schema import create_schema
from secure_base.settings import ensure_data_dir, load_settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def sqlite_secure_delete(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """SQLite connect hook: overwrite deleted content with zeros.

    Without it, deleted rows (erased conversations, purged intakes) stay readable in the
    file's free pages until they happen to be reused.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    sqlite_secure_delete(dbapi_connection, _record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the action server read while a CLI writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Creates a new engine for ``url`` (SQLite gets foreign keys, WAL and secure_delete)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, future=True, connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Returns the process-wide engine for ``url`` (default: the settings' URL).

    The engine is created once per URL and the schema is created on first use.
    """
    if url is None:
        settings = load_settings()
        if settings.database_url.startswith("sqlite"):
            ensure_data_dir(settings)
        url = settings.database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            create_schema(engine)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Closes every pooled connection (tests and shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on error, always closes.

    Args:
        engine: Engine to bind; the settings' engine when omitted.
    """
    factory = sessionmaker(bind=engine or get_engine(), future=True, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
