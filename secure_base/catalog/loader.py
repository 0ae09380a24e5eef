"""Reading, validating and importing the Markdown articles of ``articles/``.

Each article is ``articles/<slug>.md``: a YAML front matter block between ``---`` lines,
then the Markdown body::

    ---
    slug: boundaries-without-guilt
    title: Boundaries without guilt
    summary: Why saying no can feel dangerous, and how it gets easier.
    topics: [boundaries_without_guilt, trusting_your_needs]
    published: 2024-05-02
    reading_minutes: 6
    url: https://example.org/blog/boundaries   # optional canonical URL
    further_reading:                            # optional: sources for the claims made
      - title: "Patterns of attachment"
        authors: "Ainsworth, M. D. S., Blehar, M. C., Waters, E., & Wall, S."
        year: 1978
        source: "Erlbaum"                       # optional: journal or publisher
        url: https://doi.org/...                # optional
    related: [setting-boundaries-without-guilt] # optional: slugs of other articles
    ---
    Body in Markdown...

Validation reports *every* problem, each with its file and line, so an author fixes a
batch of files in one pass. This is the only parser of article files: the website
(:mod:`secure_base.web.articles`) serves exactly the files it accepts, so every article
the assistant links to has a page. Import validates all files first and does not touch the
stored catalog unless every file is valid; then it upserts in the caller's transaction
and is idempotent (unchanged files, compared by content hash, are not written).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from secure_base.catalog.models import (
    SLUG_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    Article,
    ArticleTopic,
    seed_topics,
)
from secure_base.sqltypes import utcnow
from secure_base.topics import CONTENT_TOPIC_KEYS, TOPIC_KEYS

REQUIRED_FIELDS = ("slug", "title", "summary", "topics", "published", "reading_minutes")
OPTIONAL_FIELDS = ("url", "further_reading", "related")
READING_FIELDS = ("title", "authors", "year", "source", "url")
READING_REQUIRED = ("title", "authors", "year")
MAX_READINGS = 8
MAX_RELATED = 8
# Sources are printed studies and books: nothing before modern psychology, nothing future.
MIN_READING_YEAR = 1850
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_READING_MINUTES = 240
# Files in the articles folder that are not articles.
IGNORED_NAMES = {"readme.md"}


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, located in a file.

    Attributes:
        path: The article file.
        line: 1-based line number the problem is on (or closest to).
        message: What is wrong and, where useful, how to fix it.

    """

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Reading:
    """One further-reading entry of an article: a study or a book.

    Attributes:
        title: Title of the study or book.
        authors: Authors as they are cited (e.g. ``"Hazan, C., & Shaver, P."``).
        year: Year of publication.
        source: Journal or publisher, if given.
        url: Absolute http(s) URL (e.g. a DOI link), if given.

    """

    title: str
    authors: str
    year: int
    source: Optional[str] = None
    url: Optional[str] = None


@dataclass(frozen=True)
class ArticleSource:
    """A parsed, valid article file.

    Attributes:
        path: The file it was read from.
        slug: Unique slug (equals the file name without ``.md``).
        title: Title.
        summary: Short summary (at most :data:`~secure_base.catalog.models.SUMMARY_MAX`).
        topics: Topic keys, the most relevant first.
        published: Publication date.
        reading_minutes: Estimated reading time in minutes.
        url: Canonical absolute URL, if the article lives elsewhere.
        body: The Markdown body, stripped of surrounding blank space.
        slug_line: Line of the ``slug`` field (for duplicate reports).
        further_reading: Sources for the article's claims, in the author's order.
        related: Slugs of related articles (checked to exist by
            :func:`validate_directory`, which sees the whole catalog).
        related_lines: Line of each related slug (for reports of missing articles).

    """

    path: Path
    slug: str
    title: str
    summary: str
    topics: tuple[str, ...]
    published: date
    reading_minutes: int
    url: Optional[str]
    body: str
    slug_line: int = 1
    further_reading: tuple[Reading, ...] = ()
    related: tuple[str, ...] = ()
    related_lines: tuple[int, ...] = ()

    @property
    def content_hash(self) -> str:
        """SHA-256 over every stored field: equal hash means nothing to update."""
        payload = {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "topics": list(self.topics),
            "published": self.published.isoformat(),
            "reading_minutes": self.reading_minutes,
            "url": self.url,
            "body": self.body,
        }
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()


@dataclass
class CatalogReport:
    """The result of validating a folder of articles.

    Attributes:
        directory: The folder.
        files: Every article file looked at.
        articles: The files that parsed without problems.
        problems: Every problem found, sorted by file and line.

    """

    directory: Path
    files: list[Path] = field(default_factory=list)
    articles: list[ArticleSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the folder can be imported."""
        return not self.problems

    def format_problems(self) -> str:
        """Every problem, one ``file:line: message`` per line."""
        return "\n".join(str(p) for p in self.problems)


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


class CatalogError(Exception):
    """Article files are invalid: an import changes nothing, the website shows no page.

    Attributes:
        problems: Every problem found.

    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the articles:\n{lines}")


class _FrontMatterError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Splits a Markdown file into its YAML front matter and body.

    Args:
        text: The whole file.

    Returns:
        ``(front_matter, body, body_line)``: the YAML text (which starts on line 2 of
        the file), the body, and the 1-based line number on which the body starts.

    Raises:
        _FrontMatterError: When the file does not start with ``---`` or the block is
            never closed.

    """
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise _FrontMatterError(1, "the file must start with a '---' line opening the front matter")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise _FrontMatterError(1, "the front matter opened on line 1 is never closed with '---'")


def _line(node: yaml.Node) -> int:
    # The front matter starts on file line 2 and marks are 0-based.
    return node.start_mark.line + 2


def _construct(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def parse_article(path: Path) -> tuple[Optional[ArticleSource], list[Problem]]:
    """Parses and validates one article file.

    Args:
        path: The ``.md`` file.

    Returns:
        The article (``None`` if any problem was found) and the list of problems.

    """
    article, problems, _ = _parse(path)
    return article, problems


def _parse(path: Path) -> tuple[Optional[ArticleSource], list[Problem], Optional[tuple[str, int]]]:
    # Also returns the slug the file claims (with its line), valid or not, so the folder
    # check can report duplicates even between files that have other problems.
    problems: list[Problem] = []
    claim: Optional[tuple[str, int]] = None

    def report(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report(1, f"the file is not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None, problems, claim
    except OSError as exc:
        report(1, f"the file cannot be read: {exc.strerror}")
        return None, problems, claim

    try:
        front, body, body_line = split_front_matter(text)
    except _FrontMatterError as exc:
        report(exc.line, exc.message)
        return None, problems, claim

    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        report(line, f"the front matter is not valid YAML: {problem}")
        return None, problems, claim
    if not isinstance(root, yaml.MappingNode):
        report(2 if root is None else _line(root), "the front matter must be a mapping of fields")
        return None, problems, claim

    values: dict[str, Any] = {}
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            report(_line(key_node), "field names must be plain words")
            continue
        if key in nodes:
            first = _line(nodes[key])
            report(_line(key_node), f"field '{key}' is given twice (first on line {first})")
            continue
        if key not in REQUIRED_FIELDS and key not in OPTIONAL_FIELDS:
            allowed = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
            report(_line(key_node), f"unknown field '{key}' (allowed: {allowed})")
            continue
        try:
            values[key] = _construct(value_node)
        except yaml.YAMLError as exc:
            report(_line(value_node), f"field '{key}' cannot be read: {exc}")
            continue
        nodes[key] = value_node

    for name in REQUIRED_FIELDS:
        if name not in nodes:
            report(1, f"missing field '{name}'")

    if "slug" in nodes and isinstance(values["slug"], str | int):
        claim = (str(values["slug"]), _line(nodes["slug"]))
    slug = _check_slug(path, values, nodes, report)
    title = _check_text(values, nodes, "title", TITLE_MAX, report)
    summary = _check_text(values, nodes, "summary", SUMMARY_MAX, report)
    topics = _check_topics(values, nodes, report)
    published = _check_published(values, nodes, report)
    minutes = _check_minutes(values, nodes, report)
    url = _check_url(values, nodes, report)
    readings = _check_further_reading(values, nodes, report)
    related = _check_related(values, nodes, slug, report)
    body = body.strip()
    if not body:
        report(body_line, "the article body is empty (write the article below the closing '---')")

    if problems:
        return None, problems, claim
    article = ArticleSource(
        path=path,
        slug=slug,  # type: ignore[arg-type]
        title=title,  # type: ignore[arg-type]
        summary=summary,  # type: ignore[arg-type]
        topics=topics,  # type: ignore[arg-type]
        published=published,  # type: ignore[arg-type]
        reading_minutes=minutes,  # type: ignore[arg-type]
        url=url,
        body=body,
        slug_line=_line(nodes["slug"]),
        further_reading=readings,
        related=tuple(r for r, _ in related),
        related_lines=tuple(line for _, line in related),
    )
    return article, problems, claim


def _type_name(value: Any) -> str:
    return {
        str: "text",
        int: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _check_slug(path, values, nodes, report) -> Optional[str]:  # type: ignore[no-untyped-def]
    if "slug" not in nodes:
        return None
    value, line = values["slug"], _line(nodes["slug"])
    if not isinstance(value, str):
        report(line, f"slug must be text, not {_type_name(value)}")
        return None
    if not is_valid_slug(value):
        report(
            line,
            f"slug '{value}' must be lowercase letters, digits and single hyphens "
            f"(at most {SLUG_MAX} characters)",
        )
        return None
    if value != path.stem:
        report(
            line,
            f"slug '{value}' does not match the file name '{path.name}' (expected '{path.stem}')",
        )
        return None
    return value


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` is lowercase words joined by single hyphens, at most SLUG_MAX long."""
    return len(slug) <= SLUG_MAX and SLUG_RE.fullmatch(slug) is not None


def _check_text(values, nodes, name: str, limit: int, report) -> Optional[str]:  # type: ignore[no-untyped-def]
    if name not in nodes:
        return None
    value, line = values[name], _line(nodes[name])
    if not isinstance(value, str):
        report(line, f"{name} must be text, not {_type_name(value)}")
        return None
    value = " ".join(value.split())  # folded YAML and stray newlines become single spaces
    if not value:
        report(line, f"{name} is empty")
        return None
    if len(value) > limit:
        report(line, f"{name} is {len(value)} characters long; at most {limit} fit")
        return None
    return value


def _check_topics(values, nodes, report) -> Optional[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    if "topics" not in nodes:
        return None
    node, value = nodes["topics"], values["topics"]
    if not isinstance(node, yaml.SequenceNode) or not isinstance(value, list):
        report(_line(node), f"topics must be a list of topic keys, not {_type_name(value)}")
        return None
    if not value:
        report(_line(node), "topics is empty: give at least one topic key")
        return None
    keys: list[str] = []
    ok = True
    for item_node, item in zip(node.value, value, strict=False):
        line = _line(item_node)
        if not isinstance(item, str):
            report(line, f"topic must be a topic key, not {_type_name(item)}")
            ok = False
        elif item in keys:
            report(line, f"topic '{item}' is listed twice")
            ok = False
        elif item in TOPIC_KEYS and item not in CONTENT_TOPIC_KEYS:
            report(
                line, f"topic '{item}' is a practice-logistics topic; articles cover content topics"
            )
            ok = False
        elif item not in CONTENT_TOPIC_KEYS:
            hint = _closest_key(item)
            report(
                line, f"unknown topic key '{item}'" + (f" (did you mean '{hint}'?)" if hint else "")
            )
            ok = False
        else:
            keys.append(item)
    return tuple(keys) if ok else None


def _closest_key(value: str) -> Optional[str]:
    found = difflib.get_close_matches(value.lower(), CONTENT_TOPIC_KEYS, n=1, cutoff=0.6)
    return found[0] if found else None


def _check_published(values, nodes, report) -> Optional[date]:  # type: ignore[no-untyped-def]
    if "published" not in nodes:
        return None
    value, line = values["published"], _line(nodes["published"])
    if isinstance(value, datetime):
        report(line, "published must be a date like 2024-05-02, without a time")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    report(line, f"published must be a date like 2024-05-02, not {value!r}")
    return None


def _check_minutes(values, nodes, report) -> Optional[int]:  # type: ignore[no-untyped-def]
    if "reading_minutes" not in nodes:
        return None
    value, line = values["reading_minutes"], _line(nodes["reading_minutes"])
    if isinstance(value, bool) or not isinstance(value, int):
        report(line, f"reading_minutes must be a whole number, not {value!r}")
        return None
    if not 1 <= value <= MAX_READING_MINUTES:
        report(line, f"reading_minutes must be between 1 and {MAX_READING_MINUTES}, not {value}")
        return None
    return value


def _check_url(values, nodes, report) -> Optional[str]:  # type: ignore[no-untyped-def]
    if "url" not in nodes or values["url"] is None:
        return None
    value, line = values["url"], _line(nodes["url"])
    if not isinstance(value, str):
        report(line, f"url must be text, not {_type_name(value)}")
        return None
    value = value.strip()
    problem = url_problem(value)
    if problem:
        report(line, f"url {value!r} is malformed: {problem}")
        return None
    return value


def _check_further_reading(values, nodes, report) -> tuple[Reading, ...]:  # type: ignore[no-untyped-def]
    if "further_reading" not in nodes or values["further_reading"] is None:
        return ()
    node, value = nodes["further_reading"], values["further_reading"]
    if not isinstance(node, yaml.SequenceNode) or not isinstance(value, list):
        report(
            _line(node),
            f"further_reading must be a list of entries with title, authors and year, "
            f"not {_type_name(value)}",
        )
        return ()
    if len(value) > MAX_READINGS:
        report(_line(node), f"further_reading has {len(value)} entries; at most {MAX_READINGS}")
        return ()
    readings: list[Reading] = []
    for item_node, item in zip(node.value, value, strict=False):
        reading = _check_reading(item_node, item, report)
        if reading is not None:
            if reading in readings:
                report(_line(item_node), f"further_reading lists '{reading.title}' twice")
                continue
            readings.append(reading)
    return tuple(readings)


def _check_reading(node: yaml.Node, item: Any, report) -> Optional[Reading]:  # type: ignore[no-untyped-def]
    line = _line(node)
    if not isinstance(node, yaml.MappingNode) or not isinstance(item, dict):
        report(line, f"a further_reading entry must be a mapping, not {_type_name(item)}")
        return None
    lines = {k.value: _line(v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    ok = True
    for key in item:
        if key not in READING_FIELDS:
            allowed = ", ".join(READING_FIELDS)
            report(
                lines.get(key, line),
                f"unknown further_reading field {key!r} (allowed: {allowed})",
            )
            ok = False
    for key in READING_REQUIRED:
        if key not in item:
            report(line, f"a further_reading entry is missing '{key}'")
            ok = False
    texts: dict[str, Optional[str]] = {}
    for key in ("title", "authors", "source"):
        if key not in item or (key == "source" and item[key] is None):
            texts[key] = None
            continue
        text = item[key]
        if not isinstance(text, str) or not " ".join(text.split()):
            report(lines.get(key, line), f"further_reading {key} must be non-empty text")
            ok = False
            continue
        text = " ".join(text.split())
        if len(text) > TITLE_MAX:
            report(
                lines.get(key, line),
                f"further_reading {key} is longer than {TITLE_MAX} characters",
            )
            ok = False
        texts[key] = text
    year = item.get("year")
    if "year" in item:
        this_year = date.today().year
        if isinstance(year, bool) or not isinstance(year, int):
            report(
                lines.get("year", line),
                f"further_reading year must be a number like 1987, not {year!r}",
            )
            ok = False
        elif not MIN_READING_YEAR <= year <= this_year:
            report(
                lines.get("year", line),
                f"further_reading year must be between {MIN_READING_YEAR} and {this_year}, "
                f"not {year}",
            )
            ok = False
    url = item.get("url")
    if url is not None:
        problem = url_problem(url.strip()) if isinstance(url, str) else "it is not text"
        if problem:
            report(lines.get("url", line), f"further_reading url {url!r} is malformed: {problem}")
            ok = False
        else:
            url = url.strip()
    if not ok:
        return None
    return Reading(
        title=texts["title"],  # type: ignore[arg-type]
        authors=texts["authors"],  # type: ignore[arg-type]
        year=year,  # type: ignore[arg-type]
        source=texts["source"],
        url=url,
    )


def _check_related(values, nodes, slug, report) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    if "related" not in nodes or values["related"] is None:
        return []
    node, value = nodes["related"], values["related"]
    if not isinstance(node, yaml.SequenceNode) or not isinstance(value, list):
        report(_line(node), f"related must be a list of article slugs, not {_type_name(value)}")
        return []
    if len(value) > MAX_RELATED:
        report(_line(node), f"related has {len(value)} slugs; at most {MAX_RELATED}")
        return []
    found: list[tuple[str, int]] = []
    for item_node, item in zip(node.value, value, strict=False):
        line = _line(item_node)
        if not isinstance(item, str) or not is_valid_slug(item):
            report(line, f"related entry {item!r} is not an article slug")
        elif item == slug:
            report(line, f"related lists the article itself ('{item}')")
        elif item in (s for s, _ in found):
            report(line, f"related lists '{item}' twice")
        else:
            found.append((item, line))
    return found


def url_problem(value: str) -> Optional[str]:
    """Why ``value`` is not an absolute http(s) URL, or ``None`` when it is one."""
    if not value:
        return "it is empty"
    if len(value) > URL_MAX:
        return f"it is longer than {URL_MAX} characters"
    if any(ch.isspace() for ch in value):
        return "it contains spaces"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.netloc or not parts.hostname:
        return "it has no host name"
    return None


def is_article_file_name(path: Path) -> bool:
    """Whether ``path`` is named like an article (``*.md``, not README, hidden or draft)."""
    name = path.name
    return name.endswith(".md") and name.lower() not in IGNORED_NAMES and name[0] not in "._"


def article_files(directory: Path) -> list[Path]:
    """The article files of a folder (``*.md`` except README), sorted by name."""
    return sorted(p for p in directory.glob("*.md") if p.is_file() and is_article_file_name(p))


def validate_directory(directory: Path) -> CatalogReport:
    """Parses and validates every article in ``directory``.

    Besides each file's own problems, this finds slugs used by more than one file and
    refuses an empty folder (importing it would delete the whole catalog).

    Args:
        directory: The articles folder.

    Returns:
        The report; ``report.ok`` is true when everything can be imported.

    """
    directory = Path(directory)
    report = CatalogReport(directory=directory)
    if not directory.is_dir():
        report.problems.append(Problem(directory, 0, "the articles folder does not exist"))
        return report
    report.files = article_files(directory)
    if not report.files:
        report.problems.append(
            Problem(directory, 0, "no article files (*.md) found; refusing to empty the catalog")
        )
        return report
    claims: dict[str, list[tuple[Path, int]]] = {}
    for path in report.files:
        article, problems, claim = _parse(path)
        report.problems.extend(problems)
        if article is not None:
            report.articles.append(article)
        if claim is not None:
            claims.setdefault(claim[0], []).append((path, claim[1]))
    for slug, where in claims.items():
        if len(where) < 2:
            continue
        # Reported in every file that claims the slug, naming the others, so the author
        # sees the clash whichever file they open.
        for path, line in where:
            others = ", ".join(f"{p.name} line {ln}" for p, ln in where if p != path)
            report.problems.append(
                Problem(path, line, f"duplicate slug '{slug}': also used by {others}")
            )
        clashing = {p for p, _ in where}
        report.articles = [a for a in report.articles if a.path not in clashing]
    # Related links must lead to an article of this folder: checked over the whole
    # catalog, since one file cannot know the others. A link to a file that exists but
    # has problems is reported in that file already.
    for article in report.articles:
        for target, line in zip(article.related, article.related_lines, strict=True):
            if target not in claims:
                hint = difflib.get_close_matches(target, list(claims), n=1, cutoff=0.6)
                report.problems.append(
                    Problem(
                        article.path,
                        line,
                        f"related article '{target}' does not exist in {directory}"
                        + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                    )
                )
    bad = {p.path for p in report.problems}
    report.articles = [a for a in report.articles if a.path not in bad]
    report.problems.sort()
    return report


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
