"""Does a message ask for something to read? A deterministic check, no model.

"got any articles on anxious attachment?", "is there a guide about boundaries",
"resources on co-regulation pls", "what should I read about earned security" and
"can you send me something about why I push people away" all ask for reading, whatever
intent the classifier gives them. The FAQ action uses this to send articles instead of
the topic answer, so a reading request never depends on the classifier telling
``request_articles`` from ``faq`` apart.

Three kinds of pattern:

* asks: "send me something", "what should I read", "something to read", "got any
  articles": a request whatever else the message says;
* reading words: article, blog post, guide, resource, book, link, reading, "read
  about": a request unless the message only *mentions* reading;
* mentions: "I read a blog post about earned security, what does it mean?", "I've read
  every book on attachment", "read about it in a book": a question about something read,
  which gets the answer.

Words with another meaning count only in their reading sense: "book" as a noun ("a book
on", not "book a session"), "guide" as a noun ("a guide", not "guide me through"),
"link" not as in "a link between" or "the booking link", "read" not as in "read my
partner's mood" or "hard to read".
"""

from __future__ import annotations

import re

_DET = r"(?:a|an|any|some|good|the|your|more|other|further|recommended)"
_NOUN = (
    r"(?:articles?|blogs?|blog\s*posts?|posts?|guides?|resources?|books?|reading|readings"
    r"|writing|material|pages?|pieces?|handouts?|leaflets?|pamphlets?|write-?ups?)"
)
_W = r"[\w'-]+"


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_ASKS = _compile((
    r"\b(?:send|give|show)\s+(?:me|us)\s+(?:something|anything|stuff|some)\b",
    r"\bshare\s+(?:with\s+me\s+|me\s+)(?:something|anything|stuff|some)\b",
    r"\b(?:recommend|suggest)\s+(?:me\s+)?(?:something|anything|some)\b",
    r"\bpoint\s+me\s+(?:to|towards|at)\b",
    r"\bshould\s+i\s+read\b|\bwhat\s+(?:can|could|should|would)\s+i\s+read\b",
    r"\b(?:can|could)\s+i\s+read\s+(?:about|up|more|something|anything)\b",
    r"(?<!hard\s)(?<!easy\s)(?<!difficult\s)\b(?:to|wanna)\s+read\b"
    r"(?!\s+(?:my|his|her|their|people|what|into|the\s+room|me|for))",
    r"\b(?:something|anything|stuff|material)\s+(?:i\s+(?:can|could)\s+)?(?:to\s+)?read\b",
    # "anything I might read on...", "smth i can read abt...", "a page I could read"
    r"\b(?:something|anything|smth|sth|stuff|page|pages)\s+(?:\w+\s+)?(?:i|u|you)\s+"
    r"(?:can|could|might|may|should)\s+read\b",
    r"(?:\b(?:do\s+you\s+have|have\s+you\s+got|you\s+got|got)|^)\s*(?:anything|something|smth|sth)"
    r"\s+(?:(?:good|short|quick|simple|easy|brief|basic|light)\s+)?(?:on|about)\b"
    r"(?!\s+(?:my|your)\s+mind)",
    # "send me whatever you have on...", "show me what you've got about..."
    r"\b(?:send|give|show)\s+(?:me|us)\s+(?:whatever|what)\s+(?:you|u)\s*(?:'ve\s+)?"
    r"(?:have|got)\b",
    # "something for people who feel too much" as a whole request.
    r"^\s*(?:anything|something|smth|sth)\s+(?:\w+\s+)?for\s+(?:people|someone|somebody"
    r"|those|anyone|parents|couples|partners|adults|teens|me)\b",
    r"\b(?:anything|something)\s+(?:on|about)\s+(?:that|this|it)\b",
    r"(?:^|\band\s+)(?:smth|sth)\s+(?:on|about|abt)\b",
    r"\bis\s+there\s+anything\s+(?:on|about|written)\b",
    rf"(?<!done\s)\b(?:do\s+you\s+have|have\s+you\s+got|got|is\s+there|are\s+there|any)\s+"
    rf"(?:{_W}\s+){{0,2}}{_NOUN}\b",
    r"\bwhere\s+can\s+i\s+(?:learn|find\s+out|read)\s+more\b",
))

_READING_WORDS = _compile((
    r"\barticles?\b",
    r"\bblogs?\b",
    r"\bresources?\b",
    r"(?<!booking\s)(?<!zoom\s)(?<!video\s)(?<!meeting\s)(?<!payment\s)\blinks?\b"
    r"(?!\s+between)",
    rf"\b{_DET}\s+(?:reading|writing)\b|\breading\s+(?:list|material)\b",
    r"\bwritten\s+(?:about|on)\b",
    # "post", "guide", "book" only as nouns: after a determiner or before "on/about".
    rf"\b{_DET}\s+(?:{_W}\s+)?(?:posts?|guides?|books?)\b",
    r"\b(?:posts?|guides?|books?)\s+(?:on|about|for|that)\b",
    r"\bbooks\b(?!\s+(?:a|an|me|in))",
    r"\bbook\s+(?:recommendations?|suggestions?|list)\b",
    r"\bread\s+(?:up\s+)?(?:about|on|more|further)\b",
    r"^\s*reading\s+(?:on|about|for)\b|\breading\s+(?:suggestions?|recommendations?|ideas)\b",
    r"\b(?:send|give|show)\s+(?:me|us)\s+(?:some\s+)?reading\b",
))

_MENTIONS = _compile((
    r"\b(?:i|i've|ive|i\s+have|i\s+had|i\s+just|just|i'm|im|i\s+am|i\s+was)\s+(?:\w+\s+)?"
    r"(?:read|reading|heard|listened|seen|saw|came\s+across|found|done)\b",
    r"^\s*read\s+(?:about|that|somewhere)\b",
    r"\bin\s+(?:a|an|one|this|that)\s+(?:book|article|blog|post|podcast)\b",
    r"\b(?:heard|hearing)\b",
    r"\b(?:makes?|made)\s+me\s+feel\b",
    r"\bhave\s+done\b|\bdone\s+(?:any|all|some|the)\s+reading\b",
    r"\b(?:vs\.?|versus|instead\s+of|rather\s+than|when\s+there\s+are)\b",
    r"\bis\s+there\s+a\s+link\s*(?:[?.!]|$|between)",
))


def is_reading_request(text: str | None) -> bool:
    """True when the message asks for something to read.

    Args:
        text: The user's message. Button payloads ("/request_articles") are not text
            and never count.

    Returns:
        Whether the message asks to be sent reading, or names reading material
        without only mentioning something already read.

    """
    if not text or text.lstrip().startswith("/"):
        return False
    # Curly apostrophes from phones, so "I'd like to read" matches either way.
    plain = text.replace("\u2019", "'")
    if _ASKS.search(plain):
        return True
    return _READING_WORDS.search(plain) is not None and _MENTIONS.search(plain) is None


_SENTENCES = re.compile(r"(?<=[?.!])\s+")
_LEADING_FILLER = re.compile(r"^(?:(?:and|but|so|also|ok|okay|oh|well|then)\b[\s,]*)+", re.I)
_QUESTION_START = re.compile(
    r"^(?:what|why|how|is|are|do|does|did|can|could|should|would|will|when|where|who|which)\b",
    re.IGNORECASE,
)


def asks_a_question_too(text: str | None) -> bool:
    """True when a reading request also asks a question of its own.

    "What is disorganized attachment? Have you an article on it?" wants the answer and the
    reading; "is there an article about confidentiality, like who sees my notes" wants
    the reading only. A sentence counts as its own question when it ends with "?" or
    starts with a question word, and is not itself a request for reading.
    """
    if not text:
        return False
    sentences = [s.strip() for s in _SENTENCES.split(text.replace("\u2019", "'")) if s.strip()]
    if len(sentences) < 2:
        return False
    for sentence in sentences:
        plain = _LEADING_FILLER.sub("", sentence)
        asks = plain.endswith("?") or _QUESTION_START.match(plain) is not None
        if asks and not is_reading_request(sentence):
            return True
    return False
