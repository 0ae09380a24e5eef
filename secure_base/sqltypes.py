"""What every model module builds on: the declarative base, shared column types, the clock.

This module is the bottom of the database layer: the model modules
(``secure_base.catalog.models``, ``secure_base.crisis.models``,
``secure_base.intake.models``) import it, and it imports no other part of the project.
Creating the tables is :mod:`secure_base.schema`'s job; engines and sessions are
:mod:`secure_base.db`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import DateTime
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

# The one declarative base: every table of the application is registered on its metadata.
Base = declarative_base()


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC datetime in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones and returns naive values,
    which are UTC by construction here and get their zone back on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[datetime]:
        """Reject naive datetimes (their zone is unknown) and converts to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        value = value.astimezone(UTC)
        # SQLite would keep the offset as text; store the plain UTC wall time there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Optional[datetime]:
        """Return aware UTC datetimes on every backend."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
