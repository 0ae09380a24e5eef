"""Chat closings: is a message nothing but "that's all, thanks, bye"?

The risk classifier learns farewells from blind data in which a quiet goodbye is often a
warning sign, so an ordinary "nothing else, bye" can come out acute. A message made only
of the closed phrase lists in ``closings.yml`` (one of them limiting the goodbye to this
chat: "for now", "that's all", "talk later"...) carries no risk words at all; the safety
net then answers it with the check-in line instead of the full crisis response. Any other
word, a crisis rule's match, or a bare "bye" leaves the decision as it was.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

CLOSINGS_FILE = Path(__file__).with_name("closings.yml")

#: Everything that is not a letter, a digit or an apostrophe separates words (emoji and
#: punctuation included: "bye!! 👋" is "bye").
_SEPARATORS = re.compile(r"[^a-z0-9']+")


def chat_words(text: str) -> tuple[str, ...]:
    """The words of a chat message, lowercased, with the apostrophes people leave out.

    "Thats all, im off!! 👋" is ``("that's", "all", "i'm", "off")``; also read by
    :mod:`secure_base.crisis.reassurances`, so both closed lists see messages alike.
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\b(that|it|i)s\b", r"\1's", text)  # thats -> that's, its, is
    text = re.sub(r"\bim\b", "i'm", text)
    text = re.sub(r"\bwont\b", "won't", text)
    return tuple(word.strip("'") for word in _SEPARATORS.split(text) if word.strip("'"))


def padded_words(text: str) -> str:
    """The message's words (:func:`chat_words`) between spaces, for whole-word matching."""
    return " " + " ".join(chat_words(text)) + " "


@lru_cache(maxsize=1)
def _phrases() -> tuple[tuple[tuple[str, ...], ...], frozenset[tuple[str, ...]]]:
    """All phrases as word tuples (longest first), and the scoped ones."""
    data = yaml.safe_load(CLOSINGS_FILE.read_text(encoding="utf-8"))
    scoped = frozenset(chat_words(phrase) for phrase in data["scoped"])
    every = scoped | {chat_words(phrase) for phrase in data["filler"]}
    return tuple(sorted(every, key=len, reverse=True)), scoped


def is_chat_closing(text: str | None) -> bool:
    """Whether ``text`` is only closing phrases, one of them scoped to this chat.

    Args:
        text: The message.

    Returns:
        True for "ok nothing else, bye!", "that's all for now thanks"; False for "bye",
        "thanks for everything, goodbye", "that's all, i won't need the appointment".
    """
    words = chat_words(text or "")
    if not words or len(words) > 16:
        return False
    phrases, scoped = _phrases()
    position, saw_scoped = 0, False
    while position < len(words):
        for phrase in phrases:
            if words[position:position + len(phrase)] == phrase:
                position += len(phrase)
                saw_scoped = saw_scoped or phrase in scoped
                break
        else:
            return False
    return saw_scoped
