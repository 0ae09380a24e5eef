"""Bot messages shaped for SMS and WhatsApp: plain text, numbered options, short, split.

A text message shows every character as typed, so the Markdown and HTML the website
renders would arrive as stray symbols: :func:`plain_text` turns them into plain text
(``[title](url)`` → ``title: url``; WhatsApp keeps bold and italics in its own ``*x*`` and
``_x_``). Buttons cannot be tapped: they become a numbered list (:func:`numbered_options`)
and a reply of a number or of a title is read as the button (:func:`chosen_payload`).

SMS answers stay short: an FAQ answer over :data:`SMS_SHORTEN_OVER` characters is sent as
its short form (``utter_short_<key>``, the plain version "simpler please" gives) with a
line on where to read more (:func:`short_form`); a crisis or check-in line the answer
carries is kept. Whatever is still long is split at sentence boundaries into messages of
at most :data:`SMS_PART_CHARS` (SMS) or :data:`WHATSAPP_PART_CHARS` (WhatsApp), in order
(:func:`split_message`).
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping, Optional, Sequence

from secure_base.profile import PracticeProfile

#: Longest SMS part: two segments of a concatenated message, which every phone joins.
SMS_PART_CHARS = 320
#: An SMS answer longer than this is replaced by its short form, when it has one.
SMS_SHORTEN_OVER = 320
#: Twilio's limit for one WhatsApp message body.
WHATSAPP_PART_CHARS = 1600
NUMBER_PROMPT = "Reply with a number."

_FAQ_PREFIX = "utter_faq/"
_SHORT_PREFIX = "utter_short_"

# HTML: links, line breaks, list items, then any other tag.
_HTML_LINK = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a\s*>", re.I | re.S)
_HTML_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</h[1-6]\s*>", re.I)
_HTML_ITEM = re.compile(r"<li[^>]*>", re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
# Markdown.
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_MD_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_BULLET = re.compile(r"^(\s*)[*+]\s+", re.M)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", re.M)
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]+")

# Where a message may be split: after a sentence (its closing quote or bracket
# included), or at a line break.
_BOUNDARY = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))[ \t]+|[ \t]*\n[ \t\n]*")


def _link(title: str, url: str) -> str:
    title = title.strip()
    return url if not title or title == url else f"{title}: {url}"


def plain_text(text: str, whatsapp: bool = False) -> str:
    """``text`` without Markdown or HTML markup, as a text message shows it.

    Args:
        text: A bot message as the website would render it.
        whatsapp: Keep bold and italics in WhatsApp's own syntax (``*bold*``, ``_it_``).
    """
    bold = r"*\2*" if whatsapp else r"\2"
    italic = r"_\1_" if whatsapp else r"\1"
    out = _HTML_LINK.sub(lambda m: _link(_HTML_TAG.sub("", m.group(2)), m.group(1)), text)
    out = _HTML_BREAK.sub("\n", out)
    out = _HTML_ITEM.sub("\n- ", out)
    out = _HTML_TAG.sub("", out)
    out = _MD_LINK.sub(lambda m: _link(m.group(1), m.group(2)), out)
    out = _MD_RULE.sub("", out)
    out = _MD_HEADING.sub("", out)
    out = _MD_QUOTE.sub("", out)
    out = _MD_BULLET.sub(r"\1- ", out)
    # Italics first: WhatsApp's bold (*x*) would otherwise be read as Markdown italics.
    out = _MD_ITALIC_STAR.sub(italic, out)
    out = _MD_ITALIC_UNDERSCORE.sub(italic, out)
    out = _MD_BOLD.sub(bold, out)
    out = _MD_STRIKE.sub(r"\1", out)
    out = _MD_CODE.sub(r"\1", out)
    out = html.unescape(out)
    lines = [_SPACES.sub(" ", line).strip() for line in out.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def numbered_options(buttons: Sequence[Mapping[str, Any]], whatsapp: bool = False) -> str:
    """The buttons as a numbered list and how to choose (empty when there are none)."""
    titles = [plain_text(str(button.get("title") or button.get("payload") or ""), whatsapp)
              for button in buttons]
    if not titles:
        return ""
    lines = [f"{number}. {title}" for number, title in enumerate(titles, start=1)]
    return "\n".join(lines + [NUMBER_PROMPT])


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())


def chosen_payload(reply: str, buttons: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The payload of the button a reply chooses, or None when it chooses none.

    A reply chooses a button by its number in the list (``1``, ``2.``, ``#2``) or by
    its title's words, in any case (``yes please`` for "Yes, please").
    """
    if not buttons:
        return None
    number = re.fullmatch(r"\s*#?\s*(\d{1,2})\s*[.)!]?\s*", reply)
    chosen: Optional[Mapping[str, Any]] = None
    if number:
        index = int(number.group(1)) - 1
        chosen = buttons[index] if 0 <= index < len(buttons) else None
    else:
        words = _words(reply)
        matches = [b for b in buttons if words and _words(plain_text(str(b.get("title") or "")))
                   == words]
        chosen = matches[0] if len(matches) == 1 else None
    if chosen is None:
        return None
    payload = chosen.get("payload") or chosen.get("title")
    return str(payload) if payload else None


def _plain_variation(variations: Iterable[Mapping[str, Any]]) -> Optional[str]:
    """The text of a response's unconditioned, channel-less variation."""
    for variation in variations:
        if variation.get("text") and not variation.get("condition") and not variation.get(
                "channel"):
            return str(variation["text"])
    return None


def short_form(text: str, utter_action: Optional[str],
               responses: Mapping[str, Sequence[Mapping[str, Any]]],
               profile: PracticeProfile) -> Optional[str]:
    """The short form of an FAQ answer for SMS, or None when it has none.

    The short form is ``utter_short_<key>`` for ``utter_faq/<key>``, then where to read
    more; a crisis or check-in line at the end of the answer (secure_base/importer.py
    appends them after a crisis) stays at the end.

    Args:
        text: The answer as Rasa generated it.
        utter_action: The response it came from (Rasa puts it in the message).
        responses: The domain's responses.
        profile: The practice profile (its safety lines and article address).
    """
    if not utter_action or not utter_action.startswith(_FAQ_PREFIX):
        return None
    short = _plain_variation(responses.get(_SHORT_PREFIX + utter_action[len(_FAQ_PREFIX):], ()))
    if not short:
        return None
    kept = ""
    for line in (profile.crisis_short_line(), profile.safety_check_in_line()):
        if text.rstrip().endswith(line):
            kept = f"\n\n{line}"
            break
    more = f"(Short version for text messages. More to read: {profile.articles.base_url})"
    return f"{short.strip()}\n\n{more}{kept}"


def _split_words(unit: str, limit: int) -> list[str]:
    """A sentence longer than ``limit``, split between words (inside a word if need be)."""
    parts: list[str] = []
    current = ""
    for word in unit.split(" "):
        while len(word) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def split_message(text: str, limit: int) -> list[str]:
    """``text`` as messages of at most ``limit`` characters, split between sentences.

    Sentences (and lines) are kept whole and together as long as they fit; a sentence
    longer than a whole message is split between words. The order never changes, and
    nothing but the whitespace at a split is lost.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    units: list[tuple[str, str]] = []  # (sentence, the whitespace after it)
    start = 0
    for match in _BOUNDARY.finditer(text):
        units.append((text[start:match.start()], match.group()))
        start = match.end()
    units.append((text[start:], ""))
    parts: list[str] = []
    current, gap = "", ""
    for unit, after in units:
        if not unit:
            continue
        separator = "\n\n" if gap.count("\n") > 1 else ("\n" if "\n" in gap else " ")
        candidate = f"{current}{separator}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            pieces = _split_words(unit, limit) if len(unit) > limit else [unit]
            parts.extend(pieces[:-1])
            current = pieces[-1]
        gap = after
    if current:
        parts.append(current)
    return parts


def text_message_parts(text: str, buttons: Sequence[Mapping[str, Any]], whatsapp: bool,
                       utter_action: Optional[str] = None,
                       responses: Optional[Mapping[str, Sequence[Mapping[str, Any]]]] = None,
                       profile: Optional[PracticeProfile] = None) -> list[str]:
    """One bot message as the text messages to send, in order.

    Args:
        text: The message's text (Markdown or HTML allowed).
        buttons: Its buttons (or quick replies): a numbered list at the end.
        whatsapp: The recipient is on WhatsApp (longer parts, no short forms).
        utter_action: The response the text came from, if any.
        responses: The domain's responses (for short forms); None: no short forms.
        profile: The practice profile (for short forms).
    """
    body = plain_text(text, whatsapp)
    limit = WHATSAPP_PART_CHARS if whatsapp else SMS_PART_CHARS
    if not whatsapp and len(body) > SMS_SHORTEN_OVER and responses is not None and profile:
        short = short_form(text, utter_action, responses, profile)
        if short:
            body = plain_text(short)
    parts = split_message(body, limit)
    options = numbered_options(buttons, whatsapp)
    if options:
        if parts and len(parts[-1]) + 2 + len(options) <= limit:
            parts[-1] = f"{parts[-1]}\n\n{options}"
        else:
            parts.extend(split_message(options, limit))
    return parts
