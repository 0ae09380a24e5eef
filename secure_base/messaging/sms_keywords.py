"""The keywords carriers expect on SMS (and that WhatsApp users type too): STOP, START, HELP.

A keyword is a whole message: ``stop``, `` Stop. `` and ``STOP!`` are STOP; "please stop
texting me about stopping" is not (it reaches the assistant as any message does). The
replies come from the practice profile (name, contact, the region's first crisis line).
"""

from __future__ import annotations

import enum
import re
from typing import Optional

from secure_base.profile import PracticeProfile


class Keyword(enum.Enum):
    """What a keyword asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"


#: The words each keyword is (US carriers' and Twilio's lists).
KEYWORDS: dict[Keyword, frozenset[str]] = {
    Keyword.STOP: frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit",
                             "optout", "revoke"}),
    Keyword.START: frozenset({"start", "unstop", "yes"}),
    Keyword.HELP: frozenset({"help", "info"}),
}

_WORD_BY_KEYWORD = {word: keyword for keyword, words in KEYWORDS.items() for word in words}
# Punctuation a phone keyboard adds around one word ("Stop.", "STOP!!", "\"stop\"").
_AROUND = re.compile(r"^[\s\"'“”‘’.,!?;:()*_-]+|[\s\"'“”‘’.,!?;:()*_-]+$")


def keyword_of(text: Optional[str]) -> Optional[Keyword]:
    """The keyword ``text`` is, if the whole message is one (any case and spacing)."""
    word = _AROUND.sub("", text or "").casefold()
    return _WORD_BY_KEYWORD.get(word)


def _crisis_line(profile: PracticeProfile) -> str:
    return profile.crisis.current().lines[0].rstrip(".")


def stop_reply(profile: PracticeProfile) -> str:
    """The one confirmation of an opt-out."""
    return (f"You're unsubscribed from {profile.practice.name} and will get no more "
            f"messages. Reply START to resume. In a crisis: {_crisis_line(profile)}.")


def start_reply(profile: PracticeProfile) -> str:
    """The confirmation that messages resume."""
    return (f"You're resubscribed to {profile.practice.name}'s assistant: write your "
            "question any time. Reply HELP for help, STOP to unsubscribe.")


def help_reply(profile: PracticeProfile) -> str:
    """Who is writing, how to reach a person, how to stop; and the crisis line."""
    contact = profile.contact
    return (f"{profile.practice.name} (automated assistant): call {contact.phone} or "
            f"email {contact.email}. Reply STOP to unsubscribe. "
            f"In a crisis: {_crisis_line(profile)}.")
