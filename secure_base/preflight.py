"""Start-up checks: refuse to run with an invalid profile or unsafe settings.

Production (``SECURE_BASE_ENV=production``) needs an encryption key, a token for Rasa's
HTTP API, a CORS origin that is not a wildcard, the action-server and session secrets,
and a secret for a notification webhook; anywhere, an SMTP login needs STARTTLS (see
docs/security.md).

Run by scripts/run.sh (``python -m secure_base.preflight``) before any server starts.
Nothing else runs it: servers started some other way must run this command first.
"""

from __future__ import annotations

import re
import sys

from secure_base.access import MIN_SECRET_CHARS
from secure_base.profile import ProfileError, load_profile
from secure_base.settings import Settings, load_settings


class PreflightError(RuntimeError):
    """The assistant must not start; the message says why and how to fix it."""


def check(settings: Settings | None = None) -> None:
    """Raises PreflightError when the configuration is unsafe or invalid."""
    settings = settings or load_settings()
    try:
        load_profile(settings.profile_path)
    except ProfileError as exc:
        raise PreflightError(str(exc)) from exc
    if settings.is_production and not settings.intake_key:
        raise PreflightError(
            "SECURE_BASE_ENV=production but SECURE_BASE_INTAKE_KEY is not set: intake data "
            "cannot be encrypted. Generate a key with `make key` and set it in the environment."
        )
    check_access(settings)
    check_channels(settings)
    from secure_base.access import MissingSecretError, action_secret, session_secret

    try:
        # In development this creates the secrets once, before the servers start.
        action_secret(settings)
        session_secret(settings)
    except MissingSecretError as exc:
        raise PreflightError(str(exc)) from exc
    if settings.is_production and settings.notify_webhook_url.strip():
        if not settings.notify_webhook_secret:
            raise PreflightError(
                "SECURE_BASE_ENV=production and SECURE_BASE_NOTIFY_WEBHOOK is set, but "
                "SECURE_BASE_NOTIFY_WEBHOOK_SECRET is not: the receiver could not tell real "
                "alerts from forged ones. Set a long random secret (e.g. `openssl rand -hex "
                "32`) and check the signature in the receiver (docs/security.md)."
            )
    if settings.smtp_user and not settings.smtp_starttls:
        raise PreflightError(
            "SECURE_BASE_SMTP_USER is set with SECURE_BASE_SMTP_STARTTLS off: the password "
            "would cross the network in clear text. Turn STARTTLS on."
        )
    from secure_base.crypto import InvalidKeyError, MissingKeyError, get_cipher

    try:
        # Also rejects a malformed key, and in development creates the key file once.
        get_cipher(settings)
    except (MissingKeyError, InvalidKeyError) as exc:
        raise PreflightError(str(exc)) from exc


_ORIGIN_RE = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def check_access(settings: Settings) -> None:
    """Raises PreflightError when the servers would be open to people they must not be.

    Every environment: each CORS origin is ``scheme://host[:port]`` (or ``*`` outside
    production). Production: a long API token, the action and session secrets, and no
    wildcard origin.
    """
    for origin in settings.site_origins:
        if origin == "*" and not settings.is_production:
            continue
        if origin == "*":
            raise PreflightError(
                "SECURE_BASE_ENV=production but SECURE_BASE_SITE_ORIGIN is '*', which lets "
                "every web page read Rasa's answers. Set the site's own origin, such as "
                "https://www.example.org."
            )
        if not _ORIGIN_RE.fullmatch(origin):
            raise PreflightError(
                f"SECURE_BASE_SITE_ORIGIN: {origin!r} is not an origin such as "
                "https://www.example.org (scheme and host, optional port, no path)."
            )
    if not settings.is_production:
        return
    needed = {
        "SECURE_BASE_API_TOKEN": settings.api_token,
        "SECURE_BASE_ACTION_SECRET": settings.action_secret,
        "SECURE_BASE_SESSION_SECRET": settings.session_secret,
    }
    for name, value in needed.items():
        if not value or len(value) < MIN_SECRET_CHARS:
            raise PreflightError(
                f"SECURE_BASE_ENV=production but {name} is "
                + ("not set" if not value else f"shorter than {MIN_SECRET_CHARS} characters")
                + ". Set it to a random value: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'."
            )
    if settings.rest_token is not None and len(settings.rest_token) < MIN_SECRET_CHARS:
        raise PreflightError(
            f"SECURE_BASE_REST_TOKEN is shorter than {MIN_SECRET_CHARS} characters."
        )


#: What Telegram accepts as a webhook ``secret_token``.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_channels(settings: Settings) -> None:
    """Raises PreflightError for messaging channel settings that cannot work or are weak.

    Anywhere: a Telegram secret Telegram would refuse, a Twilio public URL that is not
    ``http(s)://...`` (every signature would fail). In production, a Telegram secret
    shorter than :data:`MIN_SECRET_CHARS`: it is all that keeps forged updates out.
    """
    secret = settings.telegram.secret
    if secret and not _TELEGRAM_SECRET.fullmatch(secret):
        raise PreflightError(
            "SECURE_BASE_TELEGRAM_SECRET may only hold A-Z, a-z, 0-9, _ and - (1 to 256 "
            "characters), as Telegram requires. Generate one with python -c 'import "
            "secrets; print(secrets.token_urlsafe(32))'."
        )
    if settings.is_production and secret and len(secret) < MIN_SECRET_CHARS:
        raise PreflightError(
            f"SECURE_BASE_TELEGRAM_SECRET is shorter than {MIN_SECRET_CHARS} characters."
        )
    public_url = settings.twilio.public_url
    if public_url and not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", public_url):
        raise PreflightError(
            f"SECURE_BASE_TWILIO_PUBLIC_URL: {public_url!r} is not a base URL such as "
            "https://chat.example.org (no query string)."
        )


def main() -> int:
    """Command-line entry point: prints the problem and exits 1, or exits 0."""
    settings = load_settings()
    try:
        check(settings)
    except PreflightError as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 1
    if settings.is_production and not settings.rest_token:
        print(
            "preflight: warning: SECURE_BASE_REST_TOKEN is not set, so the REST channel "
            "accepts anyone who reaches the Rasa port (docs/security.md).",
            file=sys.stderr,
        )
    if settings.is_production and settings.twilio.enabled and not settings.twilio.public_url:
        print(
            "preflight: warning: SECURE_BASE_TWILIO_PUBLIC_URL is not set; behind a proxy "
            "every Twilio request will be refused (docs/channels.md).",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
