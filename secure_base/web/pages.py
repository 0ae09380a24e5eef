"""HTML pages of the website, rendered from ``website/templates`` and the practice profile.

Templates use :class:`string.Template` placeholders (``$name``). Every value that comes
from the profile or an article's front matter is HTML-escaped here with :func:`esc`;
only fragments built in this module (already escaped) and the article body rendered by
:mod:`secure_base.web.articles` are inserted as HTML. Articles are the catalog's
:class:`~secure_base.catalog.articles.ArticleSource`, so every field they show is present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from secure_base.catalog.articles import ArticleSource
from secure_base.profile import PracticeProfile
from secure_base.web.articles import is_safe_url

_TEMPLATE_NAMES = ("layout", "index", "widget", "article", "articles_index", "error")


def esc(value: object) -> str:
    """HTML-escape a value for text and for quoted attribute values."""
    return escape(str(value), quote=True)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _phone_href(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def _date_text(day: date) -> str:
    # For people: 3 May 2024.
    return f"{day.day} {day:%B %Y}"


def _topic_label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _further_reading(article: ArticleSource) -> str:
    # Citation text is escaped; a source URL is shown only if it is http(s), the only
    # kind the catalog accepts, and opens without handing over this page.
    if not article.further_reading:
        return ""
    items = []
    for r in article.further_reading:
        title = esc(r.title)
        if r.url and is_safe_url(r.url) and urlsplit(r.url).scheme in ("http", "https"):
            title = f'<a href="{esc(r.url)}" rel="noopener noreferrer">{title}</a>'
        source = f" {esc(_sentence(r.source))}" if r.source else ""
        items.append(
            f'      <li class="reading__item">{esc(r.authors)} ({r.year}). '
            f"<cite>{title}</cite>.{source}</li>"
        )
    return (
        '  <section class="article__reading" aria-labelledby="reading-title">\n'
        '    <h2 id="reading-title">Further reading</h2>\n'
        '    <ul class="reading">\n' + "\n".join(items) + "\n    </ul>\n  </section>"
    )


def _related(articles: list[ArticleSource]) -> str:
    if not articles:
        return ""
    items = "\n".join(
        f'      <li><a href="/articles/{esc(a.slug)}">{esc(a.title)}</a></li>' for a in articles
    )
    return (
        '  <nav class="article__related" aria-labelledby="related-title">\n'
        '    <h2 id="related-title">Related articles</h2>\n'
        f'    <ul class="related">\n{items}\n    </ul>\n  </nav>'
    )


@dataclass(frozen=True)
class ChatEndpoint:
    """Where the widget's socket.io client connects (values for the page config)."""

    url: str
    socket_path: str


class Pages:
    """Load the templates once and render the site's pages."""

    def __init__(self, templates_dir: Path) -> None:
        self._templates = {
            name: Template((templates_dir / f"{name}.html").read_text(encoding="utf-8"))
            for name in _TEMPLATE_NAMES
        }

    def _layout(
        self,
        profile: PracticeProfile | None,
        *,
        title: str,
        description: str,
        main: str,
        body_class: str = "",
        body_extra: str = "",
        articles_current: bool = False,
    ) -> str:
        if profile is None:
            name = location = email = phone = crisis_note = ""
            crisis_lines = ""
        else:
            name = profile.practice.name
            location = profile.contact.location
            email = profile.contact.email
            phone = profile.contact.phone
            crisis_note = profile.crisis.practice_note
            crisis_lines = self._crisis_items(profile, indent=8)
        return self._templates["layout"].substitute(
            title=esc(title),
            description=esc(description),
            head_extra="",
            body_class=esc(body_class),
            practice_name=esc(name),
            articles_current=' aria-current="page"' if articles_current else "",
            main=main,
            crisis_note=esc(crisis_note),
            crisis_lines=crisis_lines,
            location=esc(location),
            email=esc(email),
            phone=esc(phone),
            phone_href=esc(_phone_href(phone)),
            body_extra=body_extra,
        )

    @staticmethod
    def _crisis_items(profile: PracticeProfile, *, indent: int) -> str:
        pad = " " * indent
        return "\n".join(f"{pad}<li>{esc(line)}</li>" for line in profile.crisis.current().lines)

    def index(
        self, profile: PracticeProfile, chat: ChatEndpoint, latest: list[ArticleSource]
    ) -> str:
        """Render the home page with the chat widget."""
        p, c, fs, fees = profile.practice, profile.contact, profile.first_session, profile.fees
        if fs.free_consultation_minutes:
            booking_label = f"Book a free {fs.free_consultation_minutes}-minute consultation"
        else:
            booking_label = "Book a first session"
        formats = "\n".join(
            f"          <li><strong>{esc(f.label)}</strong>"
            + (f"<span>{esc(f.detail)}</span>" if f.detail else "")
            + "</li>"
            for f in profile.session_formats
        )
        regions = ""
        if profile.licensed_regions:
            regions = (
                '<p class="card__meta">Licensed in '
                + esc(", ".join(profile.licensed_regions))
                + ".</p>"
            )
        meta = f"Sessions last {fs.length_minutes} minutes."
        if fs.free_consultation_minutes:
            meta += (
                f" A free {fs.free_consultation_minutes}-minute consultation call is"
                " available first."
            )
        session_summary = f"{fs.length_minutes}-minute sessions · " + ", ".join(
            f.label for f in profile.session_formats
        )
        location_row = ""
        if c.location:
            location_row = f"<div><dt>Address</dt><dd>{esc(c.location)}</dd></div>"
        main = self._templates["index"].substitute(
            tagline=esc(p.tagline),
            practice_name=esc(p.name),
            short_name=esc(p.short_name),
            clinicians=esc(p.clinicians),
            booking_url=esc(c.booking_url),
            booking_label=esc(booking_label),
            hours=esc(c.hours),
            session_summary=esc(session_summary),
            response_time=esc(c.response_time),
            first_session=esc(fs.description),
            first_session_meta=esc(meta),
            formats=formats,
            regions=regions,
            session_fee=esc(_sentence(fees.session_fee)),
            sliding_scale=f"<p>{esc(fees.sliding_scale)}</p>" if fees.sliding_scale else "",
            insurance=esc(fees.insurance),
            articles_teaser=self._teaser(latest),
            email=esc(c.email),
            phone=esc(c.phone),
            phone_href=esc(_phone_href(c.phone)),
            location_row=location_row,
        )
        widget = self._templates["widget"].substitute(
            rasa_url=esc(chat.url),
            socket_path=esc(chat.socket_path),
            short_name=esc(p.short_name),
            crisis_region=esc(profile.crisis.current().label),
            crisis_lines=self._crisis_items(profile, indent=8),
        )
        return self._layout(
            profile,
            title=f"{p.name} · {p.tagline}" if p.tagline else p.name,
            description=p.tagline or p.name,
            main=main,
            body_class="page-home",
            body_extra=widget,
        )

    @staticmethod
    def _article_list(articles: list[ArticleSource], *, heading_level: int) -> str:
        items = []
        for article in articles:
            meta = f"{_date_text(article.published)} · {article.reading_minutes} min read"
            items.append(
                '      <li class="article-list__item">'
                f'<h{heading_level} class="article-list__title">'
                f'<a href="/articles/{esc(article.slug)}">{esc(article.title)}</a>'
                f"</h{heading_level}>"
                f'<p class="article-list__summary">{esc(article.summary)}</p>'
                f'<p class="article-list__meta">{esc(meta)}</p>'
                "</li>"
            )
        return '    <ul class="article-list">\n' + "\n".join(items) + "\n    </ul>"

    def _teaser(self, latest: list[ArticleSource]) -> str:
        if not latest:
            return ""
        return (
            '<section id="reading" class="section" aria-labelledby="reading-title">\n'
            '  <div class="container">\n'
            '    <h2 id="reading-title" class="section__title">Something to read</h2>\n'
            + self._article_list(latest, heading_level=3)
            + '\n    <p><a class="link-arrow" href="/articles/">All articles</a></p>\n'
            "  </div>\n</section>\n"
        )

    def articles_index(self, profile: PracticeProfile | None, articles: list[ArticleSource]) -> str:
        """Render the list of all articles."""
        if articles:
            listing = self._article_list(articles, heading_level=2)
        else:
            listing = '    <p class="empty">There are no articles yet. Please check back soon.</p>'
        main = self._templates["articles_index"].substitute(list=listing)
        name = profile.practice.name if profile else ""
        return self._layout(
            profile,
            title=f"Articles · {name}" if name else "Articles",
            description="Articles about attachment and therapy",
            main=main,
            body_class="page-articles",
            articles_current=True,
        )

    def article(
        self,
        profile: PracticeProfile | None,
        article: ArticleSource,
        body_html: str,
        related: list[ArticleSource] | None = None,
    ) -> str:
        """Render one article; ``body_html`` is the safely rendered Markdown body.

        Args:
            profile: The practice profile, or None when it cannot be loaded.
            article: The article.
            body_html: Its body, rendered by :func:`secure_base.web.articles.render_markdown`.
            related: The related articles that exist, in the article's order.

        """
        meta = f"Published {_date_text(article.published)} · {article.reading_minutes} min read"
        topics = (
            '<ul class="tags" aria-label="Topics">'
            + "".join(f"<li>{esc(_topic_label(t))}</li>" for t in article.topics)
            + "</ul>"
        )
        main = self._templates["article"].substitute(
            title=esc(article.title),
            summary=esc(article.summary),
            meta=esc(meta),
            topics=topics,
            body=body_html,
            further_reading=_further_reading(article),
            related=_related(related or []),
            short_name=esc(profile.practice.short_name if profile else "us"),
        )
        name = profile.practice.name if profile else ""
        return self._layout(
            profile,
            title=f"{article.title} · {name}" if name else article.title,
            description=article.summary,
            main=main,
            body_class="page-article",
            articles_current=True,
        )

    def error(
        self, profile: PracticeProfile | None, *, status: int, heading: str, message: str
    ) -> str:
        """Render an error page (404, 500...)."""
        main = self._templates["error"].substitute(
            status=esc(f"Error {status}"), heading=esc(heading), message=esc(message)
        )
        name = profile.practice.name if profile else ""
        return self._layout(
            profile,
            title=f"{heading} · {name}" if name else heading,
            description=heading,
            main=main,
            body_class="page-error",
        )
