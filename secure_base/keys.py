"""Key rotation: ``python -m secure_base.keys rotate``.

``SECURE_BASE_INTAKE_KEY`` holds one or more Fernet keys, newest first
(:mod:`secure_base.crypto`). To retire a key:

1. put a new key first (``make key``) and keep the old one after it; restart;
2. run ``python -m secure_base.keys rotate``: every encrypted value (intake submissions,
   crisis events, and every event in Rasa's tracker store) is re-encrypted with the
   first key; plain events written before encryption was switched on are encrypted;
3. remove the old key from ``SECURE_BASE_INTAKE_KEY`` and restart.

Rotation works in batches, each its own transaction; it can be run again safely (a
value already under the first key is simply re-encrypted), also while the assistant runs.

SMS opt-outs are keyed digests, not encrypted values, so they cannot be rewritten here:
while the old key is still configured, a number is recognised under it and moved to
the first key when it next writes (:mod:`secure_base.messaging.opt_outs`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from secure_base.callback.models import CallbackRequest
from secure_base.crisis.models import CrisisEvent
from secure_base.crypto import CryptoConfigError, DecryptionError, EncryptedText, rotate_text
from secure_base.db import get_engine
from secure_base.intake.models import IntakeSubmission
from secure_base.logsafe import describe_error
from secure_base.settings import Settings
from secure_base.tracker_store import (
    MissingEventsTableError,
    TrackerStoreConfigError,
    describe_tracker,
    resolve_tracker_url,
    rotate_conversation_events,
)

# Every model with encrypted columns.
ENCRYPTED_MODELS = (IntakeSubmission, CrisisEvent, CallbackRequest)
_BATCH = 500


def rotate_table(engine: Engine, model: type, settings: Optional[Settings] = None) -> int:
    """Re-encrypt every encrypted column of ``model``'s rows with the current key.

    The stored tokens are read and written as they are (``type_coerce`` to text), so
    nothing is decrypted into Python objects beyond what ``rotate`` needs.

    Returns:
        How many rows were rewritten.

    """
    table = model.__table__
    columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
    raw = [type_coerce(c, Text).label(c.name) for c in columns]
    done, last_id = 0, -1
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                select(table.c.id, *raw).where(table.c.id > last_id).order_by(table.c.id)
                .limit(_BATCH)
            ).all()
            for row in rows:
                values = {
                    c.name: type_coerce(rotate_text(getattr(row, c.name), settings), Text)
                    for c in columns
                }
                connection.execute(update(table).where(table.c.id == row.id).values(values))
        if not rows:
            return done
        done += len(rows)
        last_id = rows[-1].id


def rotate_all(
    engine: Optional[Engine] = None,
    tracker_url: Optional[URL | str] = None,
    settings: Optional[Settings] = None,
) -> dict[str, int]:
    """Re-encrypt the application database and the tracker store with the current key.

    Returns:
        Rows rewritten per table (``events`` is the tracker store).

    Raises:
        secure_base.crypto.DecryptionError: When a value fits no configured key.

    """
    engine = engine or get_engine()
    counts = {
        model.__tablename__: rotate_table(engine, model, settings) for model in ENCRYPTED_MODELS
    }
    url = tracker_url if tracker_url is not None else resolve_tracker_url()
    try:
        counts["events"] = rotate_conversation_events(url, settings)
    except (FileNotFoundError, MissingEventsTableError):
        counts["events"] = 0  # no conversation stored yet
    return counts


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m secure_base.keys rotate [--tracker-url URL]``."""
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.keys", description="Encryption key maintenance."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser(
        "rotate",
        help="re-encrypt every stored value with the first key of SECURE_BASE_INTAKE_KEY, "
        "after which older keys can be removed",
    )
    rotate.add_argument(
        "--tracker-url",
        help="SQLAlchemy URL of Rasa's tracker store (default: from SECURE_BASE_ENDPOINTS)",
    )
    args = parser.parse_args(argv)
    try:
        url = resolve_tracker_url(args.tracker_url)
        counts = rotate_all(tracker_url=url)
    except (CryptoConfigError, TrackerStoreConfigError) as exc:
        print(f"keys: {exc}", file=sys.stderr)
        return 2
    except DecryptionError:
        print(
            "keys: a stored value fits none of the keys in SECURE_BASE_INTAKE_KEY; keep "
            "every key that was ever used until rotation succeeds. Rows already rotated "
            "stay readable with the current key.",
            file=sys.stderr,
        )
        return 1
    except SQLAlchemyError as exc:
        print(f"keys: database error ({describe_error(exc)})", file=sys.stderr)
        return 1
    print(
        f"keys: re-encrypted {counts['intake_submissions']} intake submissions, "
        f"{counts['crisis_events']} crisis events and {counts['events']} conversation "
        f"events ({describe_tracker(url)}) with the current key; older keys can now be "
        "removed from SECURE_BASE_INTAKE_KEY"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
