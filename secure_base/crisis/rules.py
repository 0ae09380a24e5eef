"""The curated crisis tables, read from the YAML files next to this module.

The tables are reviewed by clinicians and hold no code:

* ``rules.yml`` - the crisis rules, grouped by category;
* ``idioms.yml`` - figures of speech that explain a crisis match away;
* ``words.yml`` - the word lists (``@NAME``), spelling patterns (``%NAME``) and word
  forms the rules are written with.

This module turns them into Python objects (``RULES``, ``BENIGN_IDIOMS``, ``MACROS``,
``REGEXES``, ``WORD_FORMS``) and rejects a table it cannot read faithfully: an unknown
field or category, a value that is not text. The pattern language is
implemented in ``secure_base.crisis.language``; the detector that applies the rules is
``secure_base.crisis.detector``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

#: The folder of the YAML tables (next to this module).
TABLES = Path(__file__).resolve().parent

SUICIDAL_IDEATION = "suicidal_ideation"
SELF_HARM = "self_harm"
PLAN_OR_MEANS = "plan_or_means"
BURDEN = "burden"
GOODBYE = "goodbye"
DANGER_FROM_OTHERS = "danger_from_others"
ABUSE = "abuse"
BENIGN = "benign"

#: Crisis categories, most urgent first; when several rules match, the reported match is
#: the one with the most urgent category (then the earliest).
CATEGORIES: Tuple[str, ...] = (
    PLAN_OR_MEANS,
    SUICIDAL_IDEATION,
    SELF_HARM,
    GOODBYE,
    BURDEN,
    DANGER_FROM_OTHERS,
    ABUSE,
)


@dataclass(frozen=True)
class Rule:
    """One documented detection rule (or, with category ``benign``, one exclusion)."""

    name: str
    category: str
    about: str
    patterns: Tuple[str, ...] = ()
    phrases: Tuple[str, ...] = ()
    #: The match is dropped if the tokens right after it start one of these.
    unless_followed_by: Tuple[str, ...] = ()
    #: The match is dropped if the tokens right before it end with one of these.
    unless_preceded_by: Tuple[str, ...] = ()
    #: If given, the tokens right after the match must start one of these.
    followed_by: Tuple[str, ...] = ()
    #: The match is dropped if one of these words comes within the next few tokens of
    #: the same clause (e.g. "a burden to my therapist *when* I email").
    unless_soon_after: Tuple[str, ...] = ()


#: The exception fields of a rule (idioms have none: the detector never checks them).
_CONTEXT_FIELDS = ("unless_followed_by", "unless_preceded_by", "followed_by",
                   "unless_soon_after")
_RULE_FIELDS = frozenset(field.name for field in fields(Rule)) - {"category"}
_LIST_FIELDS = _RULE_FIELDS - {"name", "about"}

# YAML folds a line break inside a quoted pattern into a space; a pattern may be broken
# after a "|", so spaces around "|" are not part of the pattern.
_SPACE_AROUND_BAR = re.compile(r"\s*\|\s*")


def _load(filename: str) -> Dict[str, Any]:
    """A table as plain strings, lists and mappings (no YAML type guessing: "no" stays text)."""
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    with (TABLES / filename).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def _texts(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: expected a list of text")
    return tuple(value)


def _rule(entry: Any, category: str, filename: str) -> Rule:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ValueError(f"{filename}: every rule needs a name")
    where = f"{filename}: rule {entry['name']}"
    unknown = set(entry) - _RULE_FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    if not isinstance(entry.get("about"), str) or not entry["about"].strip():
        raise ValueError(f"{where}: needs an 'about'")
    values: Dict[str, Any] = {"name": entry["name"], "about": entry["about"]}
    for field in _LIST_FIELDS & set(entry):
        texts = _texts(entry[field], f"{where}, {field}")
        if field != "phrases":
            texts = tuple(_SPACE_AROUND_BAR.sub("|", text) for text in texts)
        values[field] = texts
    if category == BENIGN and any(field in entry for field in _CONTEXT_FIELDS):
        raise ValueError(f"{where}: an idiom cannot have exceptions")
    return Rule(category=category, **values)


def _load_rules(filename: str, categories: Tuple[str, ...]) -> Tuple[Rule, ...]:
    """The rules of a table whose top-level keys are categories, in file order."""
    rules: List[Rule] = []
    for category, entries in _load(filename).items():
        if category not in categories:
            raise ValueError(f"{filename}: unknown category {category!r}")
        if not isinstance(entries, list):
            raise ValueError(f"{filename}: {category} must be a list of rules")
        rules.extend(_rule(entry, category, filename) for entry in entries)
    return tuple(rules)


def _parse_word_forms(table: str) -> Dict[str, str]:
    """``{form: base}`` from lines ``base: form form ...`` (a later line wins)."""
    forms: Dict[str, str] = {}
    for line in table.strip().splitlines():
        base, _, rest = line.partition(":")
        base = base.strip()
        forms.setdefault(base, base)
        for form in rest.split():
            forms[form] = base
    return forms


_WORDS = _load("words.yml")

#: ``@NAME`` word lists: ``NAME -> "a|b c|d"`` (pasted into a pattern as a group).
MACROS: Dict[str, str] = {
    name: "|".join(_texts(items, f"words.yml: word list {name}"))
    for name, items in _WORDS["word_lists"].items()
}

#: ``%NAME`` spelling patterns: regular expressions a whole token must match.
REGEXES: Dict[str, str] = dict(_WORDS["spellings"])

#: Curated ``surface form -> normalised form`` table (see ``secure_base.crisis.language``).
WORD_FORMS: Dict[str, str] = _parse_word_forms(_WORDS["word_forms"])
WORD_FORMS.update(_WORDS["tagger_overrides"])

#: The crisis rules (``rules.yml``), in file order.
RULES: Tuple[Rule, ...] = _load_rules("rules.yml", CATEGORIES)

#: Benign figures of speech (``idioms.yml``): a crisis match that overlaps one of these
#: does not fire.
BENIGN_IDIOMS: Tuple[Rule, ...] = _load_rules("idioms.yml", (BENIGN,))

ALL_RULES: Tuple[Rule, ...] = RULES + BENIGN_IDIOMS
