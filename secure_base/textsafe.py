r"""Text hygiene: no control or bidi characters in stored fields, terminals or exports.

What a visitor types ends up in the practice's database, in the staff terminal and in CSV
files opened in a spreadsheet. Three kinds of characters can mislead or attack there:

* control characters (Unicode category ``Cc``: ESC sequences recolour or rewrite a
  terminal, ``\r`` overwrites a line, C1 codes act as ESC on some terminals);
* format characters (``Cf``): bidi overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) make text display in another order than it is stored ("Trojan Source"),
  zero-width characters (U+200B-U+200D, U+2060, U+FEFF) hide text or make two equal
  looking values differ;
* line and paragraph separators (U+2028, U+2029), which some tools treat as newlines.

:func:`clean_text` removes them (keeping ``\n`` and ``\t``), :func:`clean_value` does it
inside nested JSON-like values, :func:`one_line` makes a value safe to print on one line,
and :func:`csv_cell` neutralises spreadsheet formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

_KEPT_CONTROLS = frozenset("\n\t")
_NEWLINES = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_unsafe(char: str) -> bool:
    if char in _KEPT_CONTROLS:
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def clean_text(value: str) -> str:
    r"""Remove control, format (bidi, zero-width) and separator characters from ``value``.

    Line breaks of every kind (``\r\n``, ``\r``, U+2028, U+2029, NEL) become ``\n``
    first, so a multi-line answer keeps its lines; ``\t`` is kept.

    Args:
        value: Any text.

    Returns:
        The text without the characters described in the module docstring.

    """
    if value.isascii() and value.isprintable():
        return value  # the common case: nothing to do
    for old, new in _NEWLINES.items():
        value = value.replace(old, new)
    return "".join(char for char in value if not _is_unsafe(char))


def clean_value(value: Any) -> Any:
    """:func:`clean_text` on every string inside ``value`` (dicts, lists, tuples).

    Dictionary keys are cleaned too; other values (numbers, booleans, ``None``) are
    returned unchanged.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_value(key): clean_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_value(item) for item in value)
    return value


def one_line(value: Any) -> str:
    """``value`` as text for one line of terminal output: cleaned, line breaks shown as ⏎.

    A newline in a stored answer must not start what looks like another field.
    """
    text = clean_text(str(value))
    return text.replace("\n", " ⏎ ").replace("\t", " ")


def csv_cell(value: Any) -> Any:
    """A value safe to write into a CSV cell that a spreadsheet may open.

    Text is cleaned (:func:`clean_text`), and text that starts with ``= + - @``, a tab or
    a carriage return gets a leading single quote, so spreadsheets show it as text instead
    of evaluating it (``=HYPERLINK(...)``, ``@SUM(...)``, ``+1+cmd|...``). Non-text values
    are returned unchanged (numbers are safe and stay numbers).
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        # Checked before cleaning too: a leading tab or CR is itself the trigger.
        return "'" + clean_text(value)
    text = clean_text(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
