"""Replies shaped for each messaging channel: formatting, links, long texts, buttons.

The assistant's replies are written once (domain and actions); each messaging channel
shows them in its own way. This module turns a reply's text into channel-neutral
:class:`Span` s and back into what each channel understands:

* **markup**: Markdown (``**bold**``, ``*italics*``, ``_italics_``, ``[title](url)``,
  ``# headings`` as bold) and simple HTML (``<b>``, ``<i>``, ``<a href>``, ``<br>``;
  other tags are dropped, entities decoded) are read into spans, so no channel ever
  shows them as raw symbols.
  :func:`telegram_html` (Telegram's HTML ``parse_mode``, everything escaped),
  :func:`plain_text` (Messenger: no formatting, a link as ``title: url``) and
  :func:`slack_mrkdwn` (``*bold*``, ``_italics_``, ``<url|title>``, ``& < >`` escaped)
  write them out again. Only ``http(s)`` links become links.
* **the person's own words**: values an action fills into a response (an intake
  answer quoted back, a correction) are set aside while the markup is read, and the
  intake summary and corrections are not read at all (:data:`VERBATIM_RESPONSES`):
  escaped, never converted, so nothing someone typed is ever rendered as markup.
* **length**: :func:`split_spans` cuts a long reply at sentence ends (then at spaces,
  then anywhere) into parts each channel accepts, never inside a link or a tag.
* **article cards**: :func:`article_card` reads the web widget's card payload, for
  channels that show an article as a title and its link.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Optional

SpanKind = Literal["text", "bold", "italic", "link"]

#: Responses that quote what the person wrote: shown exactly as written.
VERBATIM_RESPONSES = frozenset({"utter_intake_summary", "utter_intake_corrected"})

#: Telegram: 4,096 characters per message (after entities are parsed).
TELEGRAM_MAX_CHARS = 4096
#: Messenger: 2,000 characters per text message.
MESSENGER_MAX_CHARS = 2000
#: Slack: 3,000 characters per section block's text.
SLACK_MAX_BLOCK_CHARS = 3000


@dataclass(frozen=True)
class Span:
    """A run of reply text with one kind of formatting.

    Attributes:
        kind: ``text``, ``bold``, ``italic`` or ``link``.
        text: What is shown (for a link, its title).
        url: A link's target (``http`` or ``https``); empty otherwise.
    """

    kind: SpanKind
    text: str
    url: str = ""


_URL = r"https?://[^\s()<>\"'|]+"
# One alternative per construct; the first that matches at a position wins.
_MARKUP = re.compile(
    r"(?P<md_link>\[(?P<md_title>[^\[\]\n]{1,300})\]\((?P<md_url>" + _URL + r")\))"
    r"|(?P<a_link><a\s[^<>]*?href\s*=\s*[\"'](?P<a_url>" + _URL
    + r")[\"'][^<>]*>(?P<a_title>.{0,300}?)</a\s*>)"
    r"|(?P<bare_url>" + _URL + r")"
    r"|(?P<heading>^[ \t]{0,3}#{1,6}[ \t]+(?P<heading_text>[^\n]+?)[ \t#]*$)"
    r"|(?P<h_bold><(?P<b_tag>b|strong)>(?P<h_bold_text>.{1,2000}?)</(?P=b_tag)\s*>)"
    r"|(?P<h_italic><(?P<i_tag>i|em)>(?P<h_italic_text>.{1,2000}?)</(?P=i_tag)\s*>)"
    r"|(?P<md_bold>(?<![\w*])\*\*(?=\S)(?P<md_bold_text>[^\n]+?)(?<=\S)\*\*(?![\w*])"
    r"|(?<![\w_])__(?=\S)(?P<md_bold_text2>[^\n]+?)(?<=\S)__(?![\w_]))"
    r"|(?P<md_italic>(?<![\w*])\*(?=[^\s*])(?P<md_italic_text>[^\n*]+?)(?<=[^\s*])\*(?![\w*])"
    r"|(?<![\w_])_(?=[^\s_])(?P<md_italic_text2>[^\n_]+?)(?<=[^\s_])_(?![\w_]))"
    r"|(?P<line_break><br\s*/?>)"
    r"|(?P<paragraph></p\s*>)"
    r"|(?P<tag></?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]{0,300})?/?>)",
    re.IGNORECASE | re.DOTALL | re.MULTILINE,
)


def _plain(fragment: str) -> str:
    """``fragment`` with any markup inside it dropped and entities decoded."""
    return "".join(span.text for span in parse_markup(fragment))


def parse_markup(text: str) -> list[Span]:
    """Reads the Markdown and simple HTML in a reply into spans.

    Formatting does not nest: markup inside bold, italics or a link title is shown as
    its plain text. Entities (``&amp;``) are decoded in every span.

    Args:
        text: A reply written by the assistant.

    Returns:
        The spans, in order; adjacent plain text is kept as one span.
    """
    spans: list[Span] = []

    def add(kind: SpanKind, content: str, url: str = "") -> None:
        if not content:
            return
        if kind == "text" and spans and spans[-1].kind == "text":
            spans[-1] = Span("text", spans[-1].text + content)
        else:
            spans.append(Span(kind, content, url))

    position = 0
    for match in _MARKUP.finditer(text):
        add("text", html.unescape(text[position:match.start()]))
        position = match.end()
        group = match.lastgroup
        if group == "md_link":
            add("link", _plain(match["md_title"]).strip() or match["md_url"], match["md_url"])
        elif group == "a_link":
            add("link", _plain(match["a_title"]).strip() or match["a_url"],
                html.unescape(match["a_url"]))
        elif group == "bare_url":
            add("text", match["bare_url"])  # as written: underscores in it are not italics
        elif group == "heading":
            add("bold", _plain(match["heading_text"]))
        elif group == "h_bold":
            add("bold", _plain(match["h_bold_text"]))
        elif group == "h_italic":
            add("italic", _plain(match["h_italic_text"]))
        elif group == "md_bold":
            add("bold", _plain(match["md_bold_text"] or match["md_bold_text2"]))
        elif group == "md_italic":
            add("italic", _plain(match["md_italic_text"] or match["md_italic_text2"]))
        elif group == "line_break":
            add("text", "\n")
        elif group == "paragraph":
            add("text", "\n\n")
        # Any other tag is dropped.
    add("text", html.unescape(text[position:]))
    return spans


#: Keys of Rasa's message that are not values filled into the response.
_NOT_VALUES = frozenset({"utter_action", "template_name", "timestamp", "text", "channel"})
# A private-use character pair around a filled value's number, while the rest is parsed.
_HOLE = re.compile("\ue000([0-9]+)\ue001")


def reply_spans(text: str, response: Optional[str] = None,
                values: Optional[dict[str, Any]] = None) -> list[Span]:
    """A reply's spans: its markup read, but never the values filled into it.

    Rasa passes the values an action filled into a response (``{value}``,
    ``{summary_reason}``...) along with the message; each is set aside while the rest of
    the text is parsed, then put back as written. Values that are bare ``http(s)`` links
    stay in place, so ``[{title}]({url})`` still makes a link.

    Args:
        text: The reply's text.
        response: The response it came from (``utter_action`` in Rasa's message), if
            any; a response in :data:`VERBATIM_RESPONSES` is not parsed at all.
        values: The rest of Rasa's message (the values filled into the response).
    """
    if response in VERBATIM_RESPONSES or "\ue000" in text:
        return [Span("text", text)] if text else []
    filled = sorted({v for k, v in (values or {}).items() if k not in _NOT_VALUES
                     and isinstance(v, str) and v.strip() and v in text
                     and not re.fullmatch(_URL, v.strip())}, key=len, reverse=True)
    if not filled:
        return parse_markup(text)
    for number, value in enumerate(filled):
        text = text.replace(value, f"\ue000{number}\ue001")

    def put_back(fragment: str) -> str:
        return _HOLE.sub(lambda hole: filled[int(hole.group(1))], fragment)

    return [Span(span.kind, put_back(span.text), span.url) for span in parse_markup(text)]


# --- Writing spans out per channel ---------------------------------------------------

def _link_as_text(span: Span) -> str:
    return span.url if span.text in ("", span.url) else f"{span.text}: {span.url}"


def plain_text(spans: Iterable[Span]) -> str:
    """Spans as plain text (Messenger): formatting dropped, a link as ``title: url``."""
    return "".join(_link_as_text(s) if s.kind == "link" else s.text for s in spans)


def telegram_html(spans: Iterable[Span]) -> str:
    """Spans in Telegram's HTML ``parse_mode``, with every piece of text escaped."""
    out = []
    for span in spans:
        text = html.escape(span.text, quote=False)
        if span.kind == "bold":
            out.append(f"<b>{text}</b>")
        elif span.kind == "italic":
            out.append(f"<i>{text}</i>")
        elif span.kind == "link":
            out.append(f'<a href="{html.escape(span.url, quote=True)}">{text}</a>')
        else:
            out.append(text)
    return "".join(out)


def slack_escape(text: str) -> str:
    """``text`` for Slack's mrkdwn: ``&``, ``<`` and ``>`` escaped, as Slack asks.

    Escaping ``<`` also keeps a quoted ``<!channel>`` from notifying anyone.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(spans: Iterable[Span]) -> str:
    """Spans in Slack's mrkdwn: ``*bold*``, ``_italics_``, ``<url|title>``."""
    out = []
    for span in spans:
        text = slack_escape(span.text)
        if span.kind == "bold":
            out.append(f"*{text.strip()}*")
        elif span.kind == "italic":
            out.append(f"_{text.strip()}_")
        elif span.kind == "link":
            url = slack_escape(span.url)
            out.append(f"<{url}|{text}>" if span.text != span.url else f"<{url}>")
        else:
            out.append(text)
    return "".join(out)


def visible_length(spans: Iterable[Span]) -> int:
    """What Telegram counts against its limit: the shown text, in UTF-16 code units."""
    return sum(len(span.text.encode("utf-16-le")) // 2 for span in spans)


# --- Long replies --------------------------------------------------------------------

Measure = Callable[[list[Span]], int]
# After a sentence's end (with closing quotes or brackets) and its spaces, or a newline run.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*[ \t]+|\n+")
_WORD_END = re.compile(r"\s+")


def _cut(spans: list[Span], boundary: re.Pattern[str]) -> list[list[Span]]:
    """Spans cut after each ``boundary`` in their plain text; formatted spans stay whole."""
    pieces: list[list[Span]] = [[]]
    for span in spans:
        if span.kind != "text":
            pieces[-1].append(span)
            continue
        start = 0
        for match in boundary.finditer(span.text):
            pieces[-1].append(Span("text", span.text[start:match.end()]))
            pieces.append([])
            start = match.end()
        if start < len(span.text):
            pieces[-1].append(Span("text", span.text[start:]))
    return [piece for piece in pieces if piece]


def _hard_cut(span: Span, limit: int, measure: Measure) -> list[list[Span]]:
    """A span too long for any part, as plain text cut into pieces that fit ``limit``.

    Rendering may lengthen text (escaping), so each piece is halved until it fits.
    """
    text = _link_as_text(span) if span.kind == "link" else span.text
    pieces: list[list[Span]] = []
    pending = [text[i:i + limit] for i in range(0, len(text), limit)]
    while pending:
        piece = pending.pop(0)
        if len(piece) > 1 and measure([Span("text", piece)]) > limit:
            middle = len(piece) // 2
            pending[:0] = [piece[:middle], piece[middle:]]
        else:
            pieces.append([Span("text", piece)])
    return pieces


def _pack(pieces: list[list[Span]], limit: int, measure: Measure,
          too_long: Callable[[list[Span]], list[list[Span]]]) -> list[list[Span]]:
    """Greedily joins pieces into parts of at most ``limit``; ``too_long`` splits one."""
    parts: list[list[Span]] = []
    current: list[Span] = []
    for piece in pieces:
        for fitting in ([piece] if measure(piece) <= limit else too_long(piece)):
            if current and measure(current + fitting) > limit:
                parts.append(current)
                current = []
            current = current + fitting
    if current:
        parts.append(current)
    return parts


def _trimmed(part: list[Span]) -> list[Span]:
    """The part without leading or trailing whitespace (plain text only)."""
    spans = list(part)
    if spans and spans[0].kind == "text":
        spans[0] = Span("text", spans[0].text.lstrip())
    if spans and spans[-1].kind == "text":
        spans[-1] = Span("text", spans[-1].text.rstrip())
    return [span for span in spans if span.text]


def split_spans(spans: list[Span], limit: int, measure: Measure) -> list[list[Span]]:
    """Cuts a reply into parts of at most ``limit`` as ``measure`` counts them.

    Cuts fall after a sentence's end or a line break; a sentence longer than the limit
    is cut between words, and a word (or a link) longer than the limit anywhere.

    Args:
        spans: The reply.
        limit: The channel's limit per message or block.
        measure: How the channel counts a part (e.g. the length of its rendered text).

    Returns:
        The parts, in order, none empty.
    """

    def by_words(sentence: list[Span]) -> list[list[Span]]:
        return _pack(_cut(sentence, _WORD_END), limit, measure, by_characters)

    def by_characters(word: list[Span]) -> list[list[Span]]:
        return [piece for span in word for piece in _hard_cut(span, limit, measure)]

    parts = _pack(_cut(spans, _SENTENCE_END), limit, measure, by_words)
    return [trimmed for trimmed in map(_trimmed, parts) if trimmed]


# --- Buttons -------------------------------------------------------------------------

def button_title(button: dict[str, Any]) -> str:
    """A button's title as plain text (markup removed)."""
    return plain_text(parse_markup(str(button.get("title") or ""))).strip()


def link_button(button: dict[str, Any]) -> Optional[tuple[str, str]]:
    """The title and ``http(s)`` link of a button that opens a page, if it is one."""
    url = button.get("url")
    if button.get("payload") or not isinstance(url, str) or not re.fullmatch(_URL, url.strip()):
        return None
    return button_title(button) or url.strip(), url.strip()


# --- Article cards -------------------------------------------------------------------

def article_card(custom: Any) -> Optional[tuple[str, str]]:
    """The title and link of the web widget's article card, if ``custom`` is one.

    The card is ``{"type": "article", "title", "url", ...}``, possibly under ``data``
    (data/responses/articles.yml).
    """
    if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
        custom = custom["data"]
    if not isinstance(custom, dict) or custom.get("type") != "article":
        return None
    title, url = custom.get("title"), custom.get("url")
    if not isinstance(title, str) or not isinstance(url, str):
        return None
    if not re.fullmatch(_URL, url.strip()):
        return None
    return title.strip(), url.strip()


def card_spans(title: str, url: str) -> list[Span]:
    """An article card as spans: its title, then its link on a line of its own."""
    return [Span("text", f"{title}\n"), Span("link", url, url)]


class ArticleCardsAsLinks:
    """Output-channel mixin: the web widget's article cards sent as a title and a link.

    Put it before Rasa's output class; the channel says how spans are sent
    (:meth:`send_card_spans`), and any other custom payload goes to Rasa's own
    ``send_custom_json``.
    """

    async def send_card_spans(self, recipient_id: str, spans: list[Span]) -> None:
        """Sends ``spans`` to ``recipient_id`` the way the channel sends replies."""
        raise NotImplementedError

    async def send_custom_json(self, recipient_id: str, json_message: Any,
                               **kwargs: Any) -> None:
        """An article card as its title and link; other payloads as Rasa sends them."""
        card = article_card(json_message)
        if card is not None:
            await self.send_card_spans(recipient_id, card_spans(*card))
            return
        await super().send_custom_json(recipient_id, json_message, **kwargs)  # type: ignore[misc]
