"""Privacy requests: is a message only asking to delete, erase or not keep what was written?

Blind authors wrote that a request to erase what one told the assistant, often with
regret ("get rid of all that, I wish I hadn't written it"), must never get the full
crisis interruption; the risk classifier, which learned that regret and "get rid of it
all" sometimes come with a farewell, can read it as acute. A message that holds one of
the requests in ``privacy_requests.yml``, none of its ``never_with`` words (finality,
crisis words, someone else who checks or hurts the person), and that matched no crisis
rule, gets the check-in line instead (crisis numbers and "if any of this is about you
right now..."), with the normal answer. Like :mod:`secure_base.crisis.closings`, the
lists are closed and kept for clinical review.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from secure_base.crisis.closings import padded_words

PRIVACY_REQUESTS_FILE = Path(__file__).with_name("privacy_requests.yml")

#: Longer messages are judged as they are: there is room in them for something else.
MAX_WORDS = 40


@lru_cache(maxsize=1)
def _lists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The requests (every verb with every object, and the phrases), and the never-words."""
    data = yaml.safe_load(PRIVACY_REQUESTS_FILE.read_text(encoding="utf-8"))
    # Whole words, anywhere in the message: "delete what i" matches "...delete what i wrote".
    requests = {padded_words(f"{verb} {obj}")
                for verb in data["verbs"] for obj in data["objects"]}
    requests |= {padded_words(phrase) for phrase in data["phrases"]}
    return tuple(sorted(requests)), tuple(padded_words(word) for word in data["never_with"])


def is_privacy_request(text: str | None) -> bool:
    """Whether ``text`` asks to delete or not keep what was written, with no word of doubt.

    Args:
        text: The message.

    Returns:
        True for "erase all that stuff about my childhood i wrote earlier, got
        embarrassed", "pls don't save my number"; False for "delete everything, you won't
        hear from me again", "delete this before he checks my phone", "forget me".
    """
    plain = padded_words(text or "")
    if not plain.strip() or len(plain.split()) > MAX_WORDS:
        return False
    requests, never = _lists()
    return any(r in plain for r in requests) and not any(w in plain for w in never)
