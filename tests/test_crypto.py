"""Field encryption: keys, rotation, the development key file and encryption at rest."""

from __future__ import annotations

import logging
import stat
import threading
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from secure_base import crypto
from secure_base.crisis.store import list_crisis_events, record_crisis_event
from secure_base.crypto import (
    DecryptionError,
    EncryptedText,
    InvalidKeyError,
    MissingKeyError,
    decrypt_text,
    encrypt_text,
    get_cipher,
    key_file_path,
    rotate_text,
)
from secure_base.db import session_scope
from secure_base.settings import load_settings

PLAIN = "I can't keep myself safe tonight — ça va mal 💔"


@pytest.fixture(autouse=True)
def _fresh_ciphers():
    crypto.clear_cipher_cache()
    yield
    crypto.clear_cipher_cache()


def settings_for(tmp_path, **env: str):
    return load_settings({"SECURE_BASE_DATA_DIR": str(tmp_path / "var"), **env})


def test_round_trip_with_configured_key(tmp_path) -> None:
    settings = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=Fernet.generate_key().decode())

    token = encrypt_text(PLAIN, settings)

    assert token is not None and PLAIN not in token
    assert encrypt_text(PLAIN, settings) != token  # randomised: equal texts, different tokens
    assert decrypt_text(token, settings) == PLAIN
    assert encrypt_text(None, settings) is None and decrypt_text(None, settings) is None
    assert not (tmp_path / "var").exists()  # a configured key never writes a key file


def test_rotation_reads_old_tokens_and_writes_with_the_new_key(tmp_path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=old)
    after = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=f" {new} , {old} ")
    new_only = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=new)
    old_token = encrypt_text(PLAIN, before)

    assert decrypt_text(old_token, after) == PLAIN
    assert decrypt_text(encrypt_text(PLAIN, after), new_only) == PLAIN
    with pytest.raises(DecryptionError):
        decrypt_text(old_token, new_only)
    assert decrypt_text(rotate_text(old_token, after), new_only) == PLAIN


def test_wrong_key_is_a_clear_error(tmp_path) -> None:
    token = encrypt_text(
        PLAIN, settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=Fernet.generate_key().decode())
    )
    other = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=Fernet.generate_key().decode())

    with pytest.raises(DecryptionError, match="SECURE_BASE_INTAKE_KEY"):
        decrypt_text(token, other)
    with pytest.raises(DecryptionError):
        decrypt_text("not a token at all", other)


def test_invalid_key_is_rejected_without_showing_it(tmp_path) -> None:
    good = Fernet.generate_key().decode()
    settings = settings_for(tmp_path, SECURE_BASE_INTAKE_KEY=f"{good},not-a-valid-key-xyz")

    with pytest.raises(InvalidKeyError) as info:
        get_cipher(settings)

    assert "Key #2" in str(info.value)
    assert "not-a-valid-key-xyz" not in str(info.value) and good not in str(info.value)


def test_development_generates_a_private_key_once_and_reuses_it(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="secure_base.crypto")
    settings = settings_for(tmp_path)
    path = key_file_path(settings)

    token = encrypt_text(PLAIN, settings)

    assert path == tmp_path / "var" / "keys" / "field.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = path.read_text()
    Fernet(key.strip().encode())  # a valid key
    assert "generated a development encryption key" in caplog.text
    assert key.strip() not in caplog.text

    # A new process (empty cache) reuses the file: old data stays readable, no new warning.
    crypto.clear_cipher_cache()
    caplog.clear()
    assert decrypt_text(token, settings) == PLAIN
    assert path.read_text() == key
    assert "generated" not in caplog.text
    assert [p.name for p in path.parent.iterdir()] == ["field.key"]  # no temp files left


def test_concurrent_first_use_agrees_on_one_key(tmp_path) -> None:
    settings = settings_for(tmp_path)
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        keys.append(crypto._read_or_create_dev_key(settings))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(keys) == 8 and len(set(keys)) == 1
    assert key_file_path(settings).read_text().strip() == keys[0]


def test_production_without_key_refuses(tmp_path) -> None:
    settings = settings_for(tmp_path, SECURE_BASE_ENV="production")

    with pytest.raises(MissingKeyError, match="refuses to start"):
        get_cipher(settings)
    with pytest.raises(MissingKeyError):
        encrypt_text(PLAIN, settings)
    assert not key_file_path(settings).exists()


def test_production_ignores_a_development_key_file(tmp_path) -> None:
    encrypt_text(PLAIN, settings_for(tmp_path))  # leaves a development key behind
    assert key_file_path(settings_for(tmp_path)).exists()

    with pytest.raises(MissingKeyError):
        get_cipher(settings_for(tmp_path, SECURE_BASE_ENV="production"))

    key = Fernet.generate_key().decode()
    prod = settings_for(tmp_path, SECURE_BASE_ENV="production", SECURE_BASE_INTAKE_KEY=key)
    assert decrypt_text(encrypt_text(PLAIN, prod), prod) == PLAIN


def test_encrypted_text_type_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        EncryptedText().process_bind_param(42, None)
    assert EncryptedText().process_bind_param(None, None) is None
    assert EncryptedText().process_result_value(None, None) is None


def test_database_stores_only_ciphertext(engine, monkeypatch, tmp_path) -> None:
    # The column type uses the process cipher, i.e. the settings from the environment.
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())

    with session_scope(engine) as session:
        event_id = record_crisis_event(
            session,
            conversation_id="conv-1",
            trigger_message=PLAIN,
            channel="rest",
            occurred_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        ).id

    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT trigger_message FROM crisis_events WHERE id = :id"), {"id": event_id}
        ).scalar_one()
    assert raw and PLAIN not in raw and "safe tonight" not in raw
    assert decrypt_text(raw) == PLAIN

    with session_scope(engine) as session:
        (event,) = list_crisis_events(session)
        assert event.trigger_message == PLAIN
