"""Rasa's SQL tracker store (secure_base.tracker_store): which database holds the
conversations, and finding and deleting a conversation's events there (SQLite always,
PostgreSQL when SECURE_BASE_TEST_POSTGRES_URL is set). The staff CLI's use of it is
tested in tests/test_intake_cli.py."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from secure_base.settings import PROJECT_ROOT
from secure_base.tracker_store import (
    MissingEventsTableError,
    TrackerStoreConfigError,
    count_conversation_events,
    delete_conversation,
    describe_tracker,
    resolve_tracker_url,
)


def test_tracker_url_given_explicitly_wins(tmp_path) -> None:
    env = {
        "SECURE_BASE_ENDPOINTS": "endpoints.scale.yml",
        "SECURE_BASE_PG_HOST": "db.internal",
        "SECURE_BASE_PG_PORT": "5432",
        "SECURE_BASE_PG_DB": "rasa",
        "SECURE_BASE_PG_USER": "rasa",
        "SECURE_BASE_PG_PASSWORD": "pw",
    }
    url = resolve_tracker_url(f"sqlite:///{tmp_path / 'elsewhere.db'}", env)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "elsewhere.db")


def test_tracker_url_from_the_scale_endpoints_and_pg_variables() -> None:
    password = "p@ss/w:rd%?#&"  # characters that would break a concatenated URL
    env = {
        "SECURE_BASE_ENDPOINTS": "endpoints.scale.yml",
        "SECURE_BASE_PG_HOST": "db.internal",
        "SECURE_BASE_PG_PORT": "6432",
        "SECURE_BASE_PG_DB": "conversations",
        "SECURE_BASE_PG_USER": "rasa",
        "SECURE_BASE_PG_PASSWORD": password,
        "SECURE_BASE_PG_SSLMODE": "verify-full",
    }
    url = resolve_tracker_url(None, env)
    assert (url.drivername, url.host, url.port, url.database, url.username) == (
        "postgresql",
        "db.internal",
        6432,
        "conversations",
        "rasa",
    )
    assert url.password == password
    assert make_url(url.render_as_string(hide_password=False)).password == password
    assert dict(url.query) == {"sslmode": "verify-full"}  # the same TLS mode as Rasa
    description = describe_tracker(url)
    assert description == "postgresql://rasa:***@db.internal:6432/conversations?sslmode=verify-full"
    assert password not in description

    # Rasa keeps its tables in POSTGRESQL_SCHEMA when it is set, so the CLI looks there.
    url = resolve_tracker_url(None, {**env, "POSTGRESQL_SCHEMA": "rasa_tracker"})
    assert dict(url.query) == {
        "sslmode": "verify-full",
        "options": "-csearch_path=rasa_tracker",
    }

    # An empty password is left to libpq (PGPASSWORD, ~/.pgpass).
    url = resolve_tracker_url(None, {**env, "SECURE_BASE_PG_PASSWORD": ""})
    assert url.password is None


def test_tracker_url_defaults_to_the_sqlite_tracker_file(tmp_path) -> None:
    tracker_db = str(tmp_path / "tracker.db")
    only_memory = tmp_path / "endpoints.memoryless.yml"
    only_memory.write_text("action_endpoint:\n  url: ${SECURE_BASE_ACTION_URL}\n")
    for endpoints in (None, "endpoints.yml", str(PROJECT_ROOT / "endpoints.yml"), only_memory):
        env = {"SECURE_BASE_TRACKER_DB": tracker_db}
        if endpoints is not None:
            env["SECURE_BASE_ENDPOINTS"] = str(endpoints)
        url = resolve_tracker_url(None, env)
        assert url.get_backend_name() == "sqlite", endpoints
        assert url.database == tracker_db, endpoints
    # Without SECURE_BASE_TRACKER_DB: the data directory's tracker.db.
    url = resolve_tracker_url(None, {"SECURE_BASE_DATA_DIR": str(tmp_path / "var")})
    assert url.database == str(tmp_path / "var" / "tracker.db")


def test_tracker_url_errors_say_what_is_wrong(tmp_path) -> None:
    env = {"SECURE_BASE_ENDPOINTS": "endpoints.scale.yml", "SECURE_BASE_PG_HOST": "db"}
    with pytest.raises(TrackerStoreConfigError, match=r"\$\{SECURE_BASE_PG_PORT\}, which is"):
        resolve_tracker_url(None, env)

    redis = tmp_path / "endpoints.redis.yml"
    redis.write_text("tracker_store:\n  type: redis\n  url: localhost\n")
    with pytest.raises(TrackerStoreConfigError, match="type 'redis' is not supported"):
        resolve_tracker_url(None, {"SECURE_BASE_ENDPOINTS": str(redis)})

    missing = tmp_path / "nowhere.yml"
    with pytest.raises(TrackerStoreConfigError, match="cannot read the endpoints file"):
        resolve_tracker_url(None, {"SECURE_BASE_ENDPOINTS": str(missing)})

    with pytest.raises(TrackerStoreConfigError) as raised:
        resolve_tracker_url("not a url with s3cret", {})
    assert "s3cret" not in str(raised.value)


def test_find_and_delete_a_conversation(rasa_events) -> None:
    doomed = rasa_events.new_conversation()
    kept = rasa_events.new_conversation(events=2)

    assert count_conversation_events(rasa_events.url, doomed) == 3
    assert count_conversation_events(rasa_events.url, kept) == 2
    assert count_conversation_events(rasa_events.url, "no-such-conversation") == 0

    assert delete_conversation(rasa_events.url, doomed) == 3

    assert count_conversation_events(rasa_events.url, doomed) == 0
    assert rasa_events.count(doomed) == 0
    assert rasa_events.count(kept) == 2
    assert delete_conversation(rasa_events.url, doomed) == 0


def test_a_store_without_events_is_refused_and_never_created(tmp_path, engine) -> None:
    missing = tmp_path / "never-created.db"
    for operation in (count_conversation_events, delete_conversation):
        with pytest.raises(FileNotFoundError, match="tracker store not found"):
            operation(f"sqlite:///{missing}", "conv-a")
    assert not missing.exists()

    # The application database (any backend) has no `events` table.
    for operation in (count_conversation_events, delete_conversation):
        with pytest.raises(MissingEventsTableError, match="has no events table"):
            operation(engine.url, "conv-a")
