"""Command line for the article catalog.

Usage::

    python -m secure_base.catalog validate [--dir articles]
    python -m secure_base.catalog import [--dir articles] [--database-url URL]
    python -m secure_base.catalog list [--database-url URL]

``validate`` and ``import`` exit with 1 and print every problem (``file:line: message``)
when any article is invalid; ``import`` then leaves the stored catalog untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from secure_base.settings import PROJECT_ROOT

DEFAULT_DIR = PROJECT_ROOT / "articles"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_base.catalog",
        description="Validate, import and list the Markdown articles of the catalog.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("validate", "check every article file and report all problems"),
        ("import", "validate, then import the articles into the database (idempotent)"),
        ("list", "list the articles stored in the database"),
    ):
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if name != "list":
            cmd.add_argument(
                "--dir",
                type=Path,
                default=DEFAULT_DIR,
                help="articles folder (default: %(default)s)",
            )
        if name != "validate":
            cmd.add_argument(
                "--database-url",
                default=None,
                help="SQLAlchemy URL (default: SECURE_BASE_DATABASE_URL or the data dir's SQLite)",
            )
    return parser


def _print_problems(report, out) -> None:  # type: ignore[no-untyped-def]
    files = {p.path for p in report.problems}
    print(
        f"{len(report.problems)} problem(s) in {len(files)} file(s) of {report.directory}:",
        file=out,
    )
    for problem in report.problems:
        print(f"  {problem}", file=out)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validates the folder; 0 when every article is valid."""
    from secure_base.catalog.articles import validate_directory

    report = validate_directory(args.dir)
    if not report.ok:
        _print_problems(report, sys.stderr)
        return 1
    topics = {t for a in report.articles for t in a.topics}
    print(
        f"{len(report.articles)} articles in {args.dir} are valid "
        f"({len(topics)} topics covered)."
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Validates, then imports in one transaction; 1 (database untouched) on any problem."""
    from secure_base.catalog.articles import validate_directory
    from secure_base.catalog.loader import import_articles
    from secure_base.db import get_engine, session_scope

    report = validate_directory(args.dir)
    if not report.ok:
        _print_problems(report, sys.stderr)
        print("Nothing was imported; the stored catalog is unchanged.", file=sys.stderr)
        return 1
    with session_scope(get_engine(args.database_url)) as session:
        result = import_articles(session, report.articles)
    print(f"Imported {args.dir}: {result.summary()}.")
    for label, slugs in (
        ("added", result.added),
        ("updated", result.updated),
        ("removed", result.removed),
    ):
        for slug in slugs:
            print(f"  {label}: {slug}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Prints the stored articles, newest first."""
    from secure_base.catalog.loader import list_articles
    from secure_base.db import get_engine, session_scope

    with session_scope(get_engine(args.database_url)) as session:
        articles = list_articles(session)
        for a in articles:
            topics = ", ".join(a.topic_keys)
            print(f"{a.published.isoformat()}  {a.slug}  ({a.reading_minutes} min)  [{topics}]")
    print(f"{len(articles)} article(s).")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the CLI and returns the exit code.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    """
    args = _parser().parse_args(argv)
    handler = {"validate": cmd_validate, "import": cmd_import, "list": cmd_list}[args.command]
    try:
        return handler(args)
    except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError | OSError):
            raise
        print(
            f"error: the database is not reachable or failed: {type(exc).__name__}: "
            f"{getattr(exc, 'orig', None) or exc}",
            file=sys.stderr,
        )
        return 2
