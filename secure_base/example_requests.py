"""Whether a question asks for an example ("could you give an example of the anxious one?").

The NLU routes such a message to the FAQ answer when it names a topic; the answer action
then gives that topic's everyday example (``utter_example_<key>``) instead of the answer
itself. "For example, ..." inside a question is not a request for one.
"""

from __future__ import annotations

import re

_ASKS_FOR_EXAMPLE = re.compile(
    r"\b(?:give|show|got|have|share|offer|need|want|use)\b[^.?!]{0,30}?\bexamples?\b"
    r"|\b(?:an|another|any|some|one more)\s+(?:\w+\s+)?examples?\b"
    r"|\bexamples?\s*(?:\?|pls\b|please\b)"
    r"|\bwhat (?:would|does|might|could) (?:that|this|it) (?:actually )?look like\b",
    re.IGNORECASE,
)
_FOR_EXAMPLE = re.compile(r"\bfor (?:an )?example\b", re.IGNORECASE)


def asks_for_example(text: str) -> bool:
    """Whether ``text`` asks for an example (not just uses "for example")."""
    return bool(_ASKS_FOR_EXAMPLE.search(_FOR_EXAMPLE.sub(" ", text or "")))
