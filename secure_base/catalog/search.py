"""Full-text search over the article catalog and article recommendations.

The database does the text relevance itself: an FTS5 table ranked with ``bm25()`` on
SQLite, a weighted ``tsvector`` column ranked with ``ts_rank_cd`` on PostgreSQL. On top
of that, :func:`recommend` adds the topic tags (an article's main topic counts more than
its third one) and maps free text to topic keys by matching lemmas against the topics'
keyword phrases (:func:`topics_for_query`, over :data:`secure_base.topics.TOPIC_KEYWORDS`),
so "anything I can read about saying no?" finds the articles tagged
``boundaries_without_guilt`` even when the NLU extracted no entity.

User text never reaches SQL as SQL: it is lemmatized with spaCy, reduced to letters and
digits, quoted as FTS5 strings, and passed as bound parameters only.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from secure_base.catalog.models import Article, ArticleTopic, article_url
from secure_base.topics import TOPIC_KEYS, TOPIC_KEYWORDS

logger = logging.getLogger(__name__)

FTS_TABLE = "articles_fts"
PG_VECTOR_COLUMN = "search_vector"
# Bounds on what one query may cost, whatever a person pastes into the chat.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 24
MAX_WORD_CHARS = 40  # longer "words" are noise, not vocabulary
MAX_TEXT_HITS = 50
# A tag at position 0 is worth TAG_WEIGHT, position 1 half of it, ...; text relevance is
# in [0, 1), so a main-topic tag always beats an untagged text hit.
TAG_WEIGHT = 2.0

# Words of the request itself ("send me an article to read"), not of its subject.
REQUEST_WORDS = frozenset(
    """
    read reading reader article articles blog blogs post posts recommend recommendation
    recommendations suggest suggestion suggestions send link links resource resources
    material materials piece pieces writing write written text stuff thing things topic
    topics subject info information learn know tell show give share find look want like
    love good great please thanks thank hi hello hey maybe also else other another more
    something anything everything nothing have get got may might could would should can
    lot bit kind sort little page website site book
    """.split()
)


@dataclass(frozen=True)
class Recommendation:
    """An article recommended for a request.

    Attributes:
        slug: The article's slug.
        title: Its title.
        summary: Its summary.
        url: The link to send (canonical URL, or the profile's base URL + slug).
        score: Relevance (higher is better): topic-tag weight plus text relevance.
        topics: The article's topic keys, main topic first.

    """

    slug: str
    title: str
    summary: str
    url: str
    score: float
    topics: tuple[str, ...]


# ---------------------------------------------------------------------------------------
# The index


def ensure_search_index(engine: Engine) -> None:
    """Creates the full-text index of ``articles`` if it does not exist (idempotent).

    SQLite: an external-content FTS5 table over (title, summary, body) with the porter
    tokenizer, kept in sync by triggers on ``articles`` (rebuilt once when created for a
    table that already has rows). PostgreSQL: a stored generated ``tsvector`` column
    (title weight A, summary B, body C, ``english`` configuration) with a GIN index.
    Other backends get no index; :func:`recommend` then ranks by topic tags only.

    Args:
        engine: The application engine (``articles`` must exist already).

    """
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            _ensure_sqlite_index(conn)
        elif conn.dialect.name == "postgresql":
            _ensure_postgres_index(conn)
        else:
            logger.warning("No full-text index for %s; ranking by topic only", conn.dialect.name)


def _ensure_sqlite_index(conn: Connection) -> None:
    exists = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "title, summary, body, content='articles', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    # External content: the FTS table stores only the index; triggers keep it in step
    # with every insert, update and delete of articles, whoever writes them.
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON articles BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, title, summary, body) "
        "VALUES (new.id, new.title, new.summary, new.body); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON articles BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, summary, body) "
        "VALUES ('delete', old.id, old.title, old.summary, old.body); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE ON articles BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, summary, body) "
        "VALUES ('delete', old.id, old.title, old.summary, old.body); "
        f"INSERT INTO {FTS_TABLE}(rowid, title, summary, body) "
        "VALUES (new.id, new.title, new.summary, new.body); END"
    )
    if not exists:
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def _ensure_postgres_index(conn: Connection) -> None:
    # A generated column needs no trigger and cannot drift from the row it belongs to.
    conn.exec_driver_sql(
        f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {PG_VECTOR_COLUMN} tsvector "
        "GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')"
        ") STORED"
    )
    conn.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS ix_articles_{PG_VECTOR_COLUMN} "
        f"ON articles USING GIN ({PG_VECTOR_COLUMN})"
    )


# ---------------------------------------------------------------------------------------
# Language: spaCy lemmas, loaded lazily once per process


_nlp_lock = threading.Lock()
_nlp: Any = None
_keyword_lock = threading.Lock()
_keywords: Optional[list[tuple[str, tuple[frozenset[str], ...]]]] = None
_WORD_RE = re.compile(r"[^\W_]+")
_POSSESSIVE = {"'s", "’s", "'", "’"}


@dataclass(frozen=True)
class _Token:
    lower: str
    lemma: str
    is_stop: bool
    hyphen_before: bool = False  # joined to the previous token by a hyphen ("co-regulation")

    @property
    def forms(self) -> frozenset[str]:
        return frozenset((self.lower, self.lemma))


def _load_nlp() -> Any:
    global _nlp
    if _nlp is None:
        with _nlp_lock:
            if _nlp is None:
                import spacy

                with warnings.catch_warnings():
                    # W095: the pinned model is 3.6.0 under spaCy 3.7 (docs/spacy-model.md).
                    warnings.simplefilter("ignore", UserWarning)
                    # Parser and NER are not needed for lemmas; skipping them halves the cost.
                    _nlp = spacy.load("en_core_web_sm", exclude=["parser", "ner"])
    return _nlp


def _analyse(texts: Sequence[str]) -> list[list[_Token]]:
    nlp = _load_nlp()
    cleaned = [t[:MAX_QUERY_CHARS] for t in texts]
    # spaCy pipelines are not documented as thread-safe; actions run in worker threads.
    with _nlp_lock:
        docs = list(nlp.pipe(cleaned))
    result = []
    for doc in docs:
        tokens = []
        for tok in doc:
            lower = tok.lower_.strip()
            if not lower or tok.is_punct or tok.is_space or lower in _POSSESSIVE:
                continue
            prev = doc[tok.i - 1] if tok.i >= 2 else None
            hyphen = (
                prev is not None
                and prev.text in ("-", "‐", "–")
                and not prev.whitespace_
                and not doc[tok.i - 2].whitespace_
                and bool(tokens)
            )
            lemma = tok.lemma_.lower().strip() or lower
            tokens.append(_Token(lower, lemma, tok.is_stop, hyphen))
        result.append(tokens)
    return result


def _keyword_index() -> list[tuple[str, tuple[frozenset[str], ...]]]:
    global _keywords
    if _keywords is None:
        with _keyword_lock:
            if _keywords is None:
                pairs = [
                    (key, phrase) for key, phrases in TOPIC_KEYWORDS.items() for phrase in phrases
                ]
                analysed = _analyse([phrase for _, phrase in pairs])
                _keywords = [
                    (key, tuple(tok.forms for tok in tokens))
                    for (key, _), tokens in zip(pairs, analysed, strict=False)
                    if tokens
                ]
    return _keywords


def _clean_word(word: str) -> str:
    # Only letters and digits survive: no quotes, operators, column filters or wildcards
    # can reach the FTS query syntax.
    return "".join(_WORD_RE.findall(word))


def query_terms(query: str) -> list[str]:
    """The search terms of a free-text query: content lemmas, cleaned and de-duplicated.

    Stop words, punctuation and the words of the request itself ("article", "read") are
    dropped; hyphenated compounds stay together as one phrase ("co regulation"); at most
    :data:`MAX_TERMS` terms are kept.

    Args:
        query: What the person wrote.

    Returns:
        Terms made only of letters, digits and single spaces (between the words of a
        compound), in order of first appearance.

    """
    if not query or not query.strip():
        return []
    groups: list[list[_Token]] = []
    for tok in _analyse([query])[0]:
        if tok.hyphen_before and groups:
            groups[-1].append(tok)
        else:
            groups.append([tok])
    terms: list[str] = []
    for group in groups:
        if len(group) == 1:
            tok = group[0]
            if tok.is_stop or tok.lower in REQUEST_WORDS:
                continue
            words = [_clean_word(tok.lemma) or _clean_word(tok.lower)]
            if words[0] in REQUEST_WORDS:
                continue
        else:
            # Compounds keep their surface words: FTS stems them the same way as the text.
            words = [_clean_word(tok.lower) for tok in group]
        words = [w for w in words if 0 < len(w) <= MAX_WORD_CHARS]
        term = " ".join(words)
        if len(term) < 2 or term in terms:
            continue
        terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return terms


def topic_weights_for_query(query: str) -> dict[str, float]:
    """Topic keys a free-text query is about, with weights in (0, 1].

    Keyword phrases are matched against the query's tokens (lowercase form or lemma);
    overlapping matches keep the longest phrase, and a topic's score is the number of
    tokens its accepted matches cover. Weights are scores divided by the best score.

    Args:
        query: What the person wrote.

    Returns:
        ``{topic_key: weight}``, empty when no keyword matched.

    """
    if not query or not query.strip():
        return {}
    tokens = _analyse([query])[0]
    matches: list[tuple[int, int, str]] = []
    for key, phrase in _keyword_index():
        size = len(phrase)
        for start in range(len(tokens) - size + 1):
            if all(phrase[i] & tokens[start + i].forms for i in range(size)):
                matches.append((start, start + size, key))
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    covered = [False] * len(tokens)
    scores: dict[str, float] = {}
    for start, end, key in matches:
        if any(covered[start:end]):
            continue
        covered[start:end] = [True] * (end - start)
        scores[key] = scores.get(key, 0.0) + (end - start)
    if not scores:
        return {}
    best = max(scores.values())
    return {key: score / best for key, score in scores.items()}


def topics_for_query(query: str) -> list[str]:
    """Topic keys a free-text query is about, best match first.

    Example: ``topics_for_query("anything I can read about setting boundaries?")`` gives
    ``["boundaries_without_guilt"]``.
    """
    weights = topic_weights_for_query(query)
    return sorted(weights, key=lambda k: (-weights[k], TOPIC_KEYS.index(k)))


def canonical_phrase(topic_key: str) -> Optional[str]:
    """The phrase searched in article text when only a topic is known."""
    phrases = TOPIC_KEYWORDS.get(topic_key)
    return phrases[0] if phrases else None


# ---------------------------------------------------------------------------------------
# Ranking


def _fts_phrases(phrases: Iterable[str]) -> list[list[str]]:
    result: list[list[str]] = []
    for phrase in phrases:
        words = [w for w in (_clean_word(part) for part in re.split(r"[\s\-]+", phrase)) if w]
        if words and words not in result:
            result.append(words)
    return result[:MAX_TERMS]


def _text_scores(session: Session, phrases: list[list[str]]) -> dict[int, float]:
    """Article id -> text relevance in [0, 1), from the database's own full-text search."""
    if not phrases:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Every phrase is a quoted FTS5 string of plain words, OR-combined: nothing the
        # person typed can act as an operator (NEAR, *, ^, column:), and the whole
        # expression is one bound parameter.
        match = " OR ".join('"' + " ".join(words) + '"' for words in phrases)
        rows = session.execute(
            text(
                f"SELECT rowid AS id, bm25({FTS_TABLE}, 10.0, 4.0, 1.0) AS rank "
                f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match ORDER BY rank LIMIT :n"
            ),
            {"match": match, "n": MAX_TEXT_HITS},
        ).all()
        # bm25() is lower-is-better and <= 0; map -bm25 = x >= 0 onto x / (1 + x).
        return {int(r.id): (-float(r.rank)) / (1.0 - float(r.rank)) for r in rows}
    if dialect == "postgresql":
        params: dict[str, Any] = {"n": MAX_TEXT_HITS}
        parts = []
        for index, words in enumerate(phrases):
            params[f"t{index}"] = " ".join(words)
            # phraseto_tsquery ignores every operator character in its input.
            parts.append(f"phraseto_tsquery('english'::regconfig, :t{index})")
        tsquery = " || ".join(parts)
        rows = session.execute(
            text(
                f"SELECT a.id, ts_rank_cd(a.{PG_VECTOR_COLUMN}, q.query, 32) AS rank "
                f"FROM articles AS a, (SELECT {tsquery} AS query) AS q "
                f"WHERE a.{PG_VECTOR_COLUMN} @@ q.query ORDER BY rank DESC LIMIT :n"
            ),
            params,
        ).all()
        # Normalisation 32 already maps the rank onto rank / (rank + 1).
        return {int(r.id): float(r.rank) for r in rows}
    return {}


def _tag_scores(session: Session, weights: dict[str, float]) -> dict[int, float]:
    """Article id -> tag score: best of weight / (1 + position) over matching tags."""
    if not weights:
        return {}
    rows = session.execute(
        select(ArticleTopic.article_id, ArticleTopic.topic_key, ArticleTopic.position).where(
            ArticleTopic.topic_key.in_(list(weights))
        )
    ).all()
    scores: dict[int, float] = {}
    for article_id, key, position in rows:
        value = weights[key] / (1.0 + position)
        scores[article_id] = max(scores.get(article_id, 0.0), value)
    return scores


def recommend(
    session: Session,
    *,
    topic_key: Optional[str] = None,
    query: Optional[str] = None,
    exclude_slugs: Iterable[str] = (),
    limit: int = 3,
    offset: int = 0,
    base_url: Optional[str] = None,
) -> list[Recommendation]:
    """Recommends articles for a topic and/or a free-text request.

    Score = ``TAG_WEIGHT`` x (topic weight / (1 + tag position)) + text relevance, where
    text relevance comes from bm25() (SQLite FTS5) or ts_rank_cd (PostgreSQL) of the
    query's lemmas (or, with only a topic, of the topic's canonical phrase). Without a
    ``topic_key``, the topics come from :func:`topic_weights_for_query`.

    Args:
        session: Session of the caller's unit of work.
        topic_key: A topic key (e.g. from the ``topic`` entity); unknown keys are ignored.
        query: Free text of the request.
        exclude_slugs: Articles already shown (``more`` gives the next ones).
        limit: How many to return at most.
        offset: How many of the ranked results to skip.
        base_url: Base URL for articles without a canonical URL; defaults to the
            practice profile's ``articles.base_url``.

    Returns:
        Best first; an empty list when nothing is relevant (no topic tag and no text hit).

    """
    if limit <= 0:
        return []
    weights: dict[str, float] = {}
    phrases: list[str] = []
    if topic_key in TOPIC_KEYS:
        weights[topic_key] = 1.0  # type: ignore[index]
    if query and query.strip():
        phrases = query_terms(query)
        if not weights:
            weights = topic_weights_for_query(query)
    elif topic_key in TOPIC_KEYS:
        phrase = canonical_phrase(topic_key)  # type: ignore[arg-type]
        phrases = [phrase] if phrase else []

    tag_scores = _tag_scores(session, weights)
    text_scores = _text_scores(session, _fts_phrases(phrases))
    candidate_ids = set(tag_scores) | set(text_scores)
    if not candidate_ids:
        return []
    excluded = list(dict.fromkeys(exclude_slugs))
    stmt = select(Article).where(Article.id.in_(candidate_ids))
    if excluded:
        stmt = stmt.where(Article.slug.not_in(excluded))
    articles = list(session.execute(stmt).scalars())

    scored = []
    for article in articles:
        score = TAG_WEIGHT * tag_scores.get(article.id, 0.0) + text_scores.get(article.id, 0.0)
        scored.append((score, article))
    # Ties: newer first, then slug, so the order is stable across runs and backends.
    scored.sort(key=lambda pair: (-pair[0], -pair[1].published.toordinal(), pair[1].slug))
    page = scored[offset : offset + limit]

    if base_url is None and any(article.url is None for _, article in page):
        from secure_base.profile import load_profile

        base_url = str(load_profile().articles.base_url)
    return [
        Recommendation(
            slug=article.slug,
            title=article.title,
            summary=article.summary,
            url=article.url or article_url(base_url or "", article.slug),
            score=round(score, 6),
            topics=article.topic_keys,
        )
        for score, article in page
    ]
