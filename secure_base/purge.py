"""Retention: delete what is older than the practice profile's retention periods.

``python -m secure_base.purge [--dry-run]`` deletes, each by its own period in
``practice.yml`` (``retention``):

* conversations in Rasa's tracker store whose last event is older than
  ``conversations_days`` (whole conversations, never single events);
* crisis events and failed crisis replies older than ``crisis_events_days``;
* intake submissions older than ``submissions_days``;
* callback requests older than ``callback_requests_days``.

While the assistant runs, the website process runs the same purge once at start and
then every ``SECURE_BASE_PURGE_INTERVAL_HOURS`` (24; 0 switches it off):
:func:`purge_periodically`. A conversation deleted while one of its turns runs is not
written back (:mod:`secure_base.encrypted_tracker_store`). Counts only are printed and
logged, never a conversation ID.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from secure_base.callback.models import CallbackRequest
from secure_base.callback.store import delete_callbacks_before
from secure_base.crisis.models import CrisisEvent
from secure_base.crisis.store import delete_crisis_events_before
from secure_base.db import get_engine, session_scope
from secure_base.intake.models import IntakeSubmission
from secure_base.intake.store import delete_submissions_before
from secure_base.logsafe import describe_error
from secure_base.messaging.models import FailedCrisisReply
from secure_base.messaging.store import delete_failed_replies_before
from secure_base.profile import ProfileError, Retention, load_profile
from secure_base.tracker_store import (
    EVENTS_TABLE,
    MissingEventsTableError,
    TrackerStoreConfigError,
    _events_transaction,
    describe_tracker,
    purge_conversations,
    resolve_tracker_url,
)

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_HOURS = 24.0


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted (or, in a dry run, would delete)."""

    conversations: int
    conversation_events: int
    crisis_events: int
    submissions: int
    callback_requests: int = 0


def _cutoffs(retention: Retention, now: datetime) -> tuple[datetime, datetime, datetime]:
    return (
        now - timedelta(days=retention.conversations_days),
        now - timedelta(days=retention.crisis_events_days),
        now - timedelta(days=retention.submissions_days),
    )


def _count_old_conversations(tracker_url: URL, cutoff: float) -> tuple[int, int]:
    latest = (
        select(EVENTS_TABLE.c.sender_id, func.count().label("n"))
        .group_by(EVENTS_TABLE.c.sender_id)
        .having(func.max(EVENTS_TABLE.c.timestamp) < cutoff)
    )
    with _events_transaction(tracker_url) as connection:
        rows = connection.execute(latest).all()
    return len(rows), sum(int(n) for _, n in rows)


def purge(
    retention: Retention,
    *,
    engine: Optional[Engine] = None,
    tracker_url: Optional[URL | str] = None,
    now: Optional[datetime] = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete everything older than its retention period.

    Args:
        retention: The profile's retention periods.
        engine: Application database; the settings' engine when omitted.
        tracker_url: Rasa's tracker store; :func:`resolve_tracker_url` when omitted.
            A tracker store that does not exist yet (no conversation ever) is skipped.
        now: The current time (aware); now when omitted.
        dry_run: Count only; delete nothing.

    Returns:
        What was (or would be) deleted.

    """
    now = now or datetime.now(UTC)
    engine = engine or get_engine()
    conversations_cutoff, crisis_cutoff, submissions_cutoff = _cutoffs(retention, now)
    url = resolve_tracker_url(str(tracker_url) if tracker_url is not None else None)

    callbacks_cutoff = now - timedelta(days=retention.callback_requests_days)
    if dry_run:
        with session_scope(engine) as session:
            callbacks = session.execute(
                select(func.count()).where(CallbackRequest.created_at < callbacks_cutoff)
            ).scalar_one()
            crisis = session.execute(
                select(func.count()).where(CrisisEvent.occurred_at < crisis_cutoff)
            ).scalar_one() + session.execute(
                select(func.count()).where(FailedCrisisReply.occurred_at < crisis_cutoff)
            ).scalar_one()
            submissions = session.execute(
                select(func.count()).where(IntakeSubmission.created_at < submissions_cutoff)
            ).scalar_one()
    else:
        with session_scope(engine) as session:
            crisis = delete_crisis_events_before(session, crisis_cutoff)
            # Failed crisis replies (secure_base/messaging) are crisis records too.
            crisis += delete_failed_replies_before(session, crisis_cutoff)
            submissions = delete_submissions_before(session, submissions_cutoff)
            callbacks = delete_callbacks_before(session, callbacks_cutoff)
        if engine.dialect.name == "sqlite":
            # WAL mode: move the deletions into the (secure_delete) main file now.
            with engine.connect() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    try:
        if dry_run:
            conversations, events = _count_old_conversations(
                url, conversations_cutoff.timestamp()
            )
        else:
            conversations, events = purge_conversations(url, conversations_cutoff.timestamp())
    except (FileNotFoundError, MissingEventsTableError):
        conversations, events = 0, 0  # Rasa has not stored any conversation yet
    return PurgeResult(conversations, events, int(crisis), int(submissions), int(callbacks))


def _purge_once() -> PurgeResult:
    return purge(load_profile().retention)


async def purge_periodically(interval_hours: float, stop: asyncio.Event) -> None:
    """Run the purge now and then every ``interval_hours`` until ``stop`` is set.

    Each run happens in a worker thread; a failure is logged (without content) and the
    next run is tried as planned, so a database that is briefly away never stops it.
    """
    while not stop.is_set():
        try:
            result = await asyncio.to_thread(_purge_once)
            logger.info(
                "Retention purge: %d conversations (%d events), %d crisis events, "
                "%d intake submissions, %d callback requests deleted",
                result.conversations,
                result.conversation_events,
                result.crisis_events,
                result.submissions,
                result.callback_requests,
            )
        except Exception as exc:  # noqa: BLE001 - keep the schedule whatever happens
            logger.error("Retention purge failed (%s); retrying at the next run",
                         describe_error(exc))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_hours * 3600)
        except TimeoutError:
            pass


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m secure_base.purge [--dry-run] [--tracker-url URL]``."""
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.purge",
        description="Delete conversations, crisis events, intake submissions and callback "
        "requests older "
        "than the retention periods in practice.yml.",
    )
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    parser.add_argument(
        "--tracker-url",
        help="SQLAlchemy URL of Rasa's tracker store (default: from SECURE_BASE_ENDPOINTS)",
    )
    args = parser.parse_args(argv)
    try:
        retention = load_profile().retention
        url = resolve_tracker_url(args.tracker_url)
        result = purge(retention, tracker_url=url, dry_run=args.dry_run)
    except (ProfileError, TrackerStoreConfigError) as exc:
        print(f"purge: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"purge: database error ({describe_error(exc)}); nothing was deleted "
              "from the database that failed", file=sys.stderr)
        return 1
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"purge: {verb} {result.conversations} conversations ({result.conversation_events} "
        f"events, kept {retention.conversations_days} days after the last message, in "
        f"{describe_tracker(url)}), {result.crisis_events} crisis events (kept "
        f"{retention.crisis_events_days} days), {result.submissions} intake submissions "
        f"(kept {retention.submissions_days} days) and {result.callback_requests} callback "
        f"requests (kept {retention.callback_requests_days} days)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
