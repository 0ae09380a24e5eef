"""The article catalog as the website serves it: safe file look-ups and safe Markdown.

Reading and validating an ``articles/<slug>.md`` file is the catalog's job
(:func:`secure_base.catalog.articles.parse_article`): the website applies the very rules the
catalog import applies, so every article the assistant can link to has a page, and a file
the import rejects has none. What this module adds is what only a web server needs:

* a requested slug is checked before any path is built, and the file must sit directly
  in the articles folder, so a request can never name a file anywhere else;
* the Markdown body is rendered with raw HTML shown as text, and links may only use
  ``http``, ``https``, ``mailto`` or relative URLs.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as etree
from pathlib import Path
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from secure_base.catalog.articles import (
    ArticleSource,
    CatalogError,
    article_files,
    is_article_file_name,
    parse_article,
)
from secure_base.catalog.frontmatter import is_valid_slug

logger = logging.getLogger(__name__)

_ALLOWED_SCHEMES = frozenset({"", "http", "https", "mailto"})
_EXTERNAL = ("http", "https")
_CONTROL_CHARS = re.compile(r"[\x00-\x20\x7f]")


def article_path(articles_dir: Path, slug: str) -> Path | None:
    """Return the file of article ``slug`` in ``articles_dir``, or None if there is none.

    The slug is validated first and the resolved path must sit directly in the folder,
    so neither ``..`` nor a symbolic link can lead anywhere else.
    """
    if not is_valid_slug(slug):
        return None
    base = articles_dir.resolve()
    path = base / f"{slug}.md"
    if not is_article_file_name(path):
        return None
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != base or not resolved.is_file():
        return None
    return path


def load_article(articles_dir: Path, slug: str) -> ArticleSource | None:
    """Return the article ``slug``, or None when no such article file exists.

    Raises:
        CatalogError: When the file exists but the catalog rejects it.

    """
    path = article_path(articles_dir, slug)
    if path is None:
        return None
    article, problems = parse_article(path)
    if article is None:
        raise CatalogError(problems)
    return article


def list_articles(articles_dir: Path) -> list[ArticleSource]:
    """List every article the catalog accepts, newest first (then by title).

    Files the catalog rejects are left out, each with a warning in the log.
    """
    if not articles_dir.is_dir():
        return []
    found: list[ArticleSource] = []
    for path in article_files(articles_dir):
        try:
            article = load_article(articles_dir, path.stem)
        except CatalogError as exc:
            logger.warning("Skipping article: %s", exc)
            continue
        if article is not None:
            found.append(article)
    found.sort(key=lambda a: a.title.casefold())
    found.sort(key=lambda a: a.published, reverse=True)
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
