"""SQL models of the article catalog.

Three tables:

* ``topics``: the fixed taxonomy of :data:`secure_base.topics.TOPIC_KEYS`, one row per
  key, seeded idempotently (:func:`seed_topics`).
* ``articles``: one row per ``articles/<slug>.md`` file.
* ``article_topics``: which topics an article covers, with ``position`` 0 for the topic
  it is most about, 1 for the next, and so on; ranking uses the position.

The full-text index over ``articles`` is not declared here: it is backend-specific and
created by :func:`secure_base.catalog.search.ensure_search_index`.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Session, relationship

from secure_base.sqltypes import Base, utcnow
from secure_base.topics import TOPIC_KEYS

SLUG_MAX = 120
TITLE_MAX = 200
SUMMARY_MAX = 300
URL_MAX = 500

# Labels where the mechanical "key with spaces" would read badly.
_LABEL_OVERRIDES = {
    "what_is_attachment": "What attachment is",
    "co_regulation": "Co-regulation",
    "can_attachment_change": "Can attachment change?",
    "not_broken": "You are not broken",
    "trusting_your_needs": "Trusting your needs",
    "self_worth": "Self-worth",
    "fees_and_insurance": "Fees and insurance",
}


def topic_label(key: str) -> str:
    """The human-readable label of a topic key (``co_regulation`` -> ``Co-regulation``)."""
    return _LABEL_OVERRIDES.get(key) or key.replace("_", " ").capitalize()


class Topic(Base):
    """One key of the fixed topic taxonomy.

    Attributes:
        key: The topic key, e.g. ``boundaries_without_guilt``.
        label: Its human-readable label.

    """

    __tablename__ = "topics"

    key = Column(String(64), primary_key=True)
    label = Column(String(120), nullable=False)


class ArticleTopic(Base):
    """The association between an article and one of its topics.

    Attributes:
        article_id: The article.
        topic_key: The topic.
        position: 0 for the article's main topic, then 1, 2, ... in front-matter order.

    """

    __tablename__ = "article_topics"
    __table_args__ = (UniqueConstraint("article_id", "position", name="uq_article_topic_pos"),)

    article_id = Column(Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    topic_key = Column(
        String(64), ForeignKey("topics.key", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position = Column(Integer, nullable=False)

    topic = relationship(Topic, lazy="joined")


class Article(Base):
    """An article of the catalog, imported from ``articles/<slug>.md``.

    Attributes:
        id: Surrogate primary key (also the FTS5 rowid on SQLite).
        slug: Unique identifier, equal to the file name without ``.md``.
        title: Title shown in the chat.
        summary: One or two sentences shown under the title.
        body: Markdown body (indexed for full-text search, never sent in the chat).
        published: Publication date.
        reading_minutes: Estimated reading time.
        url: Canonical absolute URL, or ``None`` to link to the profile's base URL + slug.
        content_hash: SHA-256 of every imported field; unchanged hash = nothing to do.
        imported_at: When the row was last inserted or changed (UTC).
        topic_links: The article's topics, ordered by position.

    """

    __tablename__ = "articles"

    id = Column(Integer, primary_key=True)
    slug = Column(String(SLUG_MAX), nullable=False, unique=True)
    title = Column(String(TITLE_MAX), nullable=False)
    summary = Column(String(SUMMARY_MAX), nullable=False)
    body = Column(Text, nullable=False)
    published = Column(Date, nullable=False)
    reading_minutes = Column(Integer, nullable=False)
    url = Column(String(URL_MAX), nullable=True)
    content_hash = Column(String(64), nullable=False)
    imported_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    topic_links = relationship(
        ArticleTopic,
        order_by=ArticleTopic.position,
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def topic_keys(self) -> tuple[str, ...]:
        """The article's topic keys, most relevant first."""
        return tuple(link.topic_key for link in self.topic_links)

    def link_url(self, base_url: str) -> str:
        """The URL to send: the canonical one, else ``base_url`` + slug."""
        return self.url or article_url(base_url, self.slug)

    def __repr__(self) -> str:
        return f"<Article {self.slug!r}>"


def article_url(base_url: str, slug: str) -> str:
    """Joins the profile's article base URL and a slug with exactly one slash."""
    return f"{str(base_url).rstrip('/')}/{slug}"


def seed_topics(session: Session) -> int:
    """Makes the ``topics`` table hold exactly the taxonomy's keys and labels.

    Idempotent: missing keys are added and changed labels updated; nothing else is
    written. Keys that left the taxonomy are kept (articles may still refer to them
    until the next import), which is why this never deletes.

    Returns:
        The number of rows added or changed.

    """
    existing = {t.key: t for t in session.execute(select(Topic)).scalars()}
    changed = 0
    for key in TOPIC_KEYS:
        label = topic_label(key)
        row = existing.get(key)
        if row is None:
            session.add(Topic(key=key, label=label))
            changed += 1
        elif row.label != label:
            row.label = label
            changed += 1
    if changed:
        session.flush()
    return changed


@event.listens_for(Topic.__table__, "after_create")
def _seed_new_topics_table(target, connection, **_kw) -> None:  # type: ignore[no-untyped-def]
    # A freshly created database has the taxonomy at once, before any import.
    connection.execute(
        target.insert(), [{"key": key, "label": topic_label(key)} for key in TOPIC_KEYS]
    )


def get_article(session: Session, slug: str) -> Optional[Article]:
    """The article with ``slug``, or ``None``."""
    return session.execute(select(Article).where(Article.slug == slug)).scalar_one_or_none()
