"""Server secrets: the action-server secret and the chat session secret.

Each comes from its environment variable (``SECURE_BASE_ACTION_SECRET``,
``SECURE_BASE_SESSION_SECRET``). In development, when one is not set, a random secret is
generated once in ``<data_dir>/keys/`` (private to the user) and reused by every process
that shares the data directory, so ``make run`` works with nothing configured and still
has no guessable secret. Production refuses to start without them
(:mod:`secure_base.preflight`).

Secrets are compared with :func:`hmac.compare_digest` only (constant time).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
from pathlib import Path

from secure_base.settings import Settings, ensure_data_dir, load_settings

logger = logging.getLogger(__name__)

ACTION_SECRET_ENV = "SECURE_BASE_ACTION_SECRET"
SESSION_SECRET_ENV = "SECURE_BASE_SESSION_SECRET"
#: The header Rasa sends to the action server (endpoints.yml ``action_endpoint.headers``).
ACTION_SECRET_HEADER = "X-Secure-Base-Action-Secret"
#: Shortest secret or token accepted in production (characters).
MIN_SECRET_CHARS = 32

_FILES = {ACTION_SECRET_ENV: "action.secret", SESSION_SECRET_ENV: "session.secret"}


class MissingSecretError(RuntimeError):
    """A secret is required (production) but not set; the message says which."""


def secret_file(settings: Settings, env_name: str) -> Path:
    """Where the development secret for ``env_name`` is kept."""
    return settings.data_dir / "keys" / _FILES[env_name]


def _read_or_create(path: Path, settings: Settings) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    ensure_data_dir(settings)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # Private temporary file hard-linked into place: two processes starting at once agree.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("Generated a development secret at %s", path)
    return path.read_text(encoding="ascii").strip()


def _resolve(settings: Settings, env_name: str, value: str | None) -> str:
    if value:
        return value
    if settings.is_production:
        raise MissingSecretError(
            f"SECURE_BASE_ENV=production but {env_name} is not set. Set it to a random "
            f"value of at least {MIN_SECRET_CHARS} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return _read_or_create(secret_file(settings, env_name), settings)


def action_secret(settings: Settings | None = None) -> str:
    """The secret Rasa sends to the action server and the action server checks."""
    settings = settings or load_settings()
    return _resolve(settings, ACTION_SECRET_ENV, settings.action_secret)


def session_secret(settings: Settings | None = None) -> str:
    """The secret that signs chat session tokens (website) and verifies them (Rasa)."""
    settings = settings or load_settings()
    return _resolve(settings, SESSION_SECRET_ENV, settings.session_secret)


def same_secret(given: str | bytes | None, expected: str) -> bool:
    """Whether ``given`` equals ``expected``, compared in constant time."""
    if given is None:
        return False
    if isinstance(given, str):
        given = given.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, expected.encode("utf-8"))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
