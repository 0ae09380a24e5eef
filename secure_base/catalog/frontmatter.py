"""The rules for each field of an article's front matter.

:mod:`secure_base.catalog.articles` reads an article file and its YAML; this module checks
the values of its fields (slug, title, summary, topics, date, reading time, URL,
``further_reading`` and ``related``) and reports every problem with the line it is on.
``related`` slugs are only checked for form here: whether they name an existing article
needs the whole folder (:func:`secure_base.catalog.articles.validate_directory`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

import yaml

from secure_base.catalog.models import SLUG_MAX, SUMMARY_MAX, TITLE_MAX, URL_MAX
from secure_base.topics import TOPIC_KEYS

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

Report = Callable[[int, str], None]
"""Receives each problem found: its 1-based file line and the message."""


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
class Fields:
    """The checked values of an article's fields; ``None`` for a missing or invalid one.

    Attributes:
        slug: The slug, if valid and equal to the file name.
        title: The title, whitespace folded.
        summary: The summary, whitespace folded.
        topics: Topic keys (content or practice-logistics), the most relevant first.
        published: Publication date.
        reading_minutes: Estimated reading time in minutes.
        url: Canonical absolute http(s) URL, if given.
        further_reading: The valid further-reading entries, in the author's order.
        related: The valid related slugs, each with the line it is on.

    """

    slug: Optional[str]
    title: Optional[str]
    summary: Optional[str]
    topics: Optional[tuple[str, ...]]
    published: Optional[date]
    reading_minutes: Optional[int]
    url: Optional[str]
    further_reading: tuple[Reading, ...]
    related: tuple[tuple[str, int], ...]


def node_line(node: yaml.Node) -> int:
    """The 1-based file line of a front matter node (the front matter starts on line 2)."""
    # Marks are 0-based.
    return node.start_mark.line + 2


def check_fields(
    path: Path, values: dict[str, Any], nodes: dict[str, yaml.Node], report: Report
) -> Fields:
    """Checks every known field that is present; missing fields are the caller's report.

    Args:
        path: The article file (its name must equal the slug).
        values: Each field's value as YAML constructed it.
        nodes: Each field's YAML node, for line numbers.
        report: Called once per problem found, in field order.

    Returns:
        The checked values; the article is valid only if nothing was reported.

    """
    slug = _check_slug(path, values, nodes, report)
    return Fields(
        slug=slug,
        title=_check_text(values, nodes, "title", TITLE_MAX, report),
        summary=_check_text(values, nodes, "summary", SUMMARY_MAX, report),
        topics=_check_topics(values, nodes, report),
        published=_check_published(values, nodes, report),
        reading_minutes=_check_minutes(values, nodes, report),
        url=_check_url(values, nodes, report),
        further_reading=_check_further_reading(values, nodes, report),
        related=tuple(_check_related(values, nodes, slug, report)),
    )


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
    value, line = values["slug"], node_line(nodes["slug"])
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
    value, line = values[name], node_line(nodes[name])
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
        report(node_line(node), f"topics must be a list of topic keys, not {_type_name(value)}")
        return None
    if not value:
        report(node_line(node), "topics is empty: give at least one topic key")
        return None
    keys: list[str] = []
    ok = True
    for item_node, item in zip(node.value, value, strict=False):
        line = node_line(item_node)
        if not isinstance(item, str):
            report(line, f"topic must be a topic key, not {_type_name(item)}")
            ok = False
        elif item in keys:
            report(line, f"topic '{item}' is listed twice")
            ok = False
        elif item not in TOPIC_KEYS:
            hint = _closest_key(item)
            report(
                line, f"unknown topic key '{item}'" + (f" (did you mean '{hint}'?)" if hint else "")
            )
            ok = False
        else:
            keys.append(item)
    return tuple(keys) if ok else None


def _closest_key(value: str) -> Optional[str]:
    found = difflib.get_close_matches(value.lower(), TOPIC_KEYS, n=1, cutoff=0.6)
    return found[0] if found else None


def _check_published(values, nodes, report) -> Optional[date]:  # type: ignore[no-untyped-def]
    if "published" not in nodes:
        return None
    value, line = values["published"], node_line(nodes["published"])
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
    value, line = values["reading_minutes"], node_line(nodes["reading_minutes"])
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
    value, line = values["url"], node_line(nodes["url"])
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
            node_line(node),
            f"further_reading must be a list of entries with title, authors and year, "
            f"not {_type_name(value)}",
        )
        return ()
    if len(value) > MAX_READINGS:
        report(node_line(node), f"further_reading has {len(value)} entries; at most {MAX_READINGS}")
        return ()
    readings: list[Reading] = []
    for item_node, item in zip(node.value, value, strict=False):
        reading = _check_reading(item_node, item, report)
        if reading is not None:
            if reading in readings:
                report(node_line(item_node), f"further_reading lists '{reading.title}' twice")
                continue
            readings.append(reading)
    return tuple(readings)


def _check_reading(node: yaml.Node, item: Any, report) -> Optional[Reading]:  # type: ignore[no-untyped-def]
    line = node_line(node)
    if not isinstance(node, yaml.MappingNode) or not isinstance(item, dict):
        report(line, f"a further_reading entry must be a mapping, not {_type_name(item)}")
        return None
    lines = {k.value: node_line(v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
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
        report(node_line(node), f"related must be a list of article slugs, not {_type_name(value)}")
        return []
    if len(value) > MAX_RELATED:
        report(node_line(node), f"related has {len(value)} slugs; at most {MAX_RELATED}")
        return []
    found: list[tuple[str, int]] = []
    for item_node, item in zip(node.value, value, strict=False):
        line = node_line(item_node)
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
