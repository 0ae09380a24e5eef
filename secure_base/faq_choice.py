"""Which FAQ answer to give, or whether to ask first.

The answer picker (``LinearResponseSelector``) ranks every topic key for every message.
When its best guess is weak, or the two best are close, a wrong answer is likely; a short
question with the two likeliest topics as buttons costs one click instead. A topic the
person named (a ``topic`` entity, found by the deterministic lookup table) settles it.
Thresholds and button titles live in ``faq_choice.yml`` beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

from secure_base.topics import TOPIC_KEYS

SETTINGS_FILE = Path(__file__).with_name("faq_choice.yml")
FAQ_INTENT = "faq"


@dataclass(frozen=True)
class ClarifySettings:
    """When to ask instead of answer.

    Attributes:
        min_confidence: Ask when the top key's confidence is below this.
        min_margin: Ask when the top two confidences differ by less than this.
        titles: Button title per topic key.
        ambiguous: Words that can mean two topics, and the words that settle them.

    """

    min_confidence: float
    min_margin: float
    titles: dict[str, str] = field(default_factory=dict)
    ambiguous: tuple[AmbiguousTerm, ...] = ()


@dataclass(frozen=True)
class AmbiguousTerm:
    """A word that can mean two topics ("boundaries"): ask unless the message settles it.

    Attributes:
        pattern: Matches the word in a message.
        settled_by: Per topic key, a pattern of words that point to that topic.

    """

    pattern: re.Pattern[str]
    settled_by: dict[str, re.Pattern[str]]

    def options(self, text: str) -> Optional[tuple[str, ...]]:
        """The topics to ask between, or ``None`` when the term is absent or settled."""
        if not self.pattern.search(text):
            return None
        if any(words.search(text) for words in self.settled_by.values()):
            return None
        return tuple(self.settled_by)


def _words(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)


def _terms(entry: dict) -> list:
    """An ambiguous entry's words: ``term`` (one) or ``terms`` (several ways to say it)."""
    return list(entry.get("terms") or [entry["term"]])


def load_settings(path: Path = SETTINGS_FILE) -> ClarifySettings:
    """Reads and checks the thresholds and titles.

    Raises:
        ValueError: On a threshold outside [0, 1] or a missing or unknown title key.

    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    clarify = data.get("clarify") or {}
    settings = ClarifySettings(
        min_confidence=float(clarify["min_confidence"]),
        min_margin=float(clarify["min_margin"]),
        titles={str(k): str(v) for k, v in (data.get("titles") or {}).items()},
        ambiguous=tuple(
            AmbiguousTerm(
                pattern=_words([str(t) for t in _terms(entry)]),
                settled_by={str(k): _words([str(w) for w in v])
                            for k, v in entry["settled_by"].items()},
            )
            for entry in data.get("ambiguous") or []
        ),
    )
    for entry in data.get("ambiguous") or []:
        unknown = set(entry["settled_by"]) - set(TOPIC_KEYS)
        if unknown or len(entry["settled_by"]) < 2:
            raise ValueError(f"{path.name}: ambiguous '{_terms(entry)[0]}' needs two or more "
                             f"topic keys (unknown: {sorted(unknown)})")
    for name in ("min_confidence", "min_margin"):
        if not 0.0 <= getattr(settings, name) <= 1.0:
            raise ValueError(f"{path.name}: clarify.{name} must be between 0 and 1")
    if set(settings.titles) != set(TOPIC_KEYS):
        raise ValueError(f"{path.name}: titles must name exactly the topic keys")
    return settings


SETTINGS = load_settings()


@dataclass(frozen=True)
class Choice:
    """What to do with an FAQ question.

    Attributes:
        key: The topic key to answer, or ``None`` to ask.
        options: When asking, the likeliest keys (best first; empty if nothing ranked).

    """

    key: Optional[str]
    options: tuple[str, ...] = ()


def faq_ranking(parse_data: dict[str, Any]) -> list[tuple[str, float]]:
    """The picker's ranking of topic keys for a message, best first.

    Reads Rasa's ``response_selector`` output (the ``faq`` group, or ``default``).
    A button payload has no ranking: it is parsed without the NLU pipeline.
    """
    selector = (parse_data or {}).get("response_selector") or {}
    group = selector.get(FAQ_INTENT) or selector.get("default") or {}
    ranking = group.get("ranking") or []
    result: list[tuple[str, float]] = []
    for entry in ranking:
        full = str(entry.get("intent_response_key") or "")
        key = full.split("/", 1)[1] if full.startswith(f"{FAQ_INTENT}/") else full
        if key in TOPIC_KEYS:
            result.append((key, float(entry.get("confidence") or 0.0)))
    if not result:
        # Only the prediction (no ranking): trust it as it stands.
        response = group.get("response") or {}
        full = str(response.get("intent_response_key") or "")
        key = full.split("/", 1)[1] if full.startswith(f"{FAQ_INTENT}/") else full
        if key in TOPIC_KEYS:
            result.append((key, float(response.get("confidence") or 1.0)))
    result.sort(key=lambda item: -item[1])
    return result


def choose(
    ranking: Sequence[tuple[str, float]],
    named_topics: Sequence[str] = (),
    settings: ClarifySettings = SETTINGS,
    *,
    text: str = "",
    last_topic: Optional[str] = None,
) -> Choice:
    """Answers the top key, a named topic, or asks between the two likeliest.

    Args:
        ranking: Topic keys with confidences, best first (:func:`faq_ranking`).
        named_topics: Topic keys the person named (``topic`` entities), in order.
        settings: Thresholds and ambiguous terms.
        text: The message (an ambiguous word in it, unsettled, means asking).
        last_topic: The topic under discussion: it settles a close call it is part of
            ("why?" after an answer is about that answer).

    Returns:
        The key to answer, or ``Choice(None, options)`` to ask.

    """
    if not ranking:
        named = [k for k in named_topics if k in TOPIC_KEYS]
        return Choice(named[0]) if named else Choice(None)
    top_key, top = ranking[0]
    if last_topic and not named_topics and points_back(text):
        # "why do people end up like that?" after an answer: still that answer's topic.
        return Choice(last_topic)
    for term in settings.ambiguous:
        options = term.options(text)
        if options and top_key in options and last_topic not in options:
            return Choice(None, options)
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if top >= settings.min_confidence and top - second >= settings.min_margin:
        return Choice(top_key)
    likely = [key for key, _ in ranking[:2]]
    # A topic the person named, or the one under discussion, settles a close call.
    for key in (*named_topics, last_topic):
        if key in likely:
            return Choice(key)
    return Choice(None, tuple(likely))


# A "why"/"how come" follow-up that points back at what was just explained ("why is
# that?", "why do people end up like that?"), in a short message. "am I stuck like this"
# is not one: it asks about the person, not the explanation.
_WHY_FIRST = re.compile(r"^\W*(?:(?:but|and|so|ok|okay|hmm+)\W+)*(?:why|how come|how so)\b",
                        re.IGNORECASE)
_BACK_REFERENCE = re.compile(
    r"\b(?:like (?:that|this)|that way|this way|(?:is|was|does|did|would) (?:that|this))\b",
    re.IGNORECASE,
)
POINTS_BACK_MAX_WORDS = 25


def points_back(text: str) -> bool:
    """Whether a short "why" question asks about what was just explained."""
    return (len(text.split()) <= POINTS_BACK_MAX_WORDS and bool(_WHY_FIRST.search(text))
            and bool(_BACK_REFERENCE.search(text)))


_LEGACY_PAYLOAD = re.compile(r"^/faq/([a-z_]+)\s*$")


def payload_key(text: str, named_topics: Sequence[str] = ()) -> Optional[str]:
    """The topic key a button payload asks about, for a message starting with "/".

    ``/faq{"topic": "<key>"}`` carries it as an entity (``named_topics``). Older buttons
    send ``/faq/<key>``, which Rasa 3.6 does not unpack (``faq/<key>`` is no domain
    intent) and passes to the NLU pipeline as text: the key is read from the text.
    """
    legacy = _LEGACY_PAYLOAD.match(text or "")
    if legacy and legacy.group(1) in TOPIC_KEYS:
        return legacy.group(1)
    named = [k for k in named_topics if k in TOPIC_KEYS]
    return named[0] if named else None


def title(key: str, settings: ClarifySettings = SETTINGS) -> str:
    """The button title for a topic key."""
    return settings.titles.get(key, key.replace("_", " ").capitalize())
