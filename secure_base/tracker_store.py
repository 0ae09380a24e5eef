"""Conversations in Rasa's SQL tracker store: where the store is, and finding and deleting them.

Rasa keeps every event of a conversation as one row of its ``events`` table, keyed by
``sender_id`` (the conversation ID). This module reads and deletes those rows with
SQLAlchemy alone, without importing Rasa, on SQLite and PostgreSQL:

* :func:`resolve_tracker_url` works out which database holds the conversations, from an
  explicit URL, the endpoints file the Rasa servers use (``SECURE_BASE_ENDPOINTS``, with
  its ``${NAME}`` environment references, ``host:port`` URLs and ``POSTGRESQL_SCHEMA``),
  or the SQLite file ``SECURE_BASE_TRACKER_DB``;
* :func:`count_conversation_events` finds how many events a conversation has there;
* :func:`delete_conversation` deletes them, in one transaction;
* :func:`describe_tracker` says where the store is without its password, for messages;
* :func:`encode_event_data` / :func:`decode_event_data` are how each event's ``data``
  column is encrypted by :class:`secure_base.encrypted_tracker_store.EncryptedSQLTrackerStore`
  (the same Fernet keys as the intake fields; ``sender_id``, ``type_name`` and
  ``timestamp`` stay in clear because Rasa queries them);
* :func:`rotate_conversation_events` re-encrypts every event with the current key;
* :func:`purge_conversations` deletes conversations whose last event is older than a
  cutoff (retention);
* :func:`redis_lock_options` reads the Redis lock store the servers share, if any, so
  that a staff deletion can take the conversation lock (:mod:`secure_base.lock_store`).

SQLite connections here use ``secure_delete``, so deleted events are overwritten in the
file. Nothing here prints or logs a conversation ID or its content.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import yaml
from sqlalchemy import column, create_engine, delete, event, func, inspect, select, table, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from secure_base.crypto import decrypt_text, encrypt_text, rotate_text
from secure_base.db import sqlite_secure_delete
from secure_base.settings import (
    OPTIONAL_ENDPOINT_VARIABLES,
    PROJECT_ROOT,
    Settings,
    load_settings,
)

# Rasa's SQL tracker store keeps one row per event in `events`, keyed by `sender_id`
# (the conversation ID). These are the columns used here, so Rasa is not imported.
EVENTS_TABLE = table(
    "events", column("id"), column("sender_id"), column("timestamp"), column("data")
)
# The endpoints `type` of Secure Base's encrypting store (Rasa's `SQL` is accepted too).
ENCRYPTED_STORE_TYPE = "secure_base.encrypted_tracker_store.EncryptedSQLTrackerStore"
# Slot that action_delete_my_data sets: the store then erases the conversation when it
# saves that turn (under the conversation lock) instead of writing it.
ERASURE_SLOT = "erase_conversation"
# Rows re-encrypted per transaction during key rotation.
_ROTATE_BATCH = 500
# ${NAME} references in an endpoints file, which Rasa replaces from the environment.
_ENV_REFERENCE = re.compile(r"\$\{([^}]+)\}")


class TrackerStoreConfigError(Exception):
    """Where the conversations are kept cannot be worked out; nothing was touched."""


class MissingEventsTableError(Exception):
    """The tracker store database has no ``events`` table."""


def describe_tracker(url: URL) -> str:
    """Where the tracker store is, for messages: the SQLite file, or the URL without password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def _endpoints_value(
    config: Mapping[str, Any],
    field: str,
    endpoints_path: Path,
    env: Mapping[str, str],
    section: str = "tracker_store",
) -> Optional[str]:
    """A tracker_store field with its ``${NAME}`` references replaced, as Rasa reads it.

    Returns:
        The value, or ``None`` when the field is absent or empty.

    Raises:
        TrackerStoreConfigError: When a referenced variable is not set.

    """
    raw = config.get(field)
    if raw is None:
        return None

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise TrackerStoreConfigError(
                f"{endpoints_path}: {section} {field} uses ${{{name}}}, which is not set "
                "(set the same variables as the Rasa servers, or pass --tracker-url)"
            )
        return env[name]

    value = _ENV_REFERENCE.sub(substitute, str(raw))
    return value or None


def _url_from_endpoints(
    config: Mapping[str, Any], endpoints_path: Path, env: Mapping[str, str]
) -> URL:
    """The URL Rasa's SQLTrackerStore connects to for a server-based ``tracker_store``."""
    host = _endpoints_value(config, "url", endpoints_path, env)
    if host and "://" in host:  # Rasa takes a complete URL in `url` as it is
        try:
            return make_url(host)
        except ArgumentError:
            raise TrackerStoreConfigError(
                f"{endpoints_path}: tracker_store url is not a valid database URL"
            ) from None
    port_text = _endpoints_value(config, "port", endpoints_path, env)
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise TrackerStoreConfigError(
            f"{endpoints_path}: tracker_store port {port_text!r} is not a number"
        ) from None
    if host:  # Rasa also accepts "host:port" in `url`
        parsed = urlsplit(f"scheme://{host}")
        host, port = parsed.hostname or host, parsed.port or port
    query = {
        str(key): _endpoints_value(config["query"], str(key), endpoints_path, env) or ""
        for key in (config.get("query") or {})
    }
    dialect = str(config.get("dialect"))
    schema = env.get("POSTGRESQL_SCHEMA")
    if dialect == "postgresql" and schema and "options" not in query:
        # Rasa puts its tables in this schema when the variable is set.
        query["options"] = f"-csearch_path={schema}"
    # URL.create keeps the password a separate, properly escaped component.
    return URL.create(
        dialect,
        username=_endpoints_value(config, "username", endpoints_path, env),
        password=_endpoints_value(config, "password", endpoints_path, env),
        host=host,
        port=port,
        # Rasa's events live in `db`; `login_db` is only where it connects to create it.
        database=_endpoints_value(config, "db", endpoints_path, env),
        query=query,
    )


def _read_endpoints(env: Mapping[str, str]) -> tuple[dict[str, Any], Path]:
    """The endpoints file the Rasa servers use (``SECURE_BASE_ENDPOINTS``), parsed.

    Raises:
        TrackerStoreConfigError: When it cannot be read or is not YAML.

    """
    endpoints_path = Path(load_settings(env).endpoints_file)
    if not endpoints_path.is_absolute():
        endpoints_path = PROJECT_ROOT / endpoints_path
    try:
        content = yaml.safe_load(endpoints_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrackerStoreConfigError(
            f"cannot read the endpoints file {endpoints_path} (SECURE_BASE_ENDPOINTS): "
            f"{exc.strerror or exc}"
        ) from None
    except yaml.YAMLError:
        raise TrackerStoreConfigError(
            f"the endpoints file {endpoints_path} is not valid YAML"
        ) from None
    return (content if isinstance(content, dict) else {}), endpoints_path


# Lock stores shared between processes (and so usable by a CLI): Rasa's and ours.
SHARED_LOCK_STORE_TYPES = ("redis", "secure_base.lock_store.redislockstore")


def redis_lock_options(env: Optional[Mapping[str, str]] = None) -> Optional[dict[str, Any]]:
    """The options of the Redis lock store the Rasa servers use, if they use one.

    Read from ``lock_store`` in the endpoints file, with ``${NAME}`` references replaced,
    as keyword arguments for Rasa's ``RedisLockStore``.

    Returns:
        The options, or ``None`` when the lock store is not shared between processes
        (``in_memory``: it lives inside the one Rasa server).

    Raises:
        TrackerStoreConfigError: When the endpoints file or a variable it needs is missing.

    """
    env = {**OPTIONAL_ENDPOINT_VARIABLES, **(os.environ if env is None else env)}
    content, endpoints_path = _read_endpoints(env)
    config = content.get("lock_store") or {}
    if str(config.get("type", "")).lower() not in SHARED_LOCK_STORE_TYPES:
        return None
    options: dict[str, Any] = {}
    for field in config:
        if field == "type":
            continue
        value = _endpoints_value(config, field, endpoints_path, env, "lock_store")
        if value is not None:
            options["host" if field == "url" else field] = value
    return options


def resolve_tracker_url(
    explicit_url: Optional[str] = None, env: Optional[Mapping[str, str]] = None
) -> URL:
    """The SQLAlchemy URL of Rasa's tracker store, as an on-call engineer would expect it.

    In order: ``explicit_url`` (``--tracker-url``); else, when the endpoints file
    (``SECURE_BASE_ENDPOINTS``, relative to the project root like the run script uses it)
    has an SQL tracker store on a server such as PostgreSQL, the URL built from the same
    fields and variables Rasa uses (``SECURE_BASE_PG_*`` in ``endpoints.scale.yml``, and
    ``POSTGRESQL_SCHEMA``); else the SQLite file ``SECURE_BASE_TRACKER_DB``.

    Args:
        explicit_url: URL given on the command line, if any.
        env: Environment to read instead of ``os.environ`` (used by tests).

    Returns:
        The URL; nothing is connected to.

    Raises:
        TrackerStoreConfigError: When the URL is invalid, the endpoints file cannot be
            read, its tracker store is not an SQL one, or a variable it needs is unset.

    """
    env = {**OPTIONAL_ENDPOINT_VARIABLES, **(os.environ if env is None else env)}
    if explicit_url:
        try:
            return make_url(explicit_url)
        except ArgumentError:
            # Not echoed: it may hold a password.
            raise TrackerStoreConfigError(
                "--tracker-url is not a valid SQLAlchemy URL (for example "
                "postgresql://user@host:5432/db or sqlite:////path/to/tracker.db)"
            ) from None
    settings = load_settings(env)
    sqlite_default = URL.create("sqlite", database=str(settings.tracker_db))
    content, endpoints_path = _read_endpoints(env)
    config = content.get("tracker_store")
    if not config:
        return sqlite_default
    store_type = config.get("type")
    if str(store_type).lower() not in ("sql", ENCRYPTED_STORE_TYPE.lower()):
        # Falling back to the SQLite file would report success and leave the chat in place.
        raise TrackerStoreConfigError(
            f"{endpoints_path}: tracker_store type {store_type!r} is not supported; "
            "this command deletes from SQL tracker stores only"
        )
    if str(config.get("dialect") or "sqlite") == "sqlite":
        # endpoints.yml keeps SQLite conversations in ${SECURE_BASE_TRACKER_DB}, which the
        # run script sets to this same default.
        return sqlite_default
    return _url_from_endpoints(config, endpoints_path, env)


def _tracker_engine(url: URL) -> Engine:
    """A short-lived engine for the tracker store.

    Not ``secure_base.db.make_engine``: that switches SQLite to WAL, a lasting change to
    Rasa's file; ``secure_delete`` (per connection) is switched on. ``hide_parameters``
    keeps the conversation ID out of error messages.
    """
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, future=True, hide_parameters=True, connect_args={"timeout": 15}
        )
        event.listen(engine, "connect", sqlite_secure_delete)
        return engine
    return create_engine(url, future=True, hide_parameters=True, poolclass=NullPool)


@contextmanager
def _events_transaction(tracker_url: Union[URL, str]) -> Iterator[Connection]:
    """A transaction on the tracker store, checked to hold Rasa's ``events`` table.

    Raises:
        FileNotFoundError: When a SQLite tracker store file does not exist.
        MissingEventsTableError: When the database has no ``events`` table.
        sqlalchemy.exc.SQLAlchemyError: When the database cannot be reached.

    """
    url = make_url(tracker_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        # Connecting would create an empty file and report 0 events.
        if not Path(url.database).exists():
            raise FileNotFoundError(f"tracker store not found: {url.database}")
    engine = _tracker_engine(url)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(EVENTS_TABLE.name):
                raise MissingEventsTableError(
                    f"{describe_tracker(url)} has no {EVENTS_TABLE.name} table, so it is "
                    "not Rasa's tracker store (or Rasa has never written to it)"
                )
            yield connection
    finally:
        engine.dispose()


def count_conversation_events(tracker_url: Union[URL, str], conversation_id: str) -> int:
    """Find a conversation in Rasa's SQL tracker store: how many events it has there.

    Args:
        tracker_url: SQLAlchemy URL of the tracker store (SQLite or PostgreSQL).
        conversation_id: The conversation's Rasa sender ID.

    Returns:
        How many events of the conversation the store holds (0: none, or deleted).

    Raises:
        FileNotFoundError: When a SQLite tracker store file does not exist.
        MissingEventsTableError: When the database has no ``events`` table.
        sqlalchemy.exc.SQLAlchemyError: When the database cannot be reached or read.

    """
    statement = (
        select(func.count())
        .select_from(EVENTS_TABLE)
        .where(EVENTS_TABLE.c.sender_id == conversation_id)
    )
    with _events_transaction(tracker_url) as connection:
        return int(connection.execute(statement).scalar_one())


def delete_conversation(tracker_url: Union[URL, str], conversation_id: str) -> int:
    """Delete a conversation's events from Rasa's SQL tracker store, in one transaction.

    Args:
        tracker_url: SQLAlchemy URL of the tracker store (SQLite or PostgreSQL).
        conversation_id: The conversation's Rasa sender ID.

    Returns:
        How many events were deleted.

    Raises:
        FileNotFoundError: When a SQLite tracker store file does not exist.
        MissingEventsTableError: When the database has no ``events`` table.
        sqlalchemy.exc.SQLAlchemyError: When the database cannot be reached or written.

    """
    statement = delete(EVENTS_TABLE).where(EVENTS_TABLE.c.sender_id == conversation_id)
    with _events_transaction(tracker_url) as connection:
        return connection.execute(statement).rowcount


def encode_event_data(data: Mapping[str, Any], settings: Optional[Settings] = None) -> str:
    """The ``data`` column of one event: its JSON, encrypted with the current key.

    Args:
        data: The event as Rasa serialises it (``Event.as_dict()``).
        settings: Settings that select the key; the process settings when omitted.

    Returns:
        A Fernet token (ASCII); the text and slot values in it are unreadable without a key.

    """
    return encrypt_text(json.dumps(data), settings) or ""


def decode_event_data(raw: str, settings: Optional[Settings] = None) -> dict[str, Any]:
    """The event stored in one ``data`` column, decrypted.

    Rows written by Rasa's plain ``SQLTrackerStore`` (JSON objects) are read as they
    are, so a store switched to encryption keeps its old conversations; key rotation
    (:func:`rotate_conversation_events`) encrypts them.

    Raises:
        secure_base.crypto.DecryptionError: When no configured key fits.

    """
    if raw.lstrip().startswith("{"):
        return json.loads(raw)
    return json.loads(decrypt_text(raw, settings) or "{}")


def _reencrypt(raw: Optional[str], settings: Optional[Settings]) -> Optional[str]:
    if raw is None:
        return None
    if raw.lstrip().startswith("{"):  # plain JSON from Rasa's own store: encrypt it
        return encrypt_text(raw, settings)
    return rotate_text(raw, settings)


def rotate_conversation_events(
    tracker_url: Union[URL, str], settings: Optional[Settings] = None
) -> int:
    """Re-encrypt every event in the tracker store with the current (first) key.

    Plain JSON rows (written before encryption was switched on) are encrypted. Runs in
    batches by row ID, each its own transaction, so a long rotation does not hold Rasa's
    writers up; a row written meanwhile is already under the current key.

    Args:
        tracker_url: SQLAlchemy URL of the tracker store.
        settings: Settings that select the keys; the process settings when omitted.

    Returns:
        How many rows were re-encrypted.

    Raises:
        secure_base.crypto.DecryptionError: When a row fits no configured key (nothing
            of that batch is changed).

    """
    done = 0
    last_id = -1
    while True:
        with _events_transaction(tracker_url) as connection:
            rows = connection.execute(
                select(EVENTS_TABLE.c.id, EVENTS_TABLE.c.data)
                .where(EVENTS_TABLE.c.id > last_id)
                .order_by(EVENTS_TABLE.c.id)
                .limit(_ROTATE_BATCH)
            ).all()
            for row_id, raw in rows:
                connection.execute(
                    update(EVENTS_TABLE)
                    .where(EVENTS_TABLE.c.id == row_id)
                    .values(data=_reencrypt(raw, settings))
                )
        if not rows:
            return done
        done += len(rows)
        last_id = rows[-1][0]


def purge_conversations(tracker_url: Union[URL, str], cutoff: float) -> tuple[int, int]:
    """Delete every conversation whose latest event is older than ``cutoff``.

    Whole conversations go, never single old events: a conversation still in use keeps
    its history until it falls silent for the retention period.

    Args:
        tracker_url: SQLAlchemy URL of the tracker store.
        cutoff: Unix time; conversations with no event at or after it are deleted.

    Returns:
        How many conversations and how many events were deleted.

    """
    latest = (
        select(EVENTS_TABLE.c.sender_id)
        .group_by(EVENTS_TABLE.c.sender_id)
        .having(func.max(EVENTS_TABLE.c.timestamp) < cutoff)
    )
    with _events_transaction(tracker_url) as connection:
        senders = [row[0] for row in connection.execute(latest)]
        events = 0
        for start in range(0, len(senders), _ROTATE_BATCH):
            chunk = senders[start : start + _ROTATE_BATCH]
            events += connection.execute(
                delete(EVENTS_TABLE).where(EVENTS_TABLE.c.sender_id.in_(chunk))
            ).rowcount
    return len(senders), events
