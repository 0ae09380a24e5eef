"""Does a message carry a feeling, and which? A small lexicon, no model.

A reply that jumps straight to information can feel cold when someone has just said
they are lonely or scared. The FAQ action asks :func:`detect_feeling` first and, when it
finds one, opens with a line that reflects it (``utter_acknowledge_<feeling>``).

A feeling word counts only when the person says it about themselves: a first-person cue
("I feel", "I'm", "my", "me", "feeling"; not a bare "feel", as in "is it normal
to feel lonely?") shortly before it in the same sentence, or
anywhere in a long message (which is personal by its length). Negated words ("I'm not
angry") and topic names ("anxious attachment") do not count. The lexicon lives in
``feelings.yml`` beside this module, grouped by feeling. This never diagnoses: it only
picks which plain acknowledgement fits the words the person used.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).with_name("feelings.yml")
GENERIC = "generic"
# A message this long that speaks in the first person is personal throughout.
LONG_MESSAGE_WORDS = 25
# How many words before a feeling word a first-person cue may stand.
CUE_WINDOW = 4

_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|myself|feeling|felt)\b"
)
_NEGATION = re.compile(r"\b(?:not|never|no|don't|dont|isn't|wasn't|aren't|no\s+longer)\b")
# Topic names that contain feeling words ("anxious attachment", "the anxious style").
_TOPIC_AFTER = re.compile(r"^\W*(?:attachment|attached|style|pattern|type|preoccupied)\b")
_SENTENCE_END = re.compile(r"[.!?;\n]+")


@dataclass(frozen=True)
class Feeling:
    """A feeling found in a message.

    Attributes:
        name: The lexicon group (``lonely``, ``scared`` ... or ``generic``).
        words: The lexicon entries that matched, in message order.

    """

    name: str
    words: tuple[str, ...]

    @property
    def response(self) -> str:
        """The acknowledgement response for this feeling."""
        return f"utter_acknowledge_{self.name}"


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, tuple[str, ...]]:
    """Reads the feeling groups, in file order.

    Raises:
        ValueError: When a group is not a list of strings, or there is no generic group.

    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lexicon: dict[str, tuple[str, ...]] = {}
    for name, entries in data.items():
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ValueError(f"{path.name}: {name!r} must be a list of words or phrases")
        lexicon[str(name)] = tuple(e.strip().lower() for e in entries)
    if GENERIC not in lexicon:
        raise ValueError(f"{path.name}: needs a {GENERIC!r} group")
    return lexicon


def _entry_pattern(entry: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in entry.split()]
    if len(words) == 1:
        # A plain plural or -ed/-ing form of a single word ("panicking" is listed itself).
        return re.compile(rf"\b{words[0]}(?:s|es|ed|d|ing)?\b")
    return re.compile(r"\b" + r"\s+".join(words) + r"\b")


LEXICON = load_lexicon()
_PATTERNS = {
    name: [(entry, _entry_pattern(entry)) for entry in entries]
    for name, entries in LEXICON.items()
}


def _counts_here(sentence: str, start: int, end: int, personal: bool) -> bool:
    before = sentence[:start].split()[-CUE_WINDOW:]
    window = " ".join(before)
    if _NEGATION.search(window):
        return False
    if _TOPIC_AFTER.match(sentence[end:]):
        return False
    return personal or _FIRST_PERSON.search(window) is not None


def detect_feeling(text: str | None) -> Feeling | None:
    """The feeling a message carries, if it speaks of one in the first person.

    Args:
        text: The user's message (button payloads starting with "/" never count).

    Returns:
        The most frequent feeling group (ties: the earlier group in the lexicon, and a
        named feeling before ``generic``), or ``None``.

    """
    if not text or text.lstrip().startswith("/"):
        return None
    plain = text.lower().replace("\u2019", "'")
    personal = (
        len(plain.split()) >= LONG_MESSAGE_WORDS and _FIRST_PERSON.search(plain) is not None
    )
    counts: Counter[str] = Counter()
    found: list[tuple[int, str]] = []
    offset = 0
    for sentence in _SENTENCE_END.split(plain):
        for name, patterns in _PATTERNS.items():
            for entry, pattern in patterns:
                for match in pattern.finditer(sentence):
                    if _counts_here(sentence, match.start(), match.end(), personal):
                        counts[name] += 1
                        found.append((offset + match.start(), entry))
        offset += len(sentence) + 1
    if not counts:
        return None
    order = list(LEXICON)
    named = [n for n in counts if n != GENERIC]
    pool = named or [GENERIC]
    best = max(pool, key=lambda n: (counts[n], -order.index(n)))
    words = tuple(dict.fromkeys(entry for _, entry in sorted(found)))
    return Feeling(best, words)
