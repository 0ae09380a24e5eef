"""Reading and validating the Markdown articles of ``articles/``.

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
batch of files in one pass. The rules for each field are in
:mod:`secure_base.catalog.frontmatter`; this module reads the files, checks what needs
the whole folder (unique slugs, related articles that exist) and touches no database.
This is the only parser of article files: the website (:mod:`secure_base.web.articles`)
serves exactly the files it accepts, so every article the assistant links to has a page,
and :mod:`secure_base.catalog.loader` imports exactly the articles it accepts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional

import yaml

from secure_base.catalog.frontmatter import (
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    Reading,
    check_fields,
    node_line,
)

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
        report(
            2 if root is None else node_line(root), "the front matter must be a mapping of fields"
        )
        return None, problems, claim

    values: dict[str, Any] = {}
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            report(node_line(key_node), "field names must be plain words")
            continue
        if key in nodes:
            first = node_line(nodes[key])
            report(node_line(key_node), f"field '{key}' is given twice (first on line {first})")
            continue
        if key not in REQUIRED_FIELDS and key not in OPTIONAL_FIELDS:
            allowed = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
            report(node_line(key_node), f"unknown field '{key}' (allowed: {allowed})")
            continue
        try:
            values[key] = _construct(value_node)
        except yaml.YAMLError as exc:
            report(node_line(value_node), f"field '{key}' cannot be read: {exc}")
            continue
        nodes[key] = value_node

    for name in REQUIRED_FIELDS:
        if name not in nodes:
            report(1, f"missing field '{name}'")

    if "slug" in nodes and isinstance(values["slug"], str | int):
        claim = (str(values["slug"]), node_line(nodes["slug"]))
    fields = check_fields(path, values, nodes, report)
    body = body.strip()
    if not body:
        report(body_line, "the article body is empty (write the article below the closing '---')")

    if problems:
        return None, problems, claim
    article = ArticleSource(
        path=path,
        slug=fields.slug,  # type: ignore[arg-type]
        title=fields.title,  # type: ignore[arg-type]
        summary=fields.summary,  # type: ignore[arg-type]
        topics=fields.topics,  # type: ignore[arg-type]
        published=fields.published,  # type: ignore[arg-type]
        reading_minutes=fields.reading_minutes,  # type: ignore[arg-type]
        url=fields.url,
        body=body,
        slug_line=node_line(nodes["slug"]),
        further_reading=fields.further_reading,
        related=tuple(r for r, _ in fields.related),
        related_lines=tuple(line for _, line in fields.related),
    )
    return article, problems, claim


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
