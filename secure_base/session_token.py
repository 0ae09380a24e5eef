"""Chat session tokens: the website issues them, Rasa's socket.io channel checks them.

A token is ``v1.<nonce>.<expires>.<signature>``:

* ``nonce``: 24 random bytes (URL-safe base64), chosen by the server;
* ``expires``: Unix time after which the token is refused;
* ``signature``: HMAC-SHA256 over ``v1.<nonce>.<expires>`` with a key derived from the
  server secret (``SECURE_BASE_SESSION_SECRET``).

The conversation id is derived from the nonce with a second key (``web-`` and 32 hex
digits). It is never sent to the browser, and knowing a conversation id (from a log, an
e-mail or the database) does not give a token: the nonce cannot be worked back from it.
Renewing a token keeps its nonce (so its conversation) and moves the expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

VERSION = "v1"
#: Every conversation started through a session token has an id with this prefix; the
#: REST channel refuses it as a ``sender``, so REST can never reach a widget conversation.
WEB_CONVERSATION_PREFIX = "web-"
MAX_TOKEN_CHARS = 200
_TOKEN_RE = re.compile(r"v1\.([A-Za-z0-9_-]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


class InvalidSessionToken(ValueError):
    """The token is malformed, forged or expired; ``reason`` says which (no token text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"session token {reason}")
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    """A token for the browser and when it expires (Unix time)."""

    token: str
    expires_at: int


@dataclass(frozen=True)
class VerifiedSession:
    """What a valid token stands for: the (server-side) conversation id and its expiry."""

    conversation_id: str
    expires_at: int


def _key(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"secure-base/session-token/" + purpose,
                    hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(secret: str, nonce: str, expires_at: int) -> str:
    message = f"{VERSION}.{nonce}.{expires_at}".encode("ascii")
    return _b64(hmac.new(_key(secret, b"sign"), message, hashlib.sha256).digest())


def conversation_id(secret: str, nonce: str) -> str:
    """The conversation id a nonce stands for (never shown to the browser)."""
    digest = hmac.new(_key(secret, b"conversation"), nonce.encode("ascii"), hashlib.sha256)
    return WEB_CONVERSATION_PREFIX + digest.hexdigest()[:32]


def _make(secret: str, nonce: str, ttl: int, now: float | None) -> IssuedToken:
    expires_at = int(time.time() if now is None else now) + int(ttl)
    signature = _signature(secret, nonce, expires_at)
    return IssuedToken(f"{VERSION}.{nonce}.{expires_at}.{signature}", expires_at)


def issue(secret: str, ttl: int, *, now: float | None = None) -> IssuedToken:
    """A token for a new conversation, valid for ``ttl`` seconds."""
    return _make(secret, _b64(secrets.token_bytes(24)), ttl, now)


def _parse(secret: str, token: object, now: float | None) -> tuple[str, int]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise InvalidSessionToken("malformed")
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        raise InvalidSessionToken("malformed")
    nonce, expires_text, signature = match.groups()
    expires_at = int(expires_text)
    if not hmac.compare_digest(signature, _signature(secret, nonce, expires_at)):
        raise InvalidSessionToken("forged")
    if expires_at <= (time.time() if now is None else now):
        raise InvalidSessionToken("expired")
    return nonce, expires_at


def verify(secret: str, token: object, *, now: float | None = None) -> VerifiedSession:
    """Check a token and return its conversation.

    Raises:
        InvalidSessionToken: When the token is malformed, forged or expired.

    """
    nonce, expires_at = _parse(secret, token, now)
    return VerifiedSession(conversation_id(secret, nonce), expires_at)


def renew(secret: str, token: object, ttl: int, *, now: float | None = None) -> IssuedToken:
    """A fresh token for the same conversation; only a valid token can be renewed.

    Raises:
        InvalidSessionToken: When the token is malformed, forged or expired.

    """
    nonce, _ = _parse(secret, token, now)
    return _make(secret, nonce, ttl, now)
