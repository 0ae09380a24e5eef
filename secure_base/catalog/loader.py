"""Importing validated articles into the catalog tables of the application database.

Parsing and validating the files is :mod:`secure_base.catalog.articles`' job. Import
validates all files first and does not touch the stored catalog unless every file is
valid; then it upserts in the caller's transaction and is idempotent (unchanged files,
compared by content hash, are not written).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from secure_base.catalog.articles import ArticleSource, CatalogError, validate_directory
from secure_base.catalog.models import Article, ArticleTopic, seed_topics
from secure_base.sqltypes import utcnow


@dataclass
class ImportResult:
    """What an import changed (slugs per kind of change)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """A one-line summary for the CLI."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )


def import_articles(session: Session, articles: Iterable[ArticleSource]) -> ImportResult:
    """Makes the stored catalog equal to ``articles`` (already validated), idempotently.

    Runs in the caller's transaction: the whole import commits or nothing does.
    Unchanged articles (same content hash) are not written; articles whose file
    disappeared are deleted.

    Args:
        session: The session of the unit of work.
        articles: Valid articles with unique slugs.

    Returns:
        What changed.

    """
    articles = list(articles)
    seed_topics(session)
    result = ImportResult()
    stored = {a.slug: a for a in session.execute(select(Article)).scalars()}
    now = utcnow()
    for source in articles:
        digest = source.content_hash
        row = stored.pop(source.slug, None)
        if row is None:
            row = Article(slug=source.slug, content_hash=digest, imported_at=now)
            _copy_fields(row, source)
            row.topic_links = _links(source.topics)
            session.add(row)
            result.added.append(source.slug)
        elif row.content_hash == digest:
            result.unchanged.append(source.slug)
        else:
            _copy_fields(row, source)
            if row.topic_keys != source.topics:
                # Delete the old links first so the (article, position) uniqueness and
                # the (article, topic) key never see old and new rows at once.
                row.topic_links.clear()
                session.flush()
                row.topic_links.extend(_links(source.topics))
            row.content_hash = digest
            row.imported_at = now
            result.updated.append(source.slug)
    for slug, row in sorted(stored.items()):
        session.delete(row)
        result.removed.append(slug)
    session.flush()
    return result


def _copy_fields(row: Article, source: ArticleSource) -> None:
    row.title = source.title
    row.summary = source.summary
    row.body = source.body
    row.published = source.published
    row.reading_minutes = source.reading_minutes
    row.url = source.url


def _links(topics: Sequence[str]) -> list[ArticleTopic]:
    return [ArticleTopic(topic_key=key, position=index) for index, key in enumerate(topics)]


def import_directory(session: Session, directory: Path) -> ImportResult:
    """Validates every file of ``directory`` and, only if all are valid, imports them.

    Args:
        session: The session of the unit of work (the caller commits).
        directory: The articles folder.

    Returns:
        What changed.

    Raises:
        CatalogError: When any file has a problem; the database was not touched.

    """
    report = validate_directory(directory)
    if not report.ok:
        raise CatalogError(report.problems)
    return import_articles(session, report.articles)


def list_articles(session: Session) -> list[Article]:
    """Every stored article, newest first."""
    return list(
        session.execute(select(Article).order_by(Article.published.desc(), Article.slug)).scalars()
    )
