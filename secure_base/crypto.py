"""Field encryption for sensitive text stored in the application database.

Crisis messages and intake answers are encrypted at rest with Fernet (AES-128-CBC with
HMAC-SHA256). Keys come from ``SECURE_BASE_INTAKE_KEY``: one or more Fernet keys,
comma-separated, the first being the current one. Older keys are kept so that rows
written before a rotation can still be read (:class:`cryptography.fernet.MultiFernet`).

In development, when no key is configured, a key is generated once into
``<data_dir>/keys/field.key`` (private to the user) and reused afterwards, so the
assistant works out of the box. In production a missing key is an error: the process
refuses to start rather than write health data under a key nobody has backed up.

Use :class:`EncryptedText` as a column type; it encrypts on write and decrypts on read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import threading
from pathlib import Path
from typing import Any, Optional

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import Text, TypeDecorator

from secure_base.settings import Settings, ensure_data_dir, load_settings

logger = logging.getLogger(__name__)

KEY_ENV_VAR = "SECURE_BASE_INTAKE_KEY"
KEY_DIR_NAME = "keys"
KEY_FILE_NAME = "field.key"


class CryptoConfigError(RuntimeError):
    """The encryption key configuration is unusable; the message says how to fix it."""


class MissingKeyError(CryptoConfigError):
    """Production mode without an encryption key: the assistant must not start."""


class InvalidKeyError(CryptoConfigError):
    """A configured key is not a valid Fernet key (the key itself is never shown)."""


class DecryptionError(ValueError):
    """A stored value could not be decrypted with any configured key."""


_lock = threading.Lock()
# One cipher per (keys, data dir, environment): cheap to look up on every call, and a
# test (or a process) that changes its settings gets the matching cipher.
_ciphers: dict[tuple[Optional[str], str, str], MultiFernet] = {}
_digest_keys: dict[tuple[Optional[str], str, str], tuple[str, ...]] = {}


def key_file_path(settings: Settings) -> Path:
    """Where the generated development key lives."""
    return settings.data_dir / KEY_DIR_NAME / KEY_FILE_NAME


def _parse_keys(raw: str, source: str) -> list[Fernet]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise InvalidKeyError(f"{source} is set but contains no key.")
    fernets = []
    for position, part in enumerate(parts, start=1):
        try:
            fernets.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            # Name the position, never the key material.
            raise InvalidKeyError(
                f"Key #{position} in {source} is not a valid Fernet key (expected 32 "
                "url-safe base64-encoded bytes; generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)."
            ) from exc
    return fernets


def _read_or_create_dev_key(settings: Settings) -> str:
    """Return the development key, generating it (atomically) on first use."""
    path = key_file_path(settings)
    if path.exists():
        return path.read_text(encoding="ascii").strip()

    ensure_data_dir(settings)
    key_dir = path.parent
    key_dir.mkdir(mode=0o700, exist_ok=True)
    # mkdir's mode is filtered by the umask; the directory must be private regardless.
    os.chmod(key_dir, 0o700)

    # Write to a private temporary file, then hard-link it into place: link() fails if
    # another process won the race, and nobody ever reads a half-written key.
    tmp = key_dir / f".{KEY_FILE_NAME}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(Fernet.generate_key().decode("ascii") + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    os.chmod(path, 0o600)
    logger.warning(
        "%s is not set: generated a development encryption key at %s. Data encrypted "
        "with it is unreadable without this file; set %s (and back it up) before "
        "storing real data.",
        KEY_ENV_VAR,
        path,
        KEY_ENV_VAR,
    )
    return path.read_text(encoding="ascii").strip()


def _configured_keys(settings: Settings) -> tuple[str, ...]:
    """The configured Fernet keys as text, current first (validated).

    Raises:
        MissingKeyError: In production when ``SECURE_BASE_INTAKE_KEY`` is not set.
        InvalidKeyError: When a configured key is malformed.

    """
    if settings.intake_key:
        raw, source = settings.intake_key, KEY_ENV_VAR
    elif settings.is_production:
        raise MissingKeyError(
            f"{KEY_ENV_VAR} is not set. In production Secure Base refuses to start "
            "without an encryption key for crisis and intake data. Generate one with "
            "`python -c 'from cryptography.fernet import Fernet; "
            f"print(Fernet.generate_key().decode())'`, store it safely, and set "
            f"{KEY_ENV_VAR} (comma-separated, newest first, to rotate keys)."
        )
    else:
        raw, source = _read_or_create_dev_key(settings), str(key_file_path(settings))
    _parse_keys(raw, source)
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def get_cipher(settings: Optional[Settings] = None) -> MultiFernet:
    """Return the process cipher for the configured keys.

    Args:
        settings: Settings to use; :func:`secure_base.settings.load_settings` when omitted.

    Returns:
        A MultiFernet that encrypts with the first key and decrypts with any of them.

    Raises:
        MissingKeyError: In production when ``SECURE_BASE_INTAKE_KEY`` is not set.
        InvalidKeyError: When a configured key is malformed.

    """
    settings = settings or load_settings()
    cache_key = (settings.intake_key, str(settings.data_dir), settings.environment)
    cipher = _ciphers.get(cache_key)
    if cipher is not None:
        return cipher
    with _lock:
        cipher = _ciphers.get(cache_key)
        if cipher is not None:
            return cipher
        keys = _configured_keys(settings)
        cipher = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        _ciphers[cache_key] = cipher
        _digest_keys[cache_key] = keys
        return cipher


def keyed_digests(value: str, purpose: str, settings: Optional[Settings] = None) -> list[str]:
    """HMAC-SHA256 digests of ``value`` (hex), one per configured key, current first.

    For a value that must be recognised again but never stored (an SMS opt-out's phone
    number): equal values give equal digests, and nobody without the key can test a
    guess. Each key is first narrowed to ``purpose``, so digests for different purposes
    never match. Store the first digest; look up with all of them, so a value stored
    before a key rotation is still found while the old key is configured.

    Raises:
        MissingKeyError: In production when ``SECURE_BASE_INTAKE_KEY`` is not set.
        InvalidKeyError: When a configured key is malformed.

    """
    settings = settings or load_settings()
    get_cipher(settings)  # validates and caches the keys
    cache_key = (settings.intake_key, str(settings.data_dir), settings.environment)
    keys = _digest_keys.get(cache_key) or _configured_keys(settings)
    digests = []
    for key in keys:
        narrowed = hmac.new(base64.urlsafe_b64decode(key), b"secure-base/digest/"
                            + purpose.encode("utf-8"), hashlib.sha256).digest()
        digests.append(hmac.new(narrowed, value.encode("utf-8"), hashlib.sha256).hexdigest())
    return digests


def clear_cipher_cache() -> None:
    """Forgets every cached cipher (after a key change in the same process, and tests)."""
    with _lock:
        _ciphers.clear()
        _digest_keys.clear()


def encrypt_text(value: Optional[str], settings: Optional[Settings] = None) -> Optional[str]:
    """Encrypts ``value`` with the current key; ``None`` stays ``None``.

    Fernet tokens are randomised, so equal plain texts give different tokens: encrypted
    columns cannot be searched or compared in SQL.
    """
    if value is None:
        return None
    return get_cipher(settings).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: Optional[str], settings: Optional[Settings] = None) -> Optional[str]:
    """Decrypts a token written by :func:`encrypt_text`; ``None`` stays ``None``.

    Raises:
        DecryptionError: When no configured key can decrypt the token (wrong or
            missing key, or corrupt data).

    """
    if token is None:
        return None
    try:
        return get_cipher(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError(
            "Could not decrypt a stored field: it was written with a key that is not in "
            f"{KEY_ENV_VAR}, or the data is corrupt."
        ) from exc


def rotate_text(token: Optional[str], settings: Optional[Settings] = None) -> Optional[str]:
    """Re-encrypts a token under the current (first) key, for key rotation jobs."""
    if token is None:
        return None
    try:
        return get_cipher(settings).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("Could not rotate a stored field: no configured key fits.") from exc


class EncryptedText(TypeDecorator):
    """A text column stored encrypted with the process cipher.

    The database only ever sees Fernet tokens. Values cannot be filtered or sorted on in
    SQL; query by other columns and read the decrypted value in Python.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[str]:
        """Encrypts on the way into the database."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedText stores str values, not {type(value).__name__}")
        return encrypt_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> Optional[str]:
        """Decrypts on the way out of the database."""
        return decrypt_text(value)

    @property
    def python_type(self) -> type:
        """Values are plain ``str`` in Python."""
        return str
