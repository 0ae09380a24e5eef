"""Pure parsing and validation of intake answers (no Rasa, no database).

Each parser takes the text the person typed (or a button payload) and returns the
normalised value, or ``None`` / raises :class:`InvalidAnswer` with a reason that can be
shown to the person. The form validation action (``actions/intake/``) turns these
into friendly re-asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Optional

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "US"
MAX_NAME_LENGTH = 80
MAX_FREE_TEXT_LENGTH = 2000
MAX_REGION_LENGTH = 120
MAX_AGE = 120

QUESTION_WORDS = (
    "what",
    "how",
    "why",
    "can",
    "is",
    "do",
    "does",
    "will",
    "should",
    "where",
    "when",
)

YES_WORDS = {
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "sure",
    "ok",
    "okay",
    "correct",
    "affirm",
    "yes please",
    "yes i do",
    "yes i have",
    "i do",
    "i have",
    "i agree",
    "agree",
    "that s right",
    "thats right",
    "right",
    "absolutely",
    "definitely",
    "of course",
    "yes it is",
    "yes that s right",
    "yes send it",
    "send it",
    "looks good",
    "all good",
    "yes i consent",
    "i consent",
    "consent",
}
NO_WORDS = {
    "no",
    "n",
    "nope",
    "nah",
    "na",
    "not really",
    "deny",
    "no i don t",
    "no i haven t",
    "i don t",
    "i haven t",
    "never",
    "no thanks",
    "no thank you",
    "i disagree",
    "i don t agree",
    "i do not agree",
    "no i do not",
    "i do not consent",
    "i don t consent",
    "not now",
    "no i have not",
    "no never",
    "nope never",
}
# Rasa button payloads of the form "/intent" for yes and no.
YES_PAYLOADS = {"/affirm"}
NO_PAYLOADS = {"/deny"}


class InvalidAnswer(ValueError):
    """An answer that cannot be used.

    ``str(exc)`` says why, for tests and developers; the person gets a plain-language
    response chosen by ``kind`` (``"invalid"``, or ``"too_long"`` for free text).
    """

    def __init__(self, message: str = "", kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def normalise(text: str) -> str:
    """Lower case, apostrophes and punctuation as spaces, single spaces."""
    text = text.strip().lower().replace("\u2019", "'")
    text = re.sub(r"[^a-z0-9+ ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


#: Questions asked without a question mark ("I should like to know who reads this").
_INDIRECT_QUESTION = re.compile(
    r"\b(i (would|d|should) like to know|i want to know|i need to know|i wonder|"
    r"i was wondering|i am wondering|i m wondering|(can|could|would) you tell me|"
    r"tell me (who|what|how|whether|if|when|where|why))\b")


def looks_like_question(text: Any) -> bool:
    """Whether a message reads like a question.

    A "?" anywhere in it, a question word first, or an indirect question ("I should like
    to know whether...").
    """
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    if not stripped:
        return False
    if "?" in stripped:
        return True
    norm = _QUESTION_LEAD.sub("", normalise(stripped))
    words = norm.split()
    return bool(words) and (words[0] in QUESTION_WORDS or bool(_INDIRECT_QUESTION.search(norm)))


# Words people put before a question ("hold on, how much is...", "and do you do evenings").
_QUESTION_LEAD = re.compile(
    r"^((hold on|hang on|one more thing|quick question|sorry|also|and|but|oh|ok|okay|so|wait"
    r"|actually|hmm+|um+|well|btw|by the way)\s+)+"
)


# Where one sentence ends and the next begins (after its punctuation).
_SENTENCES = re.compile(r"(?<=[.!?;\n])\s*")


def sentences_of(text: str) -> list[str]:
    """The sentences of an answer, trimmed, without empty ones."""
    return [part.strip() for part in _SENTENCES.split(text.strip()) if part.strip()]


def asks_a_question_beside(text: Any) -> bool:
    """Whether an answer also carries a question of its own (a sentence of 4+ words).

    "34. And can my employer see any of this?" does; "online?" (a tentative answer) and
    "34" do not.
    """
    if not isinstance(text, str):
        return False
    return any(len(sentence.split()) >= 4 and looks_like_question(sentence)
               for sentence in sentences_of(text))


def answer_then_question(text: Any) -> bool:
    """Whether an answer comes first and a question of its own after it.

    "Pennsylvania. One more question: how long does therapy take?" does; "how long does
    therapy take?" (all question) and "Pennsylvania" do not.
    """
    if not isinstance(text, str):
        return False
    sentences = sentences_of(text)
    return (len(sentences) > 1 and not looks_like_question(sentences[0])
            and asks_a_question_beside(text))


def is_payload(text: str) -> bool:
    """Whether the text is a Rasa intent payload such as ``/affirm``."""
    return text.strip().startswith("/")


def parse_yes_no(text: Any) -> Optional[bool]:
    """Read a yes/no answer: ``True``, ``False``, or ``None`` when it is neither.

    Accepts plain words ("Yes", "nope"), ``/affirm`` and ``/deny`` payloads (also with
    entities or a trailing JSON part), and validated booleans.
    """
    if isinstance(text, bool):
        return text
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if is_payload(stripped):
        intent = re.split(r"[{@\s]", stripped, maxsplit=1)[0].lower()
        if intent in YES_PAYLOADS:
            return True
        if intent in NO_PAYLOADS:
            return False
        return None
    norm = normalise(stripped)
    if norm in YES_WORDS:
        return True
    if norm in NO_WORDS:
        return False
    return _yes_no_in_sentence(norm, stripped)


# A clear yes or no at the start of a longer answer ("yes that's fine", "nope, never").
_YES_STARTS = {"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "absolutely", "definitely"}
_NO_STARTS = {"no", "nope", "nah", "never"}
_NEGATIONS = re.compile(r"\b(no|not|don t|do not|never|nope|but)\b")


#: Clauses that agree without starting with a yes word ("Very well. I consent.").
_AGREEING_CLAUSES = re.compile(
    r"^(i (consent|agree|accept)|(please )?(go ahead|carry on|continue)|let s (do it|do this|go|"
    r"start|begin)|of course|certainly|fine by me|that s fine|happy to)\b")
_LEADING_FILLER = re.compile(r"^((actually|wait|hmm+|um+|oh|well|then|so)\s+)+")


def _yes_no_of_clause(norm: str) -> Optional[bool]:
    """"yes that's fine" is yes and "no, never have" no; anything hedged is neither."""
    norm = _LEADING_FILLER.sub("", norm)
    words = norm.split()
    if not words:
        return None
    if norm in YES_WORDS or norm in ("no problem", "no worries"):
        return True
    if norm in NO_WORDS:
        return False
    rest = " ".join(words[1:])
    if words[0] in _YES_STARTS and not _NEGATIONS.search(rest):
        return True
    if _AGREEING_CLAUSES.match(norm) and not _NEGATIONS.search(norm):
        return True
    if words[0] in _NO_STARTS and not re.search(r"\b(yes|but)\b", rest):
        return False
    return None


def _yes_no_in_sentence(norm: str, text: str) -> Optional[bool]:
    """A clear yes or no in a longer answer, sentence by sentence; a question is neither.

    "Yes, please go ahead. You must forgive me if I am slow." is yes (the second sentence
    says nothing either way); "Very well. Yes, I consent." is yes; a message with both a
    yes and a no sentence is neither.
    """
    if "?" in text:
        return None
    verdicts = {_yes_no_of_clause(normalise(sentence))
                for sentence in sentences_of(text)}
    verdicts.discard(None)
    return verdicts.pop() if len(verdicts) == 1 else None


def validate_email_address(text: Any) -> str:
    """Return the normalised e-mail address (syntax only, no DNS lookups).

    Raises:
        InvalidAnswer: With the validator's explanation of what is wrong.

    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidAnswer("That doesn't look like an e-mail address.")
    candidate = text.strip().strip("<>").strip()
    if " " in candidate:
        raise InvalidAnswer("An e-mail address has no spaces in it.")
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAnswer(str(exc)) from exc


def normalise_phone(text: Any, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """Return the phone number in E.164 form (``+12075550123``).

    Numbers without a country code are read as ``default_region`` numbers; numbers with
    one (``+44 20 7946 0958``) are accepted from anywhere.

    Raises:
        InvalidAnswer: When the text is not a valid phone number.

    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidAnswer("That doesn't look like a phone number.")
    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        number = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAnswer("That doesn't look like a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        if not phonenumbers.is_possible_number(number):
            raise InvalidAnswer("That number seems to have too few or too many digits.")
        raise InvalidAnswer("That isn't a phone number I can recognise.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Something shaped like an address inside a sentence ("thanks! it's jo@example.com.").
_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\[\]{},;:\"']*@[^\s<>()\[\]{},;:\"']*")


def find_email_address(text: Any) -> str:
    """Return the one e-mail address in an answer, normalised; see :func:`validate_email_address`.

    The address may stand alone or sit inside a sentence ("sure, it's jo@example.com").

    Raises:
        InvalidAnswer: When the answer holds no valid address, or two different ones.

    """
    if not isinstance(text, str):
        return validate_email_address(text)
    candidates = [c.strip(".!?") for c in _EMAIL_IN_TEXT.findall(text)]
    candidates = [c for c in candidates if c]
    if not candidates:
        return validate_email_address(text)
    found = set()
    first_error: Optional[InvalidAnswer] = None
    for candidate in candidates:
        try:
            found.add(validate_email_address(candidate))
        except InvalidAnswer as exc:
            first_error = first_error or exc
    if len(found) == 1:
        return found.pop()
    if found:
        raise InvalidAnswer("That answer has more than one e-mail address in it.")
    raise first_error or InvalidAnswer("That doesn't look like an e-mail address.")


def find_phone_number(text: Any, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """Return the one phone number in an answer in E.164 form; see :func:`normalise_phone`.

    The number may stand alone or sit inside a sentence ("sure, my number is 207 555
    0123"); :class:`phonenumbers.PhoneNumberMatcher` finds it.

    Raises:
        InvalidAnswer: When the answer holds no valid number, or two different ones.

    """
    if not isinstance(text, str) or not re.search(r"[^\W\d_]", text):
        return normalise_phone(text, default_region)  # digits and punctuation only
    candidate = text.replace("00", "+", 1) if text.strip().startswith("00") else text
    matches = phonenumbers.PhoneNumberMatcher(
        candidate, default_region, leniency=phonenumbers.Leniency.POSSIBLE
    )
    found = set()
    first_error: Optional[InvalidAnswer] = None
    for match in matches:
        try:
            found.add(normalise_phone(match.raw_string, default_region))
        except InvalidAnswer as exc:
            first_error = first_error or exc
    if len(found) == 1:
        return found.pop()
    if found:
        raise InvalidAnswer("That answer has more than one phone number in it.")
    raise first_error or InvalidAnswer("That doesn't look like a phone number.")


# Answers that ask to leave an optional question out (compared after :func:`normalise`).
SKIP_ANSWERS = {
    "skip",
    "skip it",
    "skip this",
    "skip this one",
    "skip that",
    "skip please",
    "please skip",
    "pass",
    "next",
    "next question",
    "rather not say",
    "i d rather not say",
    "i would rather not say",
    "prefer not to say",
    "i prefer not to say",
    "i d prefer not to say",
    "i d rather not",
    "i d rather skip",
    "i d rather skip this",
    "i d rather skip that",
    "i d rather skip that one",
    "i d rather skip this one",
    "id rather skip",
    "id rather skip that",
    "id rather skip that one",
    "id rather skip this one",
    "skip that one",
    "i ll skip that",
    "i ll skip that one",
    "i ll skip this one",
    "pass on that one",
    "can we skip this",
    "can i skip this",
    "can we skip this one",
    "can i skip this one",
    "can we skip it",
    "can i skip it",
    "no comment",
    "n a",
}


def is_skip(text: Any) -> bool:
    """Whether the answer asks to skip the question ("skip", "I'd rather not say")."""
    return isinstance(text, str) and normalise(text) in SKIP_ANSWERS


# A wish to stop the intake, read from the whole answer so that "I want to stop pushing
# people away" (an answer) is not taken for "I want to stop" (a wish to stop).
_STOP_LEAD = (
    r"(?:(?:actually|sorry|um+|hm+|ok|okay|oh|honestly|you know what|please|no|wait|and|so"
    r"|hold on|i find|i think|i guess|i feel)\s)*"
)
_STOP_TAIL = (
    r"(?:\s(?:this|it|the intake|this intake|the form|this form|the questions|these questions"
    r"|now|here|please|for now|thanks|thank you|sorry|right now|after all|anymore|any more"
    r"|then|ok|okay|(?:i ll|ill|i will) (?:think (?:about it|it over)|come back(?: later)?)"
    r"|and think (?:about it|it over)))*"
)
_PAUSE_CORE = (
    r"maybe later|later|later please|not right now|pause|pause it|can we pause"
    r"|(?:can we|can i|i ll|i will|let s) (?:do|finish|continue) (?:(?:this|it) )?later"
    r"|i ll come back(?: to (?:this|it))?(?: later)?|i ll come back later|another time"
    r"|some other time|brb|be right back|i need a break|can we take a break|take a break"
    r"|let s continue later|continue later|finish later|maybe (?:another|some other) (?:day|time)"
)
_STOP_CORE = (
    r"stop|cancel|quit|exit|abort|halt|forget it|never ?mind|i m not ready|i am not ready"
    r"|not ready|i m not ready for this|i m not ready yet|i m not ready to do this"
    r"|i don t want to do this|i don t want to continue|i don t want to do the form"
    r"|i don t want to sign up|i changed my mind|i ve changed my mind"
    r"|i changed my mind about the intake|can we stop|could we stop|can i stop|let s stop"
    r"|i want to stop|i d like to stop|i would like to stop|i want to quit|i d like to quit"
    r"|get me out of (?:here|this|this form)|stop asking me questions"
    r"|i d like to leave|i want to leave|scrap|scrap the form|discard my intake"
    r"|cancel my application|end (?:the|this) (?:intake|form)"
    r"|stop (?:the|this) (?:intake|form|questionnaire)"
    r"|i want to quit the questionnaire|i don t want to do this form"
    r"|let s stop here cancel it|never mind quit|stop this please"
    r"|(?:i m |i am )?not (?:quite |really )?ready (?:to do this|for this|yet)"
    r"|nvm|(?:i ll|ill|i will|i m going to|gonna) (?:say no|pass) (?:to|on) (?:the|this) intake"
    r"|(?:let s |lets |i ll |i will |i shall |can we |i |i d like to |i would like to "
    r"|i want to )?stop here(?: for (?:now|today))?"
)
_UNSURE_CORE = (
    r"i m not sure about this|not sure about this|i m not sure i want to do this"
    r"|not sure i want to do this|i m not sure i m ready|do i have to|do i have to do this"
    r"|this is a lot|this is too much|i m having second thoughts|having second thoughts"
    r"|i don t know about this|i don t know if i want to do this"
)
# Where one clause of an answer ends and the next begins.
_CLAUSE_BREAK = re.compile(r"[.!?;,]+|\s+but\s+", re.IGNORECASE)
STOP_WISHES = (
    ("pause", re.compile(rf"{_STOP_LEAD}(?:{_PAUSE_CORE}){_STOP_TAIL}")),
    ("stop", re.compile(rf"{_STOP_LEAD}(?:{_STOP_CORE}){_STOP_TAIL}")),
    ("unsure", re.compile(rf"{_STOP_LEAD}(?:{_UNSURE_CORE}){_STOP_TAIL}")),
)
# One clause of a longer answer counts only with words plainly about this chat: "I want
# to quit", "I'm not ready", "I need a break", "never mind" or "not right now" can be a
# clause of a real answer ("My job is awful. I want to quit.", "never mind, it's Sam").
_CLAUSE_PAUSE_CORE = (
    r"maybe later|pause it|can we pause|continue later|finish later|let s continue later"
    r"|(?:can we|can i|i ll|i will|let s) (?:do|finish|continue) (?:(?:this|it) )?later"
    r"|i ll come back(?: to (?:this|it))?(?: later)?|another time|some other time"
    r"|maybe (?:another|some other) (?:day|time)|brb|be right back|can we take a break"
)
_CLAUSE_STOP_CORE = (
    r"stop|cancel|can we stop|could we stop|can i stop|let s stop|lets stop"
    r"|(?:let s |lets |i ll |i will |i shall |can we |i |i d like to |i would like to "
    r"|i want to )?stop here(?: for (?:now|today))?"
    r"|(?:i m |i am )?not (?:quite |really )?ready (?:to do this|for this)"
    r"|i don t want to do this|i don t want to continue|i don t want to do the form"
    r"|i changed my mind|i ve changed my mind|stop asking me questions"
    r"|(?:i ll|ill|i will|i m going to|gonna) (?:say no|pass) (?:to|on) (?:the|this) intake"
    r"|(?:nvm|never ?mind) (?:i ll|ill|i will) (?:just )?(?:email|call|phone|ring) (?:them|you)"
    r"|get me out of (?:here|this|this form)|discard my intake|cancel my application"
    r"|end (?:the|this) (?:intake|form)|stop (?:the|this) (?:intake|form|questionnaire)"
)
CLAUSE_STOP_WISHES = (
    ("pause", re.compile(rf"{_STOP_LEAD}(?:{_CLAUSE_PAUSE_CORE}){_STOP_TAIL}")),
    ("stop", re.compile(rf"{_STOP_LEAD}(?:{_CLAUSE_STOP_CORE}){_STOP_TAIL}")),
)


def stop_wish(text: Any) -> Optional[str]:
    """Read a wish to stop the intake from an answer.

    Returns:
        ``"pause"`` (carry on later: "maybe later", "can we pause?"), ``"stop"`` ("I'm not
        ready", "can we stop", "forget it"), ``"unsure"`` ("do I have to?", "this is a
        lot"), or ``None`` when the answer is no wish to stop.

    """
    if not isinstance(text, str) or is_payload(text):
        return None
    norm = normalise(text)
    for wish, pattern in STOP_WISHES:
        if pattern.fullmatch(norm):
            return wish
    # Then each clause: "hmm ok. actually lets stop here, i am too tired" holds a stop.
    # A clause must still be a stop wish from start to end, so "I want to stop pushing
    # people away" stays an answer.
    for clause in _CLAUSE_BREAK.split(text):
        norm = normalise(clause)
        for wish, pattern in CLAUSE_STOP_WISHES:
            if norm and pattern.fullmatch(norm):
                return wish
    return None


def format_phone(e164: str) -> str:
    """Format a stored E.164 number for people (``+1 207-555-0123``)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_NUMBER_WORDS = {
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "twelve": 12,
    "eleven": 11,
    "ten": 10,
}
_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}


def parse_age(text: Any, minimum_age: int) -> int | bool:
    """Read the age: years as an ``int``, or ``True``/``False`` for adult/not adult.

    "34", "I'm 34", "thirty four" give 34. "18 or over", "over 18", "adult" give ``True``;
    "under 18", "I'm a minor" give ``False`` (both relative to ``minimum_age``). A bare
    yes/no is not accepted: the question asks for an age.

    Raises:
        InvalidAnswer: When no age can be read, or it is not plausible.

    """
    if isinstance(text, bool):
        return text
    if isinstance(text, int):
        years = text
    else:
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer("Please tell me your age as a number, for example 34.")
        norm = normalise(text)
        limit = str(minimum_age)
        adult_patterns = (
            rf"\b{limit} or over\b",
            rf"\b{limit} or older\b",
            rf"\bover {limit}\b",
            rf"\b{limit}\+",
            rf"\bolder than {limit}\b",
            rf"\b{limit} and over\b",
            rf"\bat least {limit}\b",
            r"\badult\b",
        )
        minor_patterns = (
            rf"\bunder {limit}\b",
            rf"\byounger than {limit}\b",
            rf"\bbelow {limit}\b",
            r"\bminor\b",
            r"\bnot an adult\b",
            rf"\bnot {limit}\b",
        )
        if any(re.search(p, norm) for p in minor_patterns):
            return False
        if any(re.search(p, norm) for p in adult_patterns):
            return True
        digits = re.findall(r"\b\d{1,3}\b", norm)
        if len(digits) > 1:
            # "im 27, turning 28 in march": the age stated, not the one to come.
            stated = re.search(r"\b(?:i m|im|i am|age|aged|age is)\s+(\d{1,3})\b", norm)
            coming = re.findall(r"\b(?:turning|turn|will be|ll be)\s+(\d{1,3})\b", norm)
            if stated:
                digits = [stated.group(1)]
            elif coming:
                digits = [d for d in digits if d not in coming] or digits
        if len(digits) == 1:
            years = int(digits[0])
        elif len(digits) > 1:
            raise InvalidAnswer("Please tell me just your age, as one number.")
        else:
            years = _age_from_words(norm)
            if years is None:
                raise InvalidAnswer("Please tell me your age as a number, for example 34.")
    if years < 1 or years > MAX_AGE:
        raise InvalidAnswer("That doesn't look like an age. Please type it as a number.")
    return years


def _age_from_words(norm: str) -> Optional[int]:
    words = norm.replace("-", " ").split()
    for index, word in enumerate(words):
        if word in _NUMBER_WORDS:
            value = _NUMBER_WORDS[word]
            if value >= 20 and index + 1 < len(words) and words[index + 1] in _UNITS:
                value += _UNITS[words[index + 1]]
            return value
    return None


def is_below_minimum_age(age: Any, minimum_age: int) -> bool:
    """Whether a validated age value means the person is under ``minimum_age``."""
    if age is False:
        return True
    if isinstance(age, int) and not isinstance(age, bool):
        return age < minimum_age
    return False


# A name: words of letters (accented too), joined by spaces, hyphens or apostrophes; a
# word may end in a period ("Jr.") and initials may be written "J.R.".
_NAME_WORD = r"(?:(?:[^\W\d_]\.)+|[^\W\d_]+(?:['\u2019-][^\W\d_]+)*\.?)"
_NAME = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD})*")
MAX_NAME_CHARS = 50
MAX_NAME_WORDS = 5
# Where a name starts inside a sentence ("thanks, you can call me Sam").
_NAME_INTRO = re.compile(
    r"\b(?:my name is|my name's|my name\u2019s|name is|name's|call me|i go by|i'm|i\u2019m"
    r"|i am|it's|it\u2019s|its|this is)\s+",
    re.IGNORECASE,
)
# Where it ends: a comma, "not Batman", "please", "thanks", "though" ...
_NAME_END = re.compile(
    r"\s*(?:[,;:!?()]|\s-\s|\bnot\b|\bplease\b|\bthanks?\b|\bthank you\b|\bthough\b|\bif\b"
    r"|\bfor short\b|\binstead\b|\bis fine\b|\bis good\b|\bbut\b).*$",
    re.IGNORECASE,
)
_NAME_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|sure|ok|okay|yes|yeah|thanks|thank you|oh|um|uh|well)\b[\s,.!]*)+",
    re.IGNORECASE,
)
_NAME_HELP = "Just the name you'd like us to use is fine, for example Sam."


# Where another detail follows the name: "maya and im 19", "Sam, 34 years old".
_NAME_THEN_DETAIL = re.compile(r"(?:\s*,\s*|\s+and\s+)(?=[^,]*\d)", re.IGNORECASE)


def extract_name(text: str) -> str:
    """Return the part of a sentence that is the name ("call me Sam" gives "Sam")."""
    name = re.sub(r"\s+", " ", text).strip()
    name = _NAME_THEN_DETAIL.split(name, maxsplit=1)[0]
    # The last introduction wins: "actually I'm ... my name is Dana".
    intro = next(reversed(list(_NAME_INTRO.finditer(name))), None)
    if intro is not None:
        name = name[intro.end() :]
    else:
        name = _NAME_GREETING.sub("", name)
    name = _NAME_END.sub("", name)
    return name.strip().strip(".!").strip()


def validate_name(text: Any) -> str:
    """Return the preferred name, read from the answer and checked to be a name.

    "Sam", "call me Sam", "thanks! my name is Jo Anne" and "actually my name is Dana, not
    Batman" give the name. Letters (accented too), spaces, hyphens and apostrophes are
    accepted; markup, web addresses, digits and very long answers are not.

    Raises:
        InvalidAnswer: When no name can be read from the answer.

    """
    if not isinstance(text, str):
        raise InvalidAnswer(_NAME_HELP)
    raw = re.sub(r"\s+", " ", text).strip()
    if not raw or is_payload(raw) or "?" in raw or len(raw) > MAX_NAME_LENGTH:
        raise InvalidAnswer(_NAME_HELP)
    if re.search(r"[<>{}\[\]@/\\=]|https?:|www\.|\.(com|org|net|io)\b", raw, re.IGNORECASE):
        raise InvalidAnswer(_NAME_HELP)  # markup or a web/email address is not a name
    name = extract_name(raw)
    if (
        not name
        or len(name) > MAX_NAME_CHARS
        or len(name.split()) > MAX_NAME_WORDS
        or not _NAME.fullmatch(name)
    ):
        raise InvalidAnswer(_NAME_HELP)
    return name


# Words that introduce a name inside another answer ("yes that's fine, name is dana").
_NAME_CUE = re.compile(r"\b(?:my name is|name is|call me|i m called|i am called)\s+\w")


def name_beside(text: Any) -> Optional[str]:
    """A name given inside another answer with a plain cue ("yes, call me Jo"), or ``None``.

    Only a clause that introduces a name ("my name is", "call me") counts, and the name
    passes :func:`validate_name`.
    """
    if not isinstance(text, str):
        return None
    for clause in re.split(r"[,.;!]+|\s+and\s+", text):
        if _NAME_CUE.search(normalise(clause)):
            try:
                return validate_name(clause.strip())
            except InvalidAnswer:
                return None
    return None


def validate_free_text(text: Any, max_length: int = MAX_FREE_TEXT_LENGTH) -> str:
    """Return a free-text answer, trimmed and limited in length.

    Raises:
        InvalidAnswer: When the text is empty or a button payload.

    """
    if not isinstance(text, str):
        raise InvalidAnswer("Could you put that in a few words?")
    value = text.strip()
    if not value or is_payload(value) or not re.search(r"\w", value):
        raise InvalidAnswer("Could you put that in a few words?")
    if len(value) > max_length:
        raise InvalidAnswer(
            f"That's a little long for this form (up to {max_length} characters). "
            "A short version is fine: you can say more in your first session.",
            kind="too_long",
        )
    return value


@dataclass(frozen=True)
class Choice:
    """One option of a fixed-choice question.

    Attributes:
        value: The stored value.
        label: What the person sees (the button title and payload).
        synonyms: Other accepted answers (compared after :func:`normalise`).

    """

    value: str
    label: str
    synonyms: tuple[str, ...] = ()


def match_choice(text: Any, choices: Sequence[Choice]) -> Optional[str]:
    """Return the value of the choice the answer names, or ``None``.

    Exact labels, values and synonyms win; otherwise a single choice whose label or a
    synonym appears in the answer (as whole words) is taken. Ambiguous answers give
    ``None``.
    """
    if not isinstance(text, str):
        return None
    norm = normalise(text)
    if not norm:
        return None
    for choice in choices:
        names = {normalise(choice.label), normalise(choice.value), *map(normalise, choice.synonyms)}
        if norm in names:
            return choice.value
    found = set()
    for choice in choices:
        for name in (choice.label, choice.value.replace("_", " "), *choice.synonyms):
            key = normalise(name)
            if key and re.search(rf"(^|\s){re.escape(key)}($|\s)", norm):
                found.add(choice.value)
    if not found:
        found = _close_choices(norm, choices)
    return found.pop() if len(found) == 1 else None


# How alike a misspelt word and an option must be ("emial", "insurence", "onlin").
TYPO_SIMILARITY = 0.8


def _close_choices(norm: str, choices: Sequence[Choice]) -> set[str]:
    """The choices a typo in the answer comes close to (words of at least 4 letters)."""
    words = norm.split()
    found = set()
    for choice in choices:
        for name in (choice.label, choice.value.replace("_", " "), *choice.synonyms):
            key = normalise(name)
            size = len(key.split())
            if len(key) < 4:
                continue
            for start in range(len(words) - size + 1):
                part = " ".join(words[start : start + size])
                if SequenceMatcher(None, part, key).ratio() >= TYPO_SIMILARITY:
                    found.add(choice.value)
    return found


CONTACT_CHOICES = (
    Choice("email", "Email", ("e mail", "by email", "email please", "mail")),
    Choice("phone", "Phone", ("phone call", "call", "text", "telephone", "by phone", "mobile")),
    Choice(
        "either",
        "Either",
        (
            "both",
            "either is fine",
            "any",
            "email or phone",
            "phone or email",
            "email and phone",
            "phone and email",
        ),
    ),
)
# Words for each contact method when an answer mentions both ("I'd prefer e-mail, I do
# not always hear the telephone"); after :func:`normalise`, so "e-mail" is "e mail".
_CONTACT_WORDS = {
    "email": r"e ?mail|emails|emailing|mail",
    "phone": r"phone|telephone|call|calling|calls|ring|text|texts|texting|sms|mobile|cell",
}
_CONTACT_MENTION = re.compile(
    "|".join(rf"(?P<{value}>\b(?:{words})\b)" for value, words in _CONTACT_WORDS.items())
)
_CONTACT_NEGATION = re.compile(
    r"\b(?:not|no|don t|dont|do not|rather not|never|can t|cant|cannot|won t|hate|dislike)\b"
    r"(?:\s\S+){0,3}\s*$"
)
_CONTACT_PREFERENCE = re.compile(r"\b(?:prefer|preferred|rather|better|please|pls|best)\b")
_PREFERENCE_REACH = 3  # words either side of a mention
_CORRECTION_NO = re.compile(r"\b(wait|oh|actually|hmm+|um+|ah|sorry) no\b")


def match_contact_method(text: Any) -> Optional[str]:
    """Return ``"email"``, ``"phone"`` or ``"either"`` for the contact method an answer names.

    Plain answers go through :func:`match_choice`. When both methods are mentioned, a
    negated one ("not email", "I do not always hear the telephone") is dropped and the
    one next to a preference word (prefer, rather, better, please, best) wins; otherwise
    the first one mentioned. Texting counts as phone.
    """
    chosen = match_choice(text, CONTACT_CHOICES)
    if chosen is not None or not isinstance(text, str):
        return chosen
    # "wait no, better email": a correction, not a negation of what follows.
    norm = _CORRECTION_NO.sub(r"\1", normalise(text))
    words = norm.split()
    mentions = []  # (method, word index), in order
    previous_end = 0
    for found in _CONTACT_MENTION.finditer(norm):
        # A negation counts only since the previous mention: "not email, phone please".
        if not _CONTACT_NEGATION.search(norm[previous_end : found.start()]):
            mentions.append((found.lastgroup, len(norm[: found.start()].split())))
        previous_end = found.end()
    methods = list(dict.fromkeys(method for method, _ in mentions))
    if len(methods) <= 1:
        return methods[0] if methods else None
    for method, index in mentions:
        near = " ".join(words[max(0, index - _PREFERENCE_REACH) : index + _PREFERENCE_REACH + 1])
        if _CONTACT_PREFERENCE.search(near):
            return method
    return methods[0]


# The last address or number in an answer, and the words that turn what follows it into
# a change of mind ("My number is 614-555-0187. Actually, I'd rather you used email").
_DETAIL_GIVEN = re.compile(r"\S+@\S+|\+?\d[\d\s().-]{5,}\d")
_CHANGE_OF_MIND = re.compile(
    r"\b(?:actually|on reflection|on second thought|second thoughts|instead|rather|changed? my "
    r"mind|scratch that|never ?mind|better|prefer)\b"
)


def method_named_after_detail(text: Any) -> Optional[str]:
    """The contact method a change of mind after a given address or number asks for.

    "My number is 614-555-0187. Actually, I would rather you used email" gives
    ``"email"``; an answer without a detail, or without a change-of-mind word after it,
    gives ``None``.
    """
    if not isinstance(text, str):
        return None
    details = list(_DETAIL_GIVEN.finditer(text))
    if not details:
        return None
    after = text[details[-1].end():]
    if not _CHANGE_OF_MIND.search(normalise(after)):
        return None
    method = match_contact_method(after)
    return method if method in ("email", "phone") else None


_METHOD_PREFERENCE = re.compile(r"\b(?:best|prefer|preferred|please|pls|better|works|is fine)\b")


def method_beside(text: Any) -> Optional[str]:
    """A contact method stated with a preference inside another answer, or ``None``.

    "38 and phone is best" gives ``"phone"``; "I'm 40, call me Sam" (no preference word)
    gives ``None``.
    """
    if not isinstance(text, str) or not _METHOD_PREFERENCE.search(normalise(text)):
        return None
    method = match_contact_method(text)
    return method if method in ("email", "phone") else None


PAYMENT_CHOICES = (
    Choice(
        "insurance",
        "Insurance",
        ("insured", "my insurance", "through insurance", "insurance please", "out of network"),
    ),
    Choice(
        "self_pay",
        "Self-pay",
        (
            "self pay",
            "selfpay",
            "pay myself",
            "private",
            "privately",
            "out of pocket",
            "self paying",
            "cash",
        ),
    ),
)
NO_PREFERENCE = Choice(
    "no_preference",
    "No preference",
    ("either", "any", "both", "don t mind", "i don t mind", "whichever"),
)


def format_choices(formats: Iterable[tuple[str, str]]) -> tuple[Choice, ...]:
    """Session-format choices from the profile's (key, label) pairs, plus no preference."""
    extra = {
        "online": ("online", "video", "virtual", "telehealth", "remote", "zoom"),
        "in_person": ("in person", "in-person", "office", "face to face", "in the office"),
    }
    choices = [Choice(key, label, extra.get(key, ())) for key, label in formats]
    return (*choices, NO_PREFERENCE)


# US states and territories by postal code, so "ME" or "Portland, ME" counts as Maine.
US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
}


def validate_region(text: Any) -> str:
    """Return the region or state as typed (trimmed).

    Raises:
        InvalidAnswer: When it is empty, a payload, implausibly long or only a question.

    """
    value = validate_free_text(text, MAX_REGION_LENGTH)
    # "Pennsylvania. One more question: how long does therapy take?" keeps the statement
    # (the question beside it is answered); a message that is all question is no region.
    sentences = sentences_of(value)
    statements = [part for part in sentences if not looks_like_question(part)]
    if not statements:
        raise InvalidAnswer("Which state or region do you live in? For example: Maine.")
    return value if len(statements) == len(sentences) else " ".join(statements)


_STATE_NAMES = frozenset(normalise(state) for state in US_STATES.values())


def is_us_state(text: Any) -> bool:
    """Whether a whole answer is a US state's name or postal code ("Maine", "ME", "me.")."""
    if not isinstance(text, str):
        return False
    stripped = text.strip().strip(".!")
    return stripped.upper() in US_STATES or normalise(stripped) in _STATE_NAMES


def licensed_region_of(region: str, licensed_regions: Sequence[str]) -> Optional[str]:
    """Return the licensed region the answer names, or ``None``.

    Matches whole words, case-insensitively ("portland, maine"), and US postal codes
    typed on their own or in capitals after a place ("ME", "Portland, ME").
    """
    norm = f" {normalise(region)} "
    for licensed in licensed_regions:
        if f" {normalise(licensed)} " in norm:
            return licensed
    stripped = region.strip()
    tokens = re.findall(r"\b[A-Za-z]{2}\b", stripped)
    for code, state in US_STATES.items():
        if state not in licensed_regions:
            continue
        if stripped.upper().strip(". ") == code:
            return state
        if code in tokens and re.search(rf"(,|\s){code}\b", stripped):
            return state
    return None


# Words that say when someone can be reached ("in the afternoon", "after 5 on weekdays").
_TIME_WORDS = re.compile(
    r"\b(?:mornings?|afternoons?|evenings?|nights?|noon|lunch ?time|weekdays?|weekends?"
    r"|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?"
    r"|mon|tues?|wed|thurs?|fri|sat|sun|any ?time|(?:after|before|between|around|from) \d{1,2}"
    r"|\d{1,2} ?(?:am|pm)|\d{1,2}:\d{2})\b",
    re.IGNORECASE,
)
# Where the parts of a message with a contact detail and a time split.
_TIME_CLAUSE_BREAK = re.compile(r"[.;,!]+\s*|\s+(?:and|but)\s+", re.IGNORECASE)


def best_times_in(text: str) -> Optional[str]:
    """The part of an answer that says when to call ("... and the afternoon suits me").

    Only clauses with a time word and without the address or number itself, joined;
    ``None`` when the answer says nothing about times.
    """
    clauses = [re.sub(r"^(?:and|but|or|also)\s+", "", part.strip(), flags=re.IGNORECASE)
               for part in _TIME_CLAUSE_BREAK.split(text or "")]
    timed = [part for part in clauses
             if part and _TIME_WORDS.search(part) and not _DETAIL_GIVEN.search(part)]
    return "; ".join(timed) or None


#: Fewer digits than this is no attempt at a phone number ("38", "after 5").
_PHONE_MIN_DIGITS = 7


def has_phone_digits(text: str) -> bool:
    """Whether a text holds enough digits to be an attempt at a phone number."""
    return sum(char.isdigit() for char in text) >= _PHONE_MIN_DIGITS


def contact_details_in(text: str) -> dict[str, str]:
    """The email address and phone number an answer holds, where they are valid."""
    details = {}
    if "@" in text:
        try:
            details["email"] = find_email_address(text)
        except InvalidAnswer:
            pass
    if has_phone_digits(text):
        try:
            details["phone"] = find_phone_number(text)
        except InvalidAnswer:
            pass
    return details
