"""Deterministic crisis detection: the detector that applies the curated rules.

This is the second, rule-based layer of Secure Base's crisis safety net (the first is the
intent classifier's ``crisis`` intent). It has to recognise, every time, a person who says
they want to die, are hurting themselves, have a plan or the means, feel like a burden,
are saying goodbye, are in danger from someone else, or are being abused; and it must stay
quiet on ordinary figures of speech ("this homework is killing me", "I'm dying to know").

Where things are
----------------
* The rules, grouped by category, are data: ``rules.yml``; the figures of speech that
  explain a match away: ``idioms.yml``; the word lists, spellings and word forms they are
  written with: ``words.yml`` (all read by ``secure_base.crisis.rules``).
* The pattern language and word normalisation: ``secure_base.crisis.language``.
* This module compiles every rule into spaCy matchers and decides which matches count.

What counts as a match
----------------------
A match is dropped when it overlaps a benign idiom ("killing me", "dying to", "die of
embarrassment", "dead tired", "shoot myself in the foot", "cut myself some slack", ...)
or when the rule's own context says it is something else (``unless_followed_by`` etc.:
"cut myself shaving", "overdosed on chocolate", "I don't want to live with my parents").
Benign idioms are kept narrow so that they can never cover a real disclosure ("I'd be
better off dead right now" must not be excused as "dead right").

Design stance
-------------
Missing a person in crisis is far worse than an unnecessary check-in, so ambiguous but
plausible disclosures fire on purpose. There is no negation handling: "I'd never kill
myself" still fires, because people in crisis often phrase it that way. Known, accepted
over-triggers are listed in ``tests/test_crisis_patterns.py`` (``DELIBERATE_OVER_TRIGGERS``:
e.g. "my mum would kill me if she knew", "I'd rather die than sing karaoke", any mention
of suicide).

Nothing here loads a model or touches the disk; rules are compiled when a
``CrisisDetector`` is constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Tuple

from secure_base.crisis.language import (
    TokenPattern,
    TokenTest,
    compile_context,
    compile_pattern,
    normalise_word,
    normalised_copy,
    sequence_matches_at,
)
from secure_base.crisis.rules import ALL_RULES, BENIGN, CATEGORIES, Rule

if TYPE_CHECKING:  # pragma: no cover - typing only
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

#: How many tokens after a match ``unless_soon_after`` looks at (within a clause).
SOON_AFTER_WINDOW = 6


@dataclass(frozen=True)
class CrisisMatch:
    """Why a text was flagged: the rule, its category and where it matched."""

    rule: str
    category: str
    start_char: int
    end_char: int

    def as_dict(self) -> Dict[str, object]:
        """A JSON-friendly summary (never the user's text)."""
        return {"rule": self.rule, "category": self.category}


_CATEGORY_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}

_ContextSeqs = Tuple[List[Optional[TokenTest]], ...]


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    unless_followed_by: _ContextSeqs
    unless_preceded_by: _ContextSeqs
    followed_by: _ContextSeqs
    unless_soon_after: FrozenSet[str] = frozenset()


def _compile_contexts(contexts: Sequence[str]) -> _ContextSeqs:
    return tuple(seq for context in contexts for seq in compile_context(context))


class CrisisDetector:
    """Finds crisis disclosures in spaCy docs with curated rules.

    Construct it once per spaCy ``Language`` (compiling the rules takes about a second)
    and reuse it; ``detect`` is cheap.

    Args:
        nlp: The ``Language`` whose vocabulary and tokenizer the rules are compiled with:
            ``spacy.load("en_core_web_sm")`` or a blank ``spacy.blank("en")`` (the rules
            do not need a tagger). Docs given to ``detect`` may come from any English
            spaCy pipeline (the matchers compare string hashes, which do not depend on
            the vocabulary); ``detect_text`` uses ``nlp`` itself.
        validate: Validate every compiled pattern against spaCy's schema (slow; the
            tests do it once).
    """

    def __init__(self, nlp: Language, validate: bool = False) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self._nlp = nlp
        self._matcher = Matcher(nlp.vocab, validate=validate)
        self._phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._compiled: Dict[int, _Compiled] = {}
        for rule in ALL_RULES:
            plain: List[TokenPattern] = []
            at_end: List[TokenPattern] = []
            for pattern in rule.patterns:
                p, e = compile_pattern(pattern)
                plain.extend(p)
                at_end.extend(e)
            compiled = _Compiled(
                rule,
                _compile_contexts(rule.unless_followed_by),
                _compile_contexts(rule.unless_preceded_by),
                _compile_contexts(rule.followed_by),
                frozenset(normalise_word(w) for w in rule.unless_soon_after),
            )
            if plain or rule.phrases:
                name = f"secure_base_crisis:{rule.name}"
                self._register(name, compiled)
                if plain:
                    self._matcher.add(name, plain)
                if rule.phrases:
                    variants = sorted(
                        {v for ph in rule.phrases for v in (ph, ph.replace("'", "\u2019"))}
                    )
                    self._phrase_matcher.add(name, [nlp.make_doc(v) for v in variants])
            if at_end:
                # Patterns ending in $end: the same rule, but the text must end there.
                name = f"secure_base_crisis:{rule.name}$end"
                self._register(name, replace(compiled, followed_by=([None],)))
                self._matcher.add(name, at_end)

    def _register(self, name: str, compiled: _Compiled) -> int:
        key = self._nlp.vocab.strings.add(name)
        if key in self._compiled:
            raise ValueError(f"duplicate rule name {name}")
        self._compiled[key] = compiled
        return key

    @classmethod
    def from_nlp(cls, nlp: Language) -> CrisisDetector:
        """A detector for ``nlp`` (same as the constructor)."""
        return cls(nlp)

    @classmethod
    def blank(cls, vocab: Optional[Vocab] = None) -> CrisisDetector:
        """A detector on a blank English tokenizer: loads no model, downloads nothing.

        Args:
            vocab: Share this vocabulary (e.g. the one of the docs it will see).
        """
        import spacy

        nlp = spacy.blank("en", vocab=vocab) if vocab is not None else spacy.blank("en")
        return cls(nlp)

    @property
    def nlp(self) -> Language:
        """The ``Language`` the rules were compiled with."""
        return self._nlp

    def detect(self, doc: Doc) -> Optional[CrisisMatch]:
        """The most urgent crisis match in ``doc``, or ``None``."""
        matches = self.detect_all(doc)
        return matches[0] if matches else None

    def detect_text(self, text: Optional[str]) -> Optional[CrisisMatch]:
        """Runs the detector's own pipeline on ``text`` and detects (``None`` if empty)."""
        if not text or not text.strip():
            return None
        return self.detect(self._nlp(text))

    def _raw_matches(self, doc: Doc) -> Tuple[Doc, List[Tuple[_Compiled, int, int]]]:
        """The normalised copy of ``doc`` and every rule and idiom match in it (tokens)."""
        doc = normalised_copy(doc)
        raw = list(self._matcher(doc)) + list(self._phrase_matcher(doc))
        return doc, [(self._compiled[key], start, end) for key, start, end in raw]

    def detect_all(self, doc: Doc) -> List[CrisisMatch]:
        """Every crisis match that survives the exclusions, most urgent first."""
        if len(doc) == 0:
            return []
        doc, raw = self._raw_matches(doc)
        benign: List[Tuple[int, int]] = []
        candidates: List[Tuple[_Compiled, int, int]] = []
        for compiled, start, end in raw:
            if compiled.rule.category == BENIGN:
                benign.append((start, end))
            else:
                candidates.append((compiled, start, end))
        found: Dict[Tuple[str, int, int], CrisisMatch] = {}
        for compiled, start, end in candidates:
            if any(start < b_end and b_start < end for b_start, b_end in benign):
                continue
            if not _context_allows(compiled, doc, start, end):
                continue
            span = doc[start:end]
            found[(compiled.rule.name, start, end)] = CrisisMatch(
                compiled.rule.name, compiled.rule.category, span.start_char, span.end_char
            )
        return sorted(
            found.values(),
            key=lambda m: (_CATEGORY_RANK.get(m.category, 99), m.start_char, m.rule),
        )

    def benign_spans(self, doc: Doc) -> List[Tuple[str, int, int]]:
        """The benign idioms found in ``doc`` as ``(rule, start_char, end_char)``."""
        if len(doc) == 0:
            return []
        doc, raw = self._raw_matches(doc)
        return [
            (compiled.rule.name, doc[start:end].start_char, doc[start:end].end_char)
            for compiled, start, end in raw
            if compiled.rule.category == BENIGN
        ]


def _context_allows(compiled: _Compiled, doc: Doc, start: int, end: int) -> bool:
    for tests in compiled.unless_followed_by:
        if sequence_matches_at(doc, end, tests, 1):
            return False
    for tests in compiled.unless_preceded_by:
        if sequence_matches_at(doc, start - 1, tests, -1):
            return False
    if compiled.unless_soon_after:
        for token in doc[end : end + SOON_AFTER_WINDOW]:
            if token.is_punct:
                break
            if token.norm_ in compiled.unless_soon_after:
                return False
    if compiled.followed_by:
        return any(sequence_matches_at(doc, end, tests, 1) for tests in compiled.followed_by)
    return True
