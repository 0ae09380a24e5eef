"""Start-up checks: refuse to run with an invalid profile or unsafe settings.

Unsafe: in production, no encryption key or an unsigned notification webhook; anywhere,
an SMTP login without STARTTLS.

Run by scripts/run.sh (``python -m secure_base.preflight``) before any server starts.
Nothing else runs it: servers started some other way must run this command first.
"""

from __future__ import annotations

import sys

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


def main() -> int:
    """Command-line entry point: prints the problem and exits 1, or exits 0."""
    try:
        check()
    except PreflightError as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
