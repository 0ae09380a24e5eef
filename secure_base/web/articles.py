"""The article catalog as the website shows it: ``articles/<slug>.md`` files.

Each file starts with YAML front matter (``slug``, ``title``, ``summary``, ``topics``,
``published``, ``reading_minutes``) between ``---`` lines, followed by Markdown. Articles
are Markdown, not HTML: raw HTML in the body is shown as text, and links may only use
``http``, ``https``, ``mailto`` or relative URLs. Slugs are checked against a strict
pattern before any path is built, so a request can never name a file outside the folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import markdown
import yaml
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

logger = logging.getLogger(__name__)

#: Lower-case words joined by single hyphens, at most 100 characters.
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG_LENGTH = 100
_ALLOWED_SCHEMES = frozenset({"", "http", "https", "mailto"})
_EXTERNAL = ("http", "https")
_CONTROL_CHARS = re.compile(r"[\x00-\x20\x7f]")


class ArticleError(ValueError):
    """An article file exists but cannot be shown; the message says what to fix."""


@dataclass(frozen=True)
class Article:
    """One article: its front matter and its Markdown body."""

    slug: str
    title: str
    summary: str
    topics: tuple[str, ...]
    published: dt.date | None
    reading_minutes: int | None
    body: str

    def published_text(self) -> str:
        """Return the publication date for people, e.g. ``3 May 2024`` (empty when unknown)."""
        if self.published is None:
            return ""
        return f"{self.published.day} {self.published:%B %Y}"


def is_valid_slug(slug: str) -> bool:
    """Tell whether ``slug`` is a well-formed article slug (and so safe to use in a path)."""
    return len(slug) <= MAX_SLUG_LENGTH and SLUG_RE.fullmatch(slug) is not None


def split_front_matter(text: str) -> tuple[dict, str]:
    """Split a document into its YAML front matter (a mapping) and Markdown body.

    Raises:
        ArticleError: When the front matter is missing, unterminated or not a mapping.

    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ArticleError("the file must start with a '---' front matter line")
    end = next((i for i, line in enumerate(lines) if i and line.strip() in ("---", "...")), 0)
    if not end:
        raise ArticleError("the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise ArticleError(f"the front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ArticleError("the front matter must be a mapping of fields")
    return meta, "\n".join(lines[end + 1 :])


def _text_field(meta: dict, name: str, *, required: bool) -> str:
    value = meta.get(name)
    if value is None:
        if required:
            raise ArticleError(f"front matter field {name!r} is missing")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ArticleError(f"front matter field {name!r} must be text")
    value = str(value).strip()
    if required and not value:
        raise ArticleError(f"front matter field {name!r} is empty")
    return value


def _date_field(meta: dict) -> dt.date | None:
    value = meta.get("published")
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ArticleError("front matter field 'published' must be a date (YYYY-MM-DD)") from exc


def _minutes_field(meta: dict) -> int | None:
    value = meta.get("reading_minutes")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArticleError("front matter field 'reading_minutes' must be a positive number")
    return value


def parse_article(path: Path) -> Article:
    """Read one article file; its slug is the file name without ``.md``.

    Raises:
        ArticleError: When the file cannot be read or its front matter is invalid.

    """
    slug = path.stem
    if not is_valid_slug(slug):
        raise ArticleError(f"{path.name}: the file name is not a valid slug")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"{path.name}: cannot be read: {exc}") from exc
    try:
        meta, body = split_front_matter(text)
        declared = _text_field(meta, "slug", required=False)
        if declared and declared != slug:
            raise ArticleError(f"front matter slug {declared!r} differs from the file name")
        topics = meta.get("topics") or []
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise ArticleError("front matter field 'topics' must be a list of topic keys")
        return Article(
            slug=slug,
            title=_text_field(meta, "title", required=True),
            summary=_text_field(meta, "summary", required=False),
            topics=tuple(topics),
            published=_date_field(meta),
            reading_minutes=_minutes_field(meta),
            body=body,
        )
    except ArticleError as exc:
        raise ArticleError(f"{path.name}: {exc}") from exc


def article_path(articles_dir: Path, slug: str) -> Path | None:
    """Return the file of article ``slug`` in ``articles_dir``, or None if there is none.

    The slug is validated first and the resolved path must sit directly in the folder,
    so neither ``..`` nor a symbolic link can lead anywhere else.
    """
    if not is_valid_slug(slug):
        return None
    base = articles_dir.resolve()
    path = base / f"{slug}.md"
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != base or not resolved.is_file():
        return None
    return resolved


def load_article(articles_dir: Path, slug: str) -> Article | None:
    """Return the article ``slug``, or None when no such article exists.

    Raises:
        ArticleError: When the article exists but its file is invalid.

    """
    path = article_path(articles_dir, slug)
    return None if path is None else parse_article(path)


def list_articles(articles_dir: Path) -> list[Article]:
    """List every valid article, newest first (then by title); invalid files are logged."""
    if not articles_dir.is_dir():
        return []
    found: list[Article] = []
    for path in sorted(articles_dir.glob("*.md")):
        if article_path(articles_dir, path.stem) is None:
            continue
        try:
            found.append(parse_article(path))
        except ArticleError as exc:
            logger.warning("Skipping article: %s", exc)
    found.sort(key=lambda a: a.title.casefold())
    found.sort(key=lambda a: a.published or dt.date.min, reverse=True)
    return found


class _SafeLinks(Treeprocessor):
    """Drops link and image targets with unsafe schemes (``javascript:``, ``data:``...)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute is None or attribute not in element.attrib:
                continue
            if not is_safe_url(element.attrib[attribute]):
                del element.attrib[attribute]
            elif element.tag == "a" and urlsplit(element.attrib["href"]).scheme in _EXTERNAL:
                element.set("rel", "noopener noreferrer")


class _SafeLinksExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (library API)
        # Articles are Markdown only: raw HTML blocks and inline tags are shown as text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "secure_base_safe_links", 0)


def is_safe_url(url: str) -> bool:
    """Tell whether a link target uses an allowed scheme (http, https, mailto or relative)."""
    stripped = url.strip()
    if _CONTROL_CHARS.search(stripped):
        return False
    try:
        scheme = urlsplit(stripped).scheme.lower()
    except ValueError:
        return False
    return scheme in _ALLOWED_SCHEMES


def render_markdown(text: str) -> str:
    """Render an article body to HTML (raw HTML escaped, unsafe links dropped)."""
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", "smarty", _SafeLinksExtension()],
        output_format="html",
    )
    return md.convert(text)
