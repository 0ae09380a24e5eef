"""Naming an error for the logs without what the person wrote, or any secret.

Exception messages are never logged here. SQLAlchemy's include the statement and its
parameters (the person's message, answers, search terms derived from them), HTTP
clients' include the webhook URL (often a secret token), and SMTP servers may echo
parts of a message. :func:`describe_error` keeps only types and codes.
"""

from __future__ import annotations

import smtplib

import requests


def describe_error(exc: BaseException) -> str:
    """Return a short, content-free description of ``exc`` for logs and stored errors.

    The exception's class name, plus what identifies the failure without quoting it:
    the SMTP or HTTP status code, the root cause of a connection failure, the OS error
    text (``strerror``, which names no file), or the DBAPI error class and its SQLSTATE
    (or SQLite error name) behind a SQLAlchemy error.

    Args:
        exc: Any exception.

    Returns:
        For example ``OperationalError/OperationalError``, ``HTTPError (HTTP 500)`` or
        ``SMTPRecipientsRefused (SMTP 550)``.

    """
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} (SMTP {exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _msg in exc.recipients.values()})
        return f"{name} (SMTP {', '.join(str(c) for c in codes)})"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"{name} (HTTP {exc.response.status_code})"
    if isinstance(exc, requests.RequestException):
        # Name the underlying cause (ConnectionRefusedError, timeout, ...), not the URL.
        cause = exc.__context__
        while cause is not None and cause.__context__ is not None:
            cause = cause.__context__
        return f"{name} ({type(cause).__name__})" if cause is not None else name
    # SQLAlchemy wraps the driver's exception in ``orig``.
    orig = getattr(exc, "orig", None)
    if orig is not None:
        parts = [name, type(orig).__name__]
        code = getattr(orig, "pgcode", None) or getattr(orig, "sqlite_errorname", None)
        if code:
            parts.append(str(code))
        return "/".join(parts)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name} ({exc.strerror})"
    return name
