"""How to read a message made only of emoji, emoticons or punctuation.

Words are left to the NLU classifiers. A message with no letters or digits ("😢", "👍",
"...", "?", ":(") is read deterministically, because the classifiers see almost nothing
in it: spaCy keeps emoji as tokens, but the word n-grams drop them and the sentence
encoder was not trained on them. The emoji sets live in ``emoji_talk.yml`` (data, for
review without code changes); the ``emoji`` package is not a dependency, so anything
else is recognised with ``unicodedata``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Optional

import yaml

DATA_FILE = Path(__file__).with_name("emoji_talk.yml")

DISTRESS = "distress"
THANKS = "thanks"
AGREEMENT = "agreement"
UNCLEAR = "unclear"
#: Precedence when a message mixes kinds: distress first, so that a heavy moment is
#: never answered with "you're welcome".
KINDS = (DISTRESS, THANKS, AGREEMENT)

#: The intent each kind is given (``thanks`` and ``affirm`` are the existing intents, so
#: a 🙏 or a 👍 takes every path that "thanks" or "ok" takes).
INTENT_BY_KIND: Dict[str, str] = {
    DISTRESS: "distress_emoji",
    THANKS: "thanks",
    AGREEMENT: "affirm",
    UNCLEAR: "unclear_punctuation",
}

_ZERO_WIDTH_JOINER = "\u200d"
_KEYCAP = "\u20e3"
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_VARIATION_SELECTORS = frozenset(chr(c) for c in range(0xFE00, 0xFE10))
#: Code points that only modify or join the emoji around them.
_REPEATS = re.compile(r"(.)\1+")
_MODIFIERS = _SKIN_TONES | _VARIATION_SELECTORS | {_ZERO_WIDTH_JOINER, _KEYCAP}


@dataclass(frozen=True)
class EmojiSets:
    """The emoji (single code points, modifiers removed) and emoticons of each kind."""

    emoji: Dict[str, FrozenSet[str]]
    emoticons: Dict[str, FrozenSet[str]]


def strip_modifiers(text: str) -> str:
    """``text`` without variation selectors, skin tones, joiners and keycap marks."""
    return "".join(ch for ch in text if ch not in _MODIFIERS)


def load_sets(path: Path = DATA_FILE) -> EmojiSets:
    """Reads and checks the emoji sets.

    Raises:
        ValueError: If a kind is missing, or an emoji entry is not one emoji.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    emoji: Dict[str, FrozenSet[str]] = {}
    emoticons: Dict[str, FrozenSet[str]] = {}
    for kind in KINDS:
        section = data.get(kind)
        if not isinstance(section, dict):
            raise ValueError(f"{path.name}: missing section {kind!r}")
        singles = set()
        for entry in section.get("emoji") or []:
            bare = strip_modifiers(str(entry))
            if len(bare) != 1:
                raise ValueError(f"{path.name}: {kind} entry {entry!r} is not one emoji")
            singles.add(bare)
        emoji[kind] = frozenset(singles)
        emoticons[kind] = frozenset(str(e) for e in section.get("emoticons") or [])
    return EmojiSets(emoji=emoji, emoticons=emoticons)


@lru_cache(maxsize=1)
def default_sets() -> EmojiSets:
    """The sets from ``emoji_talk.yml``, read once."""
    return load_sets()


def _is_wordlike(ch: str) -> bool:
    """Letters and digits (any script) make a message text, not emoji talk."""
    return unicodedata.category(ch)[0] in {"L", "N"}


def classify(text: Optional[str], sets: Optional[EmojiSets] = None) -> Optional[str]:
    """The kind of an emoji-, emoticon- or punctuation-only message, else ``None``.

    Args:
        text: The message.
        sets: The emoji sets; defaults to ``emoji_talk.yml``.

    Returns:
        ``"distress"``, ``"thanks"``, ``"agreement"`` or ``"unclear"`` for a message
        without words; ``None`` for an empty message or one with any letter or digit
        (other than a known emoticon such as ``:D`` or ``T_T``).
    """
    if not text or not text.strip():
        return None
    sets = sets or default_sets()
    found = set()
    for token in text.split():
        # ":(((" is ":(" said louder.
        forms = {token, _REPEATS.sub(r"\1", token)}
        kind = next((k for k in KINDS if forms & sets.emoticons[k]), None)
        if kind:
            found.add(kind)
            continue
        for ch in strip_modifiers(token):
            kind = next((k for k in KINDS if ch in sets.emoji[k]), None)
            if kind:
                found.add(kind)
            elif _is_wordlike(ch):
                return None
            # Anything else is punctuation, a symbol or another emoji: no words.
    return next((k for k in KINDS if k in found), UNCLEAR)


def intent_for(text: Optional[str], sets: Optional[EmojiSets] = None) -> Optional[str]:
    """The intent for an emoji-, emoticon- or punctuation-only message, else ``None``."""
    kind = classify(text, sets)
    return INTENT_BY_KIND[kind] if kind else None
