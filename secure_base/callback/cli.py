"""Staff command line for callback requests.

Usage::

    python -m secure_base.callback list [--limit N]
    python -m secure_base.callback show ID
    python -m secure_base.callback status ID new|contacted|closed
    python -m secure_base.callback delete ID [--yes]

Every command takes ``--database-url`` (default: ``SECURE_BASE_DATABASE_URL`` or the data
directory's SQLite database). ``list`` shows clear columns only (ID, when, phone or
e-mail, status) and works without the encryption key, as does ``status``; ``show``
decrypts, so it needs ``SECURE_BASE_INTAKE_KEY`` (or the development key file) and
prints personal details.
What it prints has control and bidi characters removed. To delete everything of one
conversation, use ``python -m secure_base.intake delete-conversation``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Optional, Sequence, TextIO

from sqlalchemy import select

from secure_base.callback.models import STATUSES, CallbackRequest
from secure_base.callback.store import change_status, delete_callback, get_callback
from secure_base.crypto import CryptoConfigError, DecryptionError
from secure_base.db import get_engine, session_scope
from secure_base.intake.validators import format_phone
from secure_base.textsafe import one_line

PERSONAL_WARNING = (
    "WARNING: this output contains personal contact details, decrypted. Use them only to "
    "contact the person, and do not copy them elsewhere."
)
SHOW_FIELDS = (
    "id",
    "created_at",
    "status",
    "contact_method",
    "preferred_name",
    "phone",
    "email",
    "best_times",
    "consent_version",
    "consent_at",
    "notified",
    "notify_error",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.callback",
        description="List, show, change the status of and delete callback requests "
        "(staff only).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument(
            "--database-url",
            default=None,
            help="SQLAlchemy URL (default: SECURE_BASE_DATABASE_URL or the data dir's SQLite)",
        )
        return cmd

    cmd = add("list", "list callback requests (ID, created, phone or email, status); no decryption")
    cmd.add_argument("--limit", type=int, default=None, help="show at most N requests")
    cmd = add("show", "show one callback request, decrypted")
    cmd.add_argument("id", type=int, help="callback request ID")
    cmd = add("status", "change a callback request's status; no decryption")
    cmd.add_argument("id", type=int, help="callback request ID")
    cmd.add_argument(
        "new_status", choices=STATUSES, metavar="NEW_STATUS", help="one of: %(choices)s"
    )
    cmd = add("delete", "delete one callback request")
    cmd.add_argument("id", type=int, help="callback request ID")
    cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _when(value: Optional[datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    """Print the requests table (clear columns only, newest first)."""
    columns = (
        CallbackRequest.id,
        CallbackRequest.created_at,
        CallbackRequest.contact_method,
        CallbackRequest.status,
        CallbackRequest.notified,
    )
    statement = select(*columns).order_by(
        CallbackRequest.created_at.desc(), CallbackRequest.id.desc()
    )
    if args.limit is not None:
        statement = statement.limit(args.limit)
    with session_scope(get_engine(args.database_url)) as session:
        rows = session.execute(statement).all()
    table = [("ID", "CREATED", "CONTACT BY", "STATUS", "NOTIFIED")]
    for row in rows:
        table.append(
            (
                str(row.id),
                _when(row.created_at),
                row.contact_method,
                row.status,
                "yes" if row.notified else "no",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)
    print(f"{len(rows)} callback request(s)", file=out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print one request, decrypted, one field per line."""
    with session_scope(get_engine(args.database_url)) as session:
        request = get_callback(session, args.id)
        if request is None:
            print(f"No callback request with ID {args.id}.", file=err)
            return 1
        values = {name: getattr(request, name) for name in SHOW_FIELDS}
    print(PERSONAL_WARNING, file=err)
    if values["phone"]:
        values["phone"] = format_phone(values["phone"])
    width = max(len(name) for name in values)
    for name, value in values.items():
        if isinstance(value, datetime):
            value = _when(value)
        # One line per field: nothing the person typed can pose as another field.
        print(f"{name.ljust(width)}  {'-' if value is None else one_line(value)}", file=out)
    return 0


def cmd_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Change one request's status (e.g. ``contacted`` once someone called back)."""
    with session_scope(get_engine(args.database_url)) as session:
        old_status = change_status(session, args.id, args.new_status)
    if old_status is None:
        print(f"No callback request with ID {args.id}.", file=err)
        return 1
    print(f"Callback request {args.id}: {old_status} -> {args.new_status}", file=out)
    return 0


def cmd_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Delete one request after confirmation (or ``--yes``)."""
    if not args.yes:
        if not sys.stdin.isatty():
            print("Refusing to delete without confirmation: add --yes.", file=err)
            return 2
        answer = input(f"Delete callback request {args.id} permanently? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=err)
            return 1
    with session_scope(get_engine(args.database_url)) as session:
        deleted = delete_callback(session, args.id)
    if not deleted:
        print(f"No callback request with ID {args.id}.", file=err)
        return 1
    print(f"Deleted callback request {args.id}.", file=out)
    return 0


def main(
    argv: Optional[Sequence[str]] = None,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
) -> int:
    """Run the CLI and return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list(args, out)
        if args.command == "show":
            return cmd_show(args, out, err)
        if args.command == "status":
            return cmd_status(args, out, err)
        return cmd_delete(args, out, err)
    except (CryptoConfigError, DecryptionError) as exc:
        print(f"Cannot decrypt callback requests: {exc}", file=err)
        return 2
