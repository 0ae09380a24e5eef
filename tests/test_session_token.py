"""Chat session tokens (secure_base.session_token) and the production start-up checks."""

from __future__ import annotations

import time

import pytest

from secure_base import session_token as st
from secure_base.preflight import PreflightError, check_access
from secure_base.settings import load_settings

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_token_stands_for_a_hidden_random_conversation() -> None:
    first = st.issue(SECRET, 60)
    second = st.issue(SECRET, 60)
    a = st.verify(SECRET, first.token)
    b = st.verify(SECRET, second.token)
    assert a.conversation_id != b.conversation_id
    assert a.conversation_id.startswith(st.WEB_CONVERSATION_PREFIX)
    # The id is derived with the secret: it appears nowhere in the token.
    assert a.conversation_id.removeprefix("web-") not in first.token
    assert a.expires_at == first.expires_at


def test_renewal_keeps_the_conversation_and_moves_the_expiry() -> None:
    now = time.time()
    issued = st.issue(SECRET, 60, now=now)
    renewed = st.renew(SECRET, issued.token, 600, now=now + 30)
    assert renewed.expires_at > issued.expires_at
    assert (st.verify(SECRET, renewed.token).conversation_id
            == st.verify(SECRET, issued.token).conversation_id)


@pytest.mark.parametrize("token", [None, "", 5, {"token": "x"}, "v1.abc.1.def", "x" * 500])
def test_malformed_tokens_are_refused(token: object) -> None:
    with pytest.raises(st.InvalidSessionToken) as caught:
        st.verify(SECRET, token)
    assert caught.value.reason == "malformed"


def test_forged_and_expired_tokens_are_refused() -> None:
    issued = st.issue(SECRET, 60)
    version, nonce, expires, signature = issued.token.split(".")
    # Another secret, a later expiry with the old signature, another nonce.
    for forged in (
        st.issue("another-secret-entirely-0123456789abcdef", 60).token,
        f"{version}.{nonce}.{int(expires) + 3600}.{signature}",
        f"{version}.{'A' * 32}.{expires}.{signature}",
    ):
        with pytest.raises(st.InvalidSessionToken) as caught:
            st.verify(SECRET, forged)
        assert caught.value.reason == "forged"
    old = st.issue(SECRET, 60, now=time.time() - 120)
    with pytest.raises(st.InvalidSessionToken) as caught:
        st.verify(SECRET, old.token)
    assert caught.value.reason == "expired"
    with pytest.raises(st.InvalidSessionToken):
        st.renew(SECRET, old.token, 60)


LONG = "x" * 40


def _production(**extra: str):  # type: ignore[no-untyped-def]
    env = {
        "SECURE_BASE_ENV": "production",
        "SECURE_BASE_API_TOKEN": LONG,
        "SECURE_BASE_ACTION_SECRET": LONG,
        "SECURE_BASE_SESSION_SECRET": LONG,
        "SECURE_BASE_SITE_ORIGIN": "https://www.example.org",
        **extra,
    }
    return load_settings({k: v for k, v in env.items() if v})


def test_production_needs_tokens_secrets_and_a_real_origin() -> None:
    check_access(_production())
    for name in ("SECURE_BASE_API_TOKEN", "SECURE_BASE_ACTION_SECRET",
                 "SECURE_BASE_SESSION_SECRET"):
        with pytest.raises(PreflightError, match=name):
            check_access(_production(**{name: ""}))
        with pytest.raises(PreflightError, match="shorter"):
            check_access(_production(**{name: "short"}))
    for origin in ("*", "https://www.example.org/path", "www.example.org"):
        with pytest.raises(PreflightError, match="SECURE_BASE_SITE_ORIGIN"):
            check_access(_production(SECURE_BASE_SITE_ORIGIN=origin))


def test_development_defaults_allow_only_the_local_website() -> None:
    settings = load_settings({"SECURE_BASE_WEB_PORT": "8123"})
    assert settings.site_origins == ("http://localhost:8123", "http://127.0.0.1:8123")
    assert settings.api_token is None  # the HTTP API is off
    assert settings.action_bind == "127.0.0.1"
    check_access(settings)
