"""The application's tables: creating them, and bringing an older database up to date.

Importing the model modules here registers every table on
:data:`secure_base.sqltypes.Base`'s metadata. This is the one module that knows all of
them; :func:`secure_base.db.get_engine` calls :func:`create_schema` on an engine's first
use, tests and scripts call it for the engines they make.

``create_all`` never alters a table that already exists, so columns introduced after a
table first shipped are listed in :data:`ADDED_COLUMNS` and added by
:func:`add_missing_columns`.
"""

from __future__ import annotations

from sqlalchemy import Column, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

# Imported for their side effect too: each model module registers its tables on Base.
import secure_base.callback.models  # noqa: F401
import secure_base.catalog.models  # noqa: F401
import secure_base.crisis.models  # noqa: F401
import secure_base.messaging.models  # noqa: F401
from secure_base.catalog.search import ensure_search_index
from secure_base.intake.models import IntakeSubmission
from secure_base.sqltypes import Base

# Columns added to a table after it first shipped. Each must be nullable (or have a
# server default): ALTER TABLE cannot add a NOT NULL column to a table with rows.
ADDED_COLUMNS: tuple[Column, ...] = (IntakeSubmission.__table__.c.status_changed_at,)


def create_schema(engine: Engine) -> None:
    """Create every table of the application and bring existing ones up to date.

    Idempotent: safe on an empty database, an up-to-date one, and one created by an
    older version (it gains the columns of :data:`ADDED_COLUMNS`).

    Args:
        engine: Engine of the application database (SQLite or PostgreSQL).

    """
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    ensure_search_index(engine)


def _missing_columns(engine: Engine) -> list[Column]:
    inspector = inspect(engine)
    present: dict[str, set[str]] = {}
    for table in {column.table for column in ADDED_COLUMNS}:
        # A table that does not exist yet is left to create_all, which creates it complete.
        if inspector.has_table(table.name):
            present[table.name] = {column["name"] for column in inspector.get_columns(table.name)}
    return [
        column
        for column in ADDED_COLUMNS
        if column.table.name in present and column.name not in present[column.table.name]
    ]


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the columns of :data:`ADDED_COLUMNS` that existing tables lack.

    Idempotent: tables that already have them are left alone, and tables that do not
    exist yet are left to ``create_all``. Works on SQLite and PostgreSQL; the column
    types are compiled for the engine's dialect from the models.

    Args:
        engine: Engine of the application database (after ``create_all``).

    Returns:
        The names of the columns added (empty when every table was up to date).

    Raises:
        OperationalError: When adding a column fails for a reason other than another
            process having added it first.

    """
    missing = _missing_columns(engine)
    if not missing:
        return []
    preparer = engine.dialect.identifier_preparer
    # PostgreSQL can skip a column another process added in the meantime; SQLite has
    # no ADD COLUMN IF NOT EXISTS, so a lost race is recognised below instead.
    if_not_exists = "IF NOT EXISTS " if engine.dialect.name == "postgresql" else ""
    try:
        with engine.begin() as conn:
            for column in missing:
                column_type = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(
                    f"ALTER TABLE {preparer.format_table(column.table)} ADD COLUMN "
                    f"{if_not_exists}{preparer.format_column(column)} {column_type}"
                )
    except OperationalError:
        if _missing_columns(engine):
            raise
        return []  # another process added them first
    return [column.name for column in missing]
