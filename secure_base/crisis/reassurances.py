"""Reassurances: does a reply to "are you safe right now?" say plainly that they are?

Read by the crisis policy (``secure_base/policies/crisis_policy.py``) only for the reply
to a safety question, and only when no curated crisis rule matched the reply: then a
plain statement of present safety ("please don't worry, I'm not going to do anything
foolish") is acknowledged as "yes, I'm safe" instead of answered with a second full
crisis response. The closed lists are in ``reassurances.yml``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from secure_base.crisis.closings import padded_words

REASSURANCES_FILE = Path(__file__).with_name("reassurances.yml")


@lru_cache(maxsize=1)
def _lists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = yaml.safe_load(REASSURANCES_FILE.read_text(encoding="utf-8"))
    return (tuple(padded_words(p) for p in data["phrases"]),
            tuple(padded_words(w) for w in data["never_with"]))


def is_reassurance(text: str | None) -> bool:
    """Whether ``text`` says plainly that the person is safe, with no word of doubt.

    "Oh, please don't worry, I am not going to do anything foolish." is; "I'm safe but
    not for long", "i won't do anything tonight" are not.
    """
    plain = padded_words(text or "")
    phrases, never = _lists()
    return any(p in plain for p in phrases) and not any(w in plain for w in never)
