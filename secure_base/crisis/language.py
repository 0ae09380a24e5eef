"""The pattern language of the crisis rules: normalising words and compiling patterns.

The rules themselves are data (``rules.yml``, ``idioms.yml``, ``words.yml``, loaded by
``secure_base.crisis.rules``); ``secure_base.crisis.detector`` applies them. This module is
what turns a rule's text into spaCy matcher patterns and context tests.

How matching works
------------------
* Rule patterns are compiled (``compile_pattern``) into ``spacy.matcher.Matcher`` token
  patterns on ``NORM`` and ``LOWER``; fixed expressions go into a
  ``spacy.matcher.PhraseMatcher`` on ``LOWER``.
* Word tokens match on a normalised form (``normalise``): the token's spaCy lemma,
  lower-cased, overridden by the curated ``WORD_FORMS`` (``words.yml``: inflections, the pieces
  spaCy splits contractions into - "ca n't", "wo nt", "gon na" - slang, misspellings).
  Every word a rule uses is in that table or is matched as typed, so results do not
  depend on the tagger: the detector behaves the same on Rasa's lower-cased, parser-less
  ``SpacyNLP`` docs, on ``spacy.load("en_core_web_sm")`` docs in their original casing
  (upper-case contractions such as "DON'T" are split as in lower case), and on a blank
  tokenizer-only pipeline (the safety net's fallback), which has no lemmas at all. The
  normalised form is written to ``NORM`` on a copy of the doc (``normalised_copy``), so
  the ``Matcher`` compares hashes in C and the caller's doc is never modified.
* Gaps (``.``) never cross punctuation, so "man, this hits me" is not "man ... hits me".
* Context specs (``compile_context``) are the rules' exceptions ("cut myself *shaving*",
  "overdosed *on chocolate*"): token tests the detector runs around a match.

Nothing here loads a model or touches the disk.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Optional, Tuple

from secure_base.crisis.rules import ALL_RULES, MACROS, REGEXES, WORD_FORMS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from spacy.tokens import Doc, Token

# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})

# Parts of speech whose spaCy lemma we do not use (a pronoun's lemma "I" for "me"
# would be wrong for our purposes; proper-noun lemmas keep their casing).
_LITERAL_POS = frozenset(
    {"PRON", "DET", "ADP", "PART", "CCONJ", "SCONJ", "PUNCT", "NUM", "INTJ", "X", "SYM",
     "PROPN", "SPACE", ""}
)


def _lower(token: Token) -> str:
    return token.lower_.translate(_APOSTROPHES)


def normalise(token: Token) -> str:
    """The form a word pattern is compared with (written to ``NORM`` for matching).

    The curated table wins; words a rule spells literally are kept as typed; otherwise
    the token's spaCy lemma (lower-cased) for content words, or its lower-cased text.
    """
    low = _lower(token)
    known = _known_forms()
    if low in known:
        return known[low]
    lemma = token.lemma_.translate(_APOSTROPHES).lower()
    if not lemma:  # no lemmatizer (blank pipeline): strip a regular inflection
        return _strip_inflection(low, known)
    if token.pos_ in _LITERAL_POS:
        return low
    return lemma


_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ying", "ie"), ("es", ""), ("s", ""), ("ed", ""),
             ("ed", "e"), ("ing", ""), ("ing", "e"), ("d", ""))


def _strip_inflection(word: str, known: Dict[str, str]) -> str:
    """``word`` without a regular English ending, if that gives a word the rules use.

    Only used when there is no lemma; it maps onto rule vocabulary only ("sounds" ->
    "sound", "bleeds" -> "bleed", "stopped" -> "stop"), so it cannot invent matches.
    """
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)] + replacement
            if stem in known:
                return known[stem]
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in known:  # stopped
                return known[stem[:-1]]
    return word


@lru_cache(maxsize=1)
def _contractions() -> Dict[str, Tuple[str, ...]]:
    """English tokenizer exceptions that split one word into several ("don't")."""
    from spacy.lang.en import English
    from spacy.symbols import ORTH

    split: Dict[str, Tuple[str, ...]] = {}
    for text, pieces in English.Defaults.tokenizer_exceptions.items():
        orths = tuple(piece[ORTH] for piece in pieces)
        key = text.translate(_APOSTROPHES).lower()
        if len(orths) > 1 and "".join(orths).translate(_APOSTROPHES).lower() == key:
            split.setdefault(key, orths)
    return split


def _normalise_piece(piece: str) -> str:
    low = piece.translate(_APOSTROPHES).lower()
    known = _known_forms()
    return known.get(low) or _strip_inflection(low, known)


def normalised_copy(doc: Doc) -> Doc:
    """A copy of ``doc``'s tokens whose ``NORM`` is ``normalise(token)``.

    The rules match on ``NORM`` so that spaCy compares string hashes in C. The copy has
    the same text and character offsets; the caller's doc is not modified. Contractions
    spaCy leaves whole in upper case ("DON'T", "I'M", "CANT") are split as they would
    be in lower case, so shouting does not change what matches.
    """
    from spacy.tokens import Doc

    contractions = _contractions()
    words: List[str] = []
    spaces: List[bool] = []
    norms: List[str] = []
    for token in doc:
        pieces = contractions.get(_lower(token)) if len(token.text) > 1 else None
        if pieces:
            offset = 0
            for index, piece in enumerate(pieces):
                words.append(token.text[offset : offset + len(piece)])
                offset += len(piece)
                spaces.append(bool(token.whitespace_) if index == len(pieces) - 1 else False)
                norms.append(_normalise_piece(piece))
        else:
            words.append(token.text)
            spaces.append(bool(token.whitespace_))
            norms.append(normalise(token))
    copy = Doc(doc.vocab, words=words, spaces=spaces)
    for target, norm in zip(copy, norms, strict=False):
        target.norm_ = norm
    return copy


# --------------------------------------------------------------------------------------
# Pattern language
# --------------------------------------------------------------------------------------
# A pattern is a whitespace-separated sequence of token specs:
#   word | a|b|c      a token whose normalised form (``NORM`` on the copy) is one of these
#   =word | =a|b      a token whose lower-cased text is exactly one of these (for
#                     participles: "=beaten" must not match "beating")
#   @NAME             a word list from MACROS (words.yml), pasted in as a group
#   %NAME             a token whose lower-cased text fully matches REGEXES[NAME]
#                     (the spellings of words.yml)
#   #num              a token that looks like a number
#   .                 any token that is not punctuation (gaps never cross punctuation)
#   $end              (last spec only) the end of the text, or a token that is not a word
#   [x y|z]           a group of alternative token sequences; [..]? makes it optional
# Any single-token spec, and a group of single words, may end in ? * + or {m,n}.
# Context specs (unless_followed_by, unless_preceded_by, followed_by) use the same
# words, groups, macros, %regex, #num and $end, without quantifiers.


_QUANTIFIER = re.compile(r"^(?P<body>.+?)(?P<op>\?|\*|\+|\{\d*,?\d*\})?$")
_ALT = "\u00a6"  # token-level alternation produced by group expansion ("a¦b¦c")


def _expand_macros(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in MACROS:
            raise ValueError(f"unknown macro @{name}")
        text = MACROS[name]
        # A bare alternation is pasted in as a group so that it stays one unit inside
        # an enclosing group ("[him|my @INTIMATE]") or with a quantifier ("@ADV{0,3}").
        return text if text.startswith("[") else f"[{text}]"

    for _ in range(5):  # macros may use macros
        new = re.sub(r"@([A-Z_]+)", repl, text)
        if new == text:
            return new
        text = new
    raise ValueError("macro expansion does not terminate")


def _is_single(alternative: str) -> bool:
    return bool(alternative) and " " not in alternative and not re.search(
        r"[?*+{}.%#$@]", alternative
    )


_GROUP_OP = re.compile(r"^(\?|\*|\+|\{\d*,?\d*\})")


def _split_top(text: str) -> List[str]:
    """Splits a group body at ``|`` characters that are not inside a nested group."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _matching_bracket(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == "[":
            depth += 1
        elif text[index] == "]":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced [ in {text!r}")


def _expand_groups(pattern: str) -> List[str]:
    """Expands ``[a b|c]`` groups (outermost first) into separate patterns.

    Alternatives that are single words are merged into one token alternation, so a
    group of words costs one pattern, not one per word.
    """
    open_at = pattern.find("[")
    if open_at < 0:
        return [" ".join(pattern.split())]
    close_at = _matching_bracket(pattern, open_at)
    alternatives: List[str] = []
    for alternative in _split_top(pattern[open_at + 1 : close_at]):
        if (
            alternative.startswith("[")
            and alternative.endswith("]")
            and _matching_bracket(alternative, 0) == len(alternative) - 1
        ):
            alternatives.extend(_split_top(alternative[1:-1]))  # [a|[b|c]] == [a|b|c]
        else:
            alternatives.append(alternative)
    op_match = _GROUP_OP.match(pattern[close_at + 1 :])
    op = op_match.group(1) if op_match else ""
    after = pattern[close_at + 1 + len(op) :]
    before = pattern[:open_at]
    words = [a for a in alternatives if _is_single(a) and not a.startswith("=")]
    literals = [a for a in alternatives if _is_single(a) and a.startswith("=")]
    multis = [a for a in alternatives if a and not _is_single(a)]
    options: List[str] = []
    if words:
        options.append(_ALT.join(words))
    if literals:
        options.append("=" + _ALT.join(a[1:] for a in literals))
    options.extend(multis)
    if op and len(options) == 1 and not multis:
        options = [options[0] + op]
    elif op == "?":
        options.append("")
    elif op:
        raise ValueError(f"quantifier {op} on a group of sequences in {pattern!r}")
    expanded: List[str] = []
    for option in options:
        expanded.extend(_expand_groups(f"{before} {option} {after}"))
    return expanded


def normalise_word(word: str) -> str:
    """A word a rule uses, lower-cased with straight apostrophes and mapped by ``WORD_FORMS``."""
    word = word.translate(_APOSTROPHES).lower()
    return WORD_FORMS.get(word, word)


def _split_words(spec: str) -> List[str]:
    return [w for w in re.split(f"[|{_ALT}]", spec) if w]


@cache
def _words(spec: str) -> List[str]:
    return sorted({normalise_word(w) for w in _split_words(spec)})


def _literals(spec: str) -> List[str]:
    words = {w.translate(_APOSTROPHES).lower() for w in _split_words(spec.lstrip("="))}
    return sorted(words | {w.replace("'", "\u2019") for w in words})


def _token_spec(spec: str) -> Dict[str, object]:
    match = _QUANTIFIER.match(spec)
    if not match:
        raise ValueError(f"bad token spec {spec!r}")
    body, op = match.group("body"), match.group("op")
    if body == ".":
        token: Dict[str, object] = {"IS_PUNCT": False}
    elif body == "#num":
        token = {"LIKE_NUM": True}
    elif body.startswith("%"):
        name = body[1:]
        if name not in REGEXES:
            raise ValueError(f"unknown regex %{name}")
        token = {"LOWER": {"REGEX": rf"^(?:{REGEXES[name]})$"}}
    elif body.startswith("="):
        token = {"LOWER": {"IN": _literals(body)}}
    elif body.startswith("$"):
        raise ValueError(f"{body} is only allowed at the end of a pattern")
    else:
        token = {"NORM": {"IN": _words(body)}}
    if op:
        token["OP"] = op
    return token


TokenPattern = List[Dict[str, object]]


def compile_pattern(pattern: str) -> Tuple[List[TokenPattern], List[TokenPattern]]:
    """Compiles one rule pattern into spaCy ``Matcher`` token patterns.

    Returns:
        Two lists of token patterns: the plain ones, and the ones that must be followed
        by the end of the text (they ended in ``$end``).
    """
    plain: List[List[Dict[str, object]]] = []
    at_end: List[List[Dict[str, object]]] = []
    for expanded in _expand_groups(_expand_macros(pattern)):
        specs = expanded.split()
        if not specs:
            continue
        target = plain
        if specs[-1] == "$end":
            specs, target = specs[:-1], at_end
        if specs:
            target.append([_token_spec(spec) for spec in specs])
    return plain, at_end


TokenTest = Callable[["Token"], bool]


def _context_test(spec: str) -> TokenTest:
    if spec.startswith("%"):
        regex = re.compile(rf"^(?:{REGEXES[spec[1:]]})$")
        return lambda token: bool(regex.match(_lower(token)))
    if spec == "#num":
        return lambda token: bool(token.like_num)
    if spec.startswith("="):
        literals = frozenset(_literals(spec))
        return lambda token: _lower(token) in literals
    words = frozenset(_words(spec)) | frozenset(
        w.translate(_APOSTROPHES).lower() for w in _split_words(spec)
    )
    return lambda token: _lower(token) in words or token.norm_ in words


def compile_context(context: str) -> List[List[Optional[TokenTest]]]:
    """Compiles a context spec into token-test sequences (``None`` stands for ``$end``)."""
    sequences = []
    for expanded in _expand_groups(_expand_macros(context)):
        tests: List[Optional[TokenTest]] = []
        for spec in expanded.split():
            tests.append(None if spec == "$end" else _context_test(spec))
        if tests:
            sequences.append(tests)
    return sequences


def _is_end(doc: Doc, index: int) -> bool:
    if index >= len(doc) or index < 0:
        return True
    token = doc[index]
    return not (token.is_alpha or token.like_num or "'" in _lower(token))


def sequence_matches_at(
    doc: Doc, index: int, tests: List[Optional[TokenTest]], step: int
) -> bool:
    """Whether ``tests`` match the tokens from ``index`` on (``step=-1`` walks back)."""
    ordered = tests if step > 0 else list(reversed(tests))
    for offset, test in enumerate(ordered):
        position = index + offset * step
        if test is None:
            return _is_end(doc, position)
        if position < 0 or position >= len(doc) or not test(doc[position]):
            return False
    return True


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _known_forms() -> Dict[str, str]:
    """``WORD_FORMS`` plus every literal word a rule uses (kept as typed)."""
    known = dict(WORD_FORMS)
    texts: List[str] = []
    for rule in ALL_RULES:
        texts.extend(rule.patterns)
        texts.extend(rule.unless_followed_by)
        texts.extend(rule.unless_preceded_by)
        texts.extend(rule.followed_by)
    texts.extend(MACROS.values())
    for text in texts:
        for spec in re.split(r"[\s\[\]|]+", text):
            if not spec:
                continue
            word = _QUANTIFIER.match(spec).group("body").lstrip("=")
            if not word or word[0] in "@%#.${":
                continue
            word = word.translate(_APOSTROPHES).lower()
            if word not in known:
                known[word] = word
    return known


def vocabulary() -> FrozenSet[str]:
    """Every normalised word the rules can match (for tests and documentation)."""
    return frozenset(_known_forms().values())

