"""Staff command line for intake submissions.

Usage::

    python -m secure_base.intake list [--sort urgency|date] [--limit N]
    python -m secure_base.intake show ID
    python -m secure_base.intake export --format csv|json [--out FILE]
    python -m secure_base.intake status ID new|in_review|contacted|closed
    python -m secure_base.intake delete ID [--with-conversation [--tracker-url URL]] [--yes]
    python -m secure_base.intake find-conversation CONVERSATION_ID [--tracker-url URL]
    python -m secure_base.intake delete-conversation CONVERSATION_ID [--tracker-url URL] [--yes]

Every command takes ``--database-url`` (default: ``SECURE_BASE_DATABASE_URL`` or the data
directory's SQLite database). ``list`` shows clear, non-identifying columns only and
works without the encryption key, and so does ``status``, which changes a submission's
status and records when; ``show`` and ``export`` decrypt, so they need
``SECURE_BASE_INTAKE_KEY`` (or the development key file) and print health information:
use them only on a machine and for a purpose the practice has authorised. What they print
has control and bidi characters removed, and CSV cells that a spreadsheet would run as a
formula are prefixed with a single quote (:mod:`secure_base.textsafe`).
``delete --with-conversation`` also removes the conversation's events from Rasa's SQL
tracker store (:mod:`secure_base.tracker_store`): the one named by ``--tracker-url``, else
the PostgreSQL store that ``SECURE_BASE_ENDPOINTS`` configures (``endpoints.scale.yml``,
``SECURE_BASE_PG_*``), else the SQLite file ``SECURE_BASE_TRACKER_DB``.
``find-conversation`` shows what is kept of one conversation (events in the tracker
store, intake submissions, crisis events; counts and IDs, no content), including an
abandoned intake that exists only in the conversation; ``delete-conversation`` deletes
all of it. A turn of that conversation running meanwhile is not written back
(:mod:`secure_base.encrypted_tracker_store`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Sequence, TextIO

from sqlalchemy import select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from secure_base.crypto import CryptoConfigError, DecryptionError
from secure_base.db import get_engine, session_scope
from secure_base.intake.models import STATUSES, IntakeSubmission
from secure_base.intake.store import (
    SORT_DATE,
    SORT_URGENCY,
    change_status,
    delete_submission,
    get_submission,
    list_submissions,
)
from secure_base.privacy import delete_conversation_records, find_conversation_records
from secure_base.textsafe import clean_value, csv_cell, one_line
from secure_base.tracker_store import (
    MissingEventsTableError,
    TrackerStoreConfigError,
    count_conversation_events,
    delete_conversation,
    describe_tracker,
    redis_lock_options,
    resolve_tracker_url,
)

HEALTH_WARNING = (
    "WARNING: this output contains personal health information, decrypted. Use it only "
    "for authorised purposes, store it encrypted, and delete it when you are done."
)
EXPORT_FIELDS = (
    "id",
    "created_at",
    "status",
    "status_changed_at",
    "urgent",
    "phq2",
    "phq9",
    "gad2",
    "gad7",
    "asq_positive",
    "session_format",
    "payment_type",
    "consent_version",
    "consent_at",
    "notified",
    "conversation_id",
    "preferred_name",
    "email",
    "phone",
    "region",
    "reason",
    "hopes",
    "availability",
    "answers",
)
# The clear columns `list` reads (no decryption, so no key is needed).
LIST_COLUMNS = (
    IntakeSubmission.id,
    IntakeSubmission.created_at,
    IntakeSubmission.urgent,
    IntakeSubmission.phq2,
    IntakeSubmission.phq9,
    IntakeSubmission.gad2,
    IntakeSubmission.gad7,
    IntakeSubmission.asq_positive,
    IntakeSubmission.status,
    IntakeSubmission.status_changed_at,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.intake",
        description=(
            "List, show, export, change the status of and delete intake submissions "
            "(staff only)."
        ),
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

    cmd = add(
        "list",
        "list submissions (ID, created, urgent, scores, status, when it changed); no decryption",
    )
    cmd.add_argument(
        "--sort",
        choices=(SORT_URGENCY, SORT_DATE),
        default=SORT_URGENCY,
        help="urgent (then ASQ-positive) first, or newest first (default: %(default)s)",
    )
    cmd.add_argument("--limit", type=int, default=None, help="show at most N submissions")

    cmd = add("show", "show one submission, decrypted")
    cmd.add_argument("id", type=int, help="submission ID")

    cmd = add("export", "export every submission, decrypted, as CSV or JSON")
    cmd.add_argument("--format", choices=("csv", "json"), required=True, dest="fmt")
    cmd.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")
    cmd.add_argument("--sort", choices=(SORT_URGENCY, SORT_DATE), default=SORT_DATE)

    cmd = add("status", "change a submission's status; no decryption")
    cmd.add_argument("id", type=int, help="submission ID")
    cmd.add_argument(
        "new_status", choices=STATUSES, metavar="NEW_STATUS", help="one of: %(choices)s"
    )

    cmd = add("delete", "delete a submission (and optionally its conversation)")
    cmd.add_argument("id", type=int, help="submission ID")
    cmd.add_argument(
        "--with-conversation",
        action="store_true",
        help="also delete the conversation's events from Rasa's tracker store",
    )
    cmd.add_argument(
        "--tracker-url",
        default=None,
        help=(
            "SQLAlchemy URL of Rasa's tracker store, with --with-conversation (default: the "
            "PostgreSQL store of SECURE_BASE_ENDPOINTS, else SECURE_BASE_TRACKER_DB)"
        ),
    )
    cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    tracker_help = (
        "SQLAlchemy URL of Rasa's tracker store (default: the PostgreSQL store of "
        "SECURE_BASE_ENDPOINTS, else SECURE_BASE_TRACKER_DB)"
    )
    cmd = add(
        "find-conversation",
        "what is kept of one conversation: its events, intake submissions and crisis events",
    )
    cmd.add_argument("conversation_id", help="the conversation's ID (Rasa sender ID)")
    cmd.add_argument("--tracker-url", default=None, help=tracker_help)

    cmd = add(
        "delete-conversation",
        "delete one conversation: its events, intake submissions and crisis events",
    )
    cmd.add_argument("conversation_id", help="the conversation's ID (Rasa sender ID)")
    cmd.add_argument("--tracker-url", default=None, help=tracker_help)
    cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _when(value: Optional[datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _num(value: Optional[int]) -> str:
    return "-" if value is None else str(value)


def _engine(args: argparse.Namespace) -> Engine:
    return get_engine(args.database_url)


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    """Print the submissions table (clear columns only)."""
    if args.sort == SORT_URGENCY:
        order = (
            IntakeSubmission.urgent.desc(),
            IntakeSubmission.asq_positive.desc(),
            IntakeSubmission.created_at.desc(),
            IntakeSubmission.id.desc(),
        )
    else:
        order = (IntakeSubmission.created_at.desc(), IntakeSubmission.id.desc())
    statement = select(*LIST_COLUMNS).order_by(*order)
    if args.limit is not None:
        statement = statement.limit(args.limit)
    with session_scope(_engine(args)) as session:
        rows = session.execute(statement).all()
    header = (
        "ID",
        "CREATED",
        "URGENT",
        "PHQ-2",
        "PHQ-9",
        "GAD-2",
        "GAD-7",
        "ASQ",
        "STATUS",
        "CHANGED",
    )
    table = [header]
    for row in rows:
        table.append(
            (
                str(row.id),
                _when(row.created_at),
                "URGENT" if row.urgent else "no",
                _num(row.phq2),
                _num(row.phq9),
                _num(row.gad2),
                _num(row.gad7),
                "positive" if row.asq_positive else "negative",
                row.status,
                _when(row.status_changed_at),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)
    print(f"{len(rows)} submission(s)", file=out)
    return 0


def submission_as_dict(submission: IntakeSubmission) -> dict[str, Any]:
    """Every exported field of a submission (decrypted), JSON-friendly."""
    record: dict[str, Any] = {}
    for name in EXPORT_FIELDS:
        if name == "answers":
            record[name] = submission.answers
            continue
        value = getattr(submission, name)
        record[name] = value.isoformat() if isinstance(value, datetime) else value
    return record


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print one submission, decrypted."""
    with session_scope(_engine(args)) as session:
        submission = get_submission(session, args.id)
        if submission is None:
            print(f"No intake submission with ID {args.id}.", file=err)
            return 1
        record = submission_as_dict(submission)
    print(HEALTH_WARNING, file=err)
    answers = clean_value(record.pop("answers"))
    width = max(len(name) for name in record)
    for name, value in record.items():
        # One line per field: no escape sequence or line break from an answer can
        # reach the terminal or pose as another field.
        print(f"{name.ljust(width)}  {'-' if value is None else one_line(value)}", file=out)
    print("answers:", file=out)
    print(json.dumps(answers, indent=2, ensure_ascii=False, sort_keys=True), file=out)
    return 0


def _write_export(records: list[dict[str, Any]], fmt: str, handle: TextIO) -> None:
    """Write ``records`` as JSON or CSV, without control or bidi characters.

    CSV cells that a spreadsheet would read as a formula (``= + - @``, tab, CR first) get
    a leading single quote (:func:`secure_base.textsafe.csv_cell`).
    """
    records = [clean_value(record) for record in records]
    if fmt == "json":
        json.dump(records, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        return
    writer = csv.DictWriter(handle, fieldnames=list(EXPORT_FIELDS))
    writer.writeheader()
    for record in records:
        row = dict(record)
        row["answers"] = json.dumps(record["answers"], ensure_ascii=False, sort_keys=True)
        writer.writerow({name: csv_cell(value) for name, value in row.items()})


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write every submission, decrypted, as CSV or JSON."""
    with session_scope(_engine(args)) as session:
        records = [submission_as_dict(s) for s in list_submissions(session, sort=args.sort)]
    print(HEALTH_WARNING, file=err)
    if args.out is None:
        _write_export(records, args.fmt, out)
    else:
        buffer = io.StringIO(newline="")
        _write_export(records, args.fmt, buffer)
        # Private to the user from the moment it exists.
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
        print(f"Wrote {len(records)} submission(s) to {args.out}", file=err)
    return 0


def cmd_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Change a submission's status; print the old and new status (no health data)."""
    with session_scope(_engine(args)) as session:
        old_status = change_status(session, args.id, args.new_status)
    if old_status is None:
        print(f"No intake submission with ID {args.id}.", file=err)
        return 1
    if old_status == args.new_status:
        print(f"Intake submission {args.id} is already {old_status}; nothing changed.", file=out)
        return 0
    print(f"Intake submission {args.id}: {old_status} -> {args.new_status}", file=out)
    return 0


def _failure_reason(exc: BaseException) -> str:
    """One line saying why an operation failed, without SQL or its parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        name = type(exc.orig).__name__
        return f"{name}: {lines[0]}" if lines else name
    return f"{type(exc).__name__}: {exc}"


def cmd_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Delete a submission, and with --with-conversation its conversation first.

    The conversation goes first because its ID is stored (encrypted) only in the
    submission: if deleting the conversation fails, the submission is still there and
    the command can simply be run again.
    """
    if args.tracker_url and not args.with_conversation:
        print("--tracker-url is used only with --with-conversation. Nothing deleted.", file=err)
        return 2
    tracker_url: Optional[URL] = None
    if args.with_conversation:
        try:
            tracker_url = resolve_tracker_url(args.tracker_url)
        except TrackerStoreConfigError as exc:
            print(f"Cannot tell where the conversations are: {exc}. Nothing deleted.", file=err)
            return 2
    if not args.yes:
        if not sys.stdin.isatty():
            print("Refusing to delete without confirmation: add --yes.", file=err)
            return 2
        extra = ""
        if tracker_url is not None:
            extra = f" and its conversation (in {describe_tracker(tracker_url)})"
        answer = input(f"Delete intake submission {args.id}{extra} permanently? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=err)
            return 1
    if tracker_url is not None:
        with session_scope(_engine(args)) as session:
            submission = get_submission(session, args.id)
            conversation_id = None if submission is None else submission.conversation_id
        if conversation_id is None:
            print(f"No intake submission with ID {args.id}.", file=err)
            return 1
        where = describe_tracker(tracker_url)
        try:
            with _conversation_locked(conversation_id, err):
                count = delete_conversation(tracker_url, conversation_id)
        except (
            FileNotFoundError,
            MissingEventsTableError,
            SQLAlchemyError,
            ImportError,
            LockUnavailableError,
        ) as exc:
            print(f"Could not delete the conversation: {_failure_reason(exc)}", file=err)
            print(
                f"Nothing was deleted: intake submission {args.id} and its conversation "
                f"(in {where}) are both still there. Fix the problem and run the command again.",
                file=err,
            )
            return 1
        print(f"Deleted {count} conversation event(s) from {where}.", file=out)
        if count == 0:
            print(
                f"No events of this conversation were in {where}: they were deleted before, "
                "or the conversations are kept elsewhere (see --tracker-url).",
                file=err,
            )
    try:
        with session_scope(_engine(args)) as session:
            deleted_conversation_id = delete_submission(session, args.id)
    except SQLAlchemyError as exc:
        print(f"Could not delete intake submission {args.id}: {_failure_reason(exc)}", file=err)
        if tracker_url is not None:
            print(
                "Its conversation was deleted; run the command again to delete the submission.",
                file=err,
            )
        return 1
    if deleted_conversation_id is None:
        print(f"No intake submission with ID {args.id}.", file=err)
        return 1
    print(f"Deleted intake submission {args.id}.", file=out)
    return 0


class LockUnavailableError(Exception):
    """The conversation lock of the Rasa servers could not be taken; nothing was deleted."""


@contextmanager
def _conversation_locked(conversation_id: str, err: TextIO) -> Iterator[None]:
    """Hold the conversation's lock while deleting, when the servers share one (Redis).

    When the endpoints name a Redis lock store whose variables are not set here, the
    deletion goes ahead without the lock, with a warning: the encrypting tracker store
    still never writes a deleted conversation back.

    Raises:
        LockUnavailableError: When Redis cannot be reached or the lock is not granted.

    """
    try:
        options = redis_lock_options()
    except TrackerStoreConfigError as exc:
        print(f"Warning: not taking the conversation lock: {exc}", file=err)
        options = None
    if options is None:  # in-memory lock: see secure_base.lock_store
        yield
        return
    # Imported here: it loads Rasa, which the other commands do not need.
    from secure_base.lock_store import conversation_lock

    try:
        lock = conversation_lock(conversation_id)
        lock.__enter__()
    except Exception as exc:  # noqa: BLE001 - Redis and lock errors alike
        raise LockUnavailableError(type(exc).__name__) from exc
    try:
        yield
    except BaseException:
        if not lock.__exit__(*sys.exc_info()):
            raise
    else:
        lock.__exit__(None, None, None)


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids) if ids else "none"


def cmd_find_conversation(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print what is kept of one conversation (counts and IDs only)."""
    try:
        tracker_url = resolve_tracker_url(args.tracker_url)
    except TrackerStoreConfigError as exc:
        print(f"Cannot tell where the conversations are: {exc}.", file=err)
        return 2
    where = describe_tracker(tracker_url)
    try:
        events = count_conversation_events(tracker_url, args.conversation_id)
    except (FileNotFoundError, MissingEventsTableError):
        events = 0
    except SQLAlchemyError as exc:
        print(f"Could not read the conversations in {where}: {_failure_reason(exc)}", file=err)
        return 1
    with session_scope(_engine(args)) as session:
        records = find_conversation_records(session, args.conversation_id)
    print(f"Conversation events:  {events} (in {where})", file=out)
    print(f"Intake submissions:   {_ids(records.submission_ids)}", file=out)
    print(f"Crisis events:        {_ids(records.crisis_event_ids)}", file=out)
    print(f"Callback requests:    {_ids(records.callback_request_ids)}", file=out)
    print(f"SMS opt-out (STOP):   {'yes' if records.sms_opt_out else 'no'}", file=out)
    if events == 0 and records.empty:
        print("Nothing is kept of this conversation.", file=err)
        return 1
    return 0


def cmd_delete_conversation(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Delete a conversation's events, then its intake submissions and crisis events.

    The events go first: if that fails, nothing is deleted and the command can be run
    again; the records (found by the conversation ID) are then deleted in one transaction.
    """
    try:
        tracker_url = resolve_tracker_url(args.tracker_url)
    except TrackerStoreConfigError as exc:
        print(f"Cannot tell where the conversations are: {exc}. Nothing deleted.", file=err)
        return 2
    where = describe_tracker(tracker_url)
    if not args.yes:
        if not sys.stdin.isatty():
            print("Refusing to delete without confirmation: add --yes.", file=err)
            return 2
        answer = input(
            f"Delete this conversation (in {where}), its intake submissions and crisis "
            "events permanently? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=err)
            return 1
    try:
        with _conversation_locked(args.conversation_id, err):
            try:
                events = delete_conversation(tracker_url, args.conversation_id)
            except (FileNotFoundError, MissingEventsTableError):
                events = 0  # no conversation was ever stored there
            except SQLAlchemyError as exc:
                print(f"Could not delete the conversation: {_failure_reason(exc)}. "
                      "Nothing deleted.", file=err)
                return 1
            try:
                with session_scope(_engine(args)) as session:
                    records = delete_conversation_records(session, args.conversation_id)
            except SQLAlchemyError as exc:
                print(f"Deleted {events} conversation event(s) from {where}, but not its "
                      f"records: {_failure_reason(exc)}. Run the command again.", file=err)
                return 1
    except LockUnavailableError as exc:
        print(f"Could not take the conversation lock in Redis ({exc}). Nothing deleted.",
              file=err)
        return 1
    print(
        f"Deleted {events} conversation event(s) from {where}, intake submission(s) "
        f"{_ids(records.submission_ids)}, crisis event(s) {_ids(records.crisis_event_ids)} "
        f"and callback request(s) {_ids(records.callback_request_ids)}"
        f"{' and its SMS opt-out' if records.sms_opt_out else ''}.",
        file=out,
    )
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
        if args.command == "export":
            return cmd_export(args, out, err)
        if args.command == "status":
            return cmd_status(args, out, err)
        if args.command == "find-conversation":
            return cmd_find_conversation(args, out, err)
        if args.command == "delete-conversation":
            return cmd_delete_conversation(args, out, err)
        return cmd_delete(args, out, err)
    except (CryptoConfigError, DecryptionError) as exc:
        print(f"Cannot decrypt intake data: {exc}", file=err)
        return 2
