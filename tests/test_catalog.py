"""The article catalog on every database backend: models, validation with file/line
reports, all-or-nothing idempotent import, full-text ranking, hostile queries, CLI."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from secure_base.catalog import cli
from secure_base.catalog.articles import (
    CatalogError,
    parse_article,
    split_front_matter,
    validate_directory,
)
from secure_base.catalog.loader import import_directory
from secure_base.catalog.models import Article, ArticleTopic, Topic, seed_topics, topic_label
from secure_base.catalog.search import (
    query_terms,
    recommend,
    topics_for_query,
)
from secure_base.db import session_scope
from secure_base.topics import TOPIC_KEYS, TOPIC_KEYWORDS

BASE = "https://practice.example/articles/"


def article_text(
    slug: str,
    *,
    title: str = "A title",
    summary: str = "A short summary.",
    topics: str = "[boundaries_without_guilt]",
    published: str = "2024-05-02",
    reading_minutes: str = "5",
    url: str | None = None,
    body: str = "Some body text.",
) -> str:
    lines = [
        "---",
        f"slug: {slug}",
        f"title: {title}",
        f"summary: {summary}",
        f"topics: {topics}",
        f"published: {published}",
        f"reading_minutes: {reading_minutes}",
    ]
    if url is not None:
        lines.append(f"url: {url}")
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def write(directory: Path, slug: str, **fields) -> Path:  # type: ignore[no-untyped-def]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{slug}.md"
    path.write_text(article_text(slug, **fields), encoding="utf-8")
    return path


CORPUS = {
    "setting-boundaries": dict(
        title="Setting boundaries without guilt",
        summary="Why saying no feels dangerous, and how it gets easier.",
        topics="[boundaries_without_guilt, self_worth]",
        published="2024-03-01",
        body="Saying no can bring a wave of guilt. Boundaries protect relationships.",
    ),
    "self-worth-basics": dict(
        title="Where self-worth comes from",
        summary="Worth is not earned by being useful.",
        topics="[self_worth, boundaries_without_guilt]",
        published="2024-04-01",
        body="Many people feel they must earn their place. Worth is given, not earned.",
    ),
    "anxious-attachment": dict(
        title="Anxious attachment and the fear of abandonment",
        summary="Fear of abandonment and needing reassurance.",
        topics="[anxious_attachment, adult_relationship_patterns]",
        published="2024-05-01",
        body="Abandonment fears run deep. Reassurance helps for a moment, then fades.",
    ),
    "waiting-for-a-reply": dict(
        title="Waiting for a reply",
        summary="When an unanswered message feels like an emergency.",
        topics="[anxious_attachment]",
        published="2023-01-01",
        body="You send a text and wait for the reply. Every minute of waiting for the "
        "reply feels longer. Texting can become a test of whether you matter.",
    ),
    "calm-together": dict(
        title="Calm, together",
        summary="How one nervous system steadies another.",
        topics="[co_regulation, nervous_system_safety]",
        published="2024-06-01",
        body="Like paddling a kayak beside a steady friend, co-regulation means borrowing "
        "calm. Breathing slows when someone calm is near.",
    ),
    "therapy-frame": dict(
        title="Why therapy has boundaries",
        summary="The frame of therapy keeps it safe.",
        topics="[therapy_boundaries]",
        published="2024-07-01",
        url="https://elsewhere.example/blog/therapy-frame",
        body="Your therapist keeps a frame: session times, contact, and limits.",
    ),
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "articles"
    for slug, fields in CORPUS.items():
        write(directory, slug, **fields)
    return directory


@pytest.fixture
def loaded(engine, corpus):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        import_directory(session, corpus)
    return engine


def slugs(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.slug for r in results]


# --------------------------------------------------------------------------- models


def test_topics_are_the_fixed_taxonomy_seeded_idempotently(engine) -> None:
    with session_scope(engine) as session:
        rows = {t.key: t.label for t in session.execute(select(Topic)).scalars()}
        assert set(rows) == set(TOPIC_KEYS)
        assert rows["co_regulation"] == "Co-regulation"
        assert seed_topics(session) == 0  # nothing to do the second time
    with session_scope(engine) as session:
        session.execute(Topic.__table__.delete().where(Topic.key == "self_worth"))
        session.execute(
            Topic.__table__.update().where(Topic.key == "consistency").values(label="old")
        )
        assert seed_topics(session) == 2
    with session_scope(engine) as session:
        assert session.get(Topic, "self_worth").label == topic_label("self_worth")
        assert session.get(Topic, "consistency").label == "Consistency"
        assert session.scalar(select(func.count()).select_from(Topic)) == len(TOPIC_KEYS)


def test_article_topics_keep_their_position_and_cascade(engine) -> None:
    with session_scope(engine) as session:
        article = Article(
            slug="a",
            title="A",
            summary="S",
            body="B",
            published=date(2024, 1, 1),
            reading_minutes=3,
            content_hash="x" * 64,
        )
        article.topic_links = [
            ArticleTopic(topic_key="self_worth", position=0),
            ArticleTopic(topic_key="boundaries_without_guilt", position=1),
        ]
        session.add(article)
    with session_scope(engine) as session:
        stored = session.execute(select(Article)).scalar_one()
        assert stored.topic_keys == ("self_worth", "boundaries_without_guilt")
        assert stored.link_url(BASE) == BASE + "a"
        session.delete(stored)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ArticleTopic)) == 0


def test_slug_is_unique(engine) -> None:
    def make() -> Article:
        return Article(
            slug="same",
            title="A",
            summary="S",
            body="B",
            published=date(2024, 1, 1),
            reading_minutes=3,
            content_hash="x" * 64,
        )

    with session_scope(engine) as session:
        session.add(make())
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(make())


def test_unknown_topic_is_rejected_by_the_foreign_key(engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            article = Article(
                slug="a",
                title="A",
                summary="S",
                body="B",
                published=date(2024, 1, 1),
                reading_minutes=3,
                content_hash="x" * 64,
            )
            article.topic_links = [ArticleTopic(topic_key="no_such_topic", position=0)]
            session.add(article)


# ----------------------------------------------------------------------- validation


def test_front_matter_splitter() -> None:
    front, body, line = split_front_matter("---\na: 1\nb: 2\n---\nbody\n")
    assert front == "a: 1\nb: 2\n" and body == "body\n" and line == 5


def test_valid_article_parses(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ok-article", url="https://example.org/x", topics="[self_worth, not_broken]"
    )
    article, problems = parse_article(path)
    assert problems == []
    assert article is not None
    assert article.topics == ("self_worth", "not_broken")
    assert article.published == date(2024, 5, 2)
    assert article.url == "https://example.org/x"


def test_validate_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad-article.md"
    path.write_text(
        textwrap.dedent(
            """\
            ---
            slug: other-name
            title: [not, text]
            summary: %s
            topics:
              - self_worth
              - boundaries_withot_guilt
              - fees_and_insurence
            published: someday
            reading_minutes: "five"
            url: ftp://example.org/x
            colour: blue
            ---

            """
        )
        % ("x" * 400),
        encoding="utf-8",
    )
    report = validate_directory(tmp_path)
    assert not report.ok
    found = {
        (p.line, p.message.split(" ")[0] + " " + p.message.split(" ")[1]) for p in report.problems
    }
    messages = {p.line: p.message for p in report.problems}
    assert all(p.path == path for p in report.problems)
    assert "does not match the file name" in messages[2]
    assert messages[3].startswith("title must be text")
    assert messages[4].startswith("summary is 400 characters long")
    assert "unknown topic key 'boundaries_withot_guilt'" in messages[7]
    assert "did you mean 'boundaries_without_guilt'" in messages[7]
    # Logistics keys are valid tags now; a misspelt one still gets the hint.
    assert "unknown topic key 'fees_and_insurence'" in messages[8]
    assert "did you mean 'fees_and_insurance'" in messages[8]
    assert messages[9].startswith("published must be a date")
    assert messages[10].startswith("reading_minutes must be a whole number")
    assert messages[11].startswith("url 'ftp://example.org/x' is malformed")
    assert messages[12].startswith("unknown field 'colour'")
    assert "body is empty" in messages[14]
    assert len(report.problems) == 10, found
    # The report is printable as file:line: message.
    assert f"{path}:7: unknown topic key" in report.format_problems()


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("no front matter\n", 1, "must start with a '---' line"),
        ("---\nslug: x\n", 1, "never closed"),
        ("---\nslug: x\ntitle: [unclosed\n---\nbody\n", 4, "not valid YAML"),
        ("---\n- a list\n---\nbody\n", 2, "must be a mapping"),
        ("---\nslug: a\nslug: a\n---\nbody\n", 3, "given twice"),
    ],
)
def test_structural_problems_are_located(
    tmp_path: Path, content: str, line: int, fragment: str
) -> None:
    path = tmp_path / "a.md"
    path.write_text(content, encoding="utf-8")
    _, problems = parse_article(path)
    assert any(p.line == line and fragment in p.message for p in problems), problems


def test_missing_fields_and_wrong_types(tmp_path: Path) -> None:
    path = tmp_path / "thin.md"
    path.write_text("---\nslug: thin\ntopics: self_worth\nreading_minutes: true\n---\nBody\n")
    _, problems = parse_article(path)
    text_ = "\n".join(str(p) for p in problems)
    for name in ("title", "summary", "published"):
        assert f"{path}:1: missing field '{name}'" in text_
    assert f"{path}:3: topics must be a list" in text_
    assert f"{path}:4: reading_minutes must be a whole number" in text_


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "http://",
        "https:///path-only",
        "mailto:someone@example.org",
        "//example.org/x",
        "https://exa mple.org",
        "http://example.org:99999/",
    ],
)
def test_malformed_urls(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, "u", url=f'"{url}"')
    _, problems = parse_article(path)
    assert [p.line for p in problems] == [8]
    assert "malformed" in problems[0].message


def test_duplicate_slugs_across_files(tmp_path: Path) -> None:
    write(tmp_path, "first", title="One")
    second = tmp_path / "second.md"
    second.write_text(article_text("first"), encoding="utf-8")
    report = validate_directory(tmp_path)
    duplicates = [p for p in report.problems if "duplicate slug 'first'" in p.message]
    assert {p.path.name for p in duplicates} == {"first.md", "second.md"}
    assert all(p.line == 2 for p in duplicates)
    assert any("second.md line 2" in p.message for p in duplicates)


def test_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    assert not validate_directory(tmp_path / "nope").ok
    (tmp_path / "empty").mkdir()
    report = validate_directory(tmp_path / "empty")
    assert not report.ok and "refusing to empty the catalog" in report.problems[0].message


# --------------------------------------------------------------------- further reading

READING_ARTICLE = """---
slug: {slug}
title: Reading list
summary: A short summary.
topics: [adult_relationship_patterns]
published: 2024-05-02
reading_minutes: 5
further_reading:
  - title: "Romantic love conceptualized as an attachment process"
    authors: "Hazan, C., & Shaver, P."
    year: 1987
    source: Journal of Personality and Social Psychology
    url: https://doi.org/10.1037/0022-3514.52.3.511
  - title: "Patterns of attachment"
    authors: "Ainsworth, M. D. S., Blehar, M. C., Waters, E., & Wall, S."
    year: 1978
related: {related}
---
Body text.
"""


def test_further_reading_and_related_parse(tmp_path: Path) -> None:
    (tmp_path / "a-one.md").write_text(
        READING_ARTICLE.format(slug="a-one", related="[b-two]"), encoding="utf-8"
    )
    write(tmp_path, "b-two")
    report = validate_directory(tmp_path)
    assert report.ok, report.format_problems()
    article = next(a for a in report.articles if a.slug == "a-one")
    assert [r.year for r in article.further_reading] == [1987, 1978]
    first = article.further_reading[0]
    assert first.authors == "Hazan, C., & Shaver, P."
    assert first.source == "Journal of Personality and Social Psychology"
    assert first.url == "https://doi.org/10.1037/0022-3514.52.3.511"
    assert article.further_reading[1].url is None and article.further_reading[1].source is None
    assert article.related == ("b-two",)


def test_related_slugs_must_exist_in_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "a-one.md"
    path.write_text(
        READING_ARTICLE.format(slug="a-one", related="[b-twoo, c-three]"), encoding="utf-8"
    )
    write(tmp_path, "b-two")
    # Parsing one file alone cannot know the catalog: the folder check does.
    article, problems = parse_article(path)
    assert problems == [] and article is not None
    report = validate_directory(tmp_path)
    messages = [p.message for p in report.problems if p.path == path and p.line == 17]
    assert len(messages) == len(report.problems) == 2
    assert "related article 'b-twoo' does not exist" in messages[0]
    assert "did you mean 'b-two'" in messages[0]
    assert "related article 'c-three' does not exist" in messages[1]
    assert [a.slug for a in report.articles] == ["b-two"]  # the bad file is not imported


def test_related_entries_and_readings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad-reading.md"
    path.write_text(
        textwrap.dedent(
            """\
            ---
            slug: bad-reading
            title: T
            summary: S
            topics: [self_worth]
            published: 2024-05-02
            reading_minutes: 3
            further_reading:
              - title: "No year"
                authors: "Someone, A."
              - title: ""
                authors: "Someone, A."
                year: 1990
              - title: "Future"
                authors: "Someone, A."
                year: 3001
              - title: "Bad link"
                authors: "Someone, A."
                year: "1990s"
                url: "javascript:alert(1)"
                pages: 12
              - just text
            related: [bad-reading, Not_A_Slug, other, other]
            ---
            Body
            """
        ),
        encoding="utf-8",
    )
    _, problems = parse_article(path)
    found = [(p.line, p.message) for p in problems]
    text_ = "\n".join(f"{line}: {m}" for line, m in found)
    assert "9: a further_reading entry is missing 'year'" in text_
    assert "11: further_reading title must be non-empty text" in text_
    assert "16: further_reading year must be between 1850" in text_
    assert "19: further_reading year must be a number" in text_
    assert "20: further_reading url 'javascript:alert(1)' is malformed" in text_
    assert "21: unknown further_reading field 'pages'" in text_
    assert "22: a further_reading entry must be a mapping" in text_
    assert "23: related lists the article itself" in text_
    assert "23: related entry 'Not_A_Slug' is not an article slug" in text_
    assert "23: related lists 'other' twice" in text_
    assert len(problems) == 10, text_


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("further_reading: a book", "further_reading must be a list"),
        ("related: other-article", "related must be a list of article slugs"),
    ],
)
def test_further_reading_and_related_must_be_lists(
    tmp_path: Path, value: str, fragment: str
) -> None:
    path = tmp_path / "x.md"
    path.write_text(article_text("x").replace("---\n\n", f"{value}\n---\n\n", 1))
    _, problems = parse_article(path)
    assert [(p.line, fragment in p.message) for p in problems] == [(8, True)], problems


def test_the_practice_articles_cite_sources_and_link_each_other() -> None:
    # Issue 16: every article has 2-4 sources for its claims and links to the catalog.
    report = validate_directory(Path(__file__).resolve().parents[1] / "articles")
    assert report.ok, report.format_problems()
    for article in report.articles:
        assert 2 <= len(article.further_reading) <= 4, article.slug
        assert article.related, article.slug
    linked = {slug for a in report.articles for slug in a.related}
    assert linked == {a.slug for a in report.articles}  # no article is left unlinked


@pytest.mark.parametrize(
    ("topic_key", "query", "slug"),
    [
        ("first_session", None, "your-first-therapy-session-what-to-expect"),
        ("confidentiality", None, "confidentiality-in-therapy-what-stays-private"),
        ("fees_and_insurance", None, "paying-for-therapy-insurance-and-self-pay"),
        ("session_formats", None, "in-person-video-or-phone-sessions"),
        (
            None,
            "something I can read about what happens at a first appointment",
            "your-first-therapy-session-what-to-expect",
        ),
        (
            None,
            "is there an article about confidentiality, like who sees what I say",
            "confidentiality-in-therapy-what-stays-private",
        ),
        (None, "a page about your fees and insurance", "paying-for-therapy-insurance-and-self-pay"),
        (None, "can I read about video vs phone sessions", "in-person-video-or-phone-sessions"),
    ],
)
def test_the_practice_articles_answer_logistics_requests(
    engine, topic_key: str | None, query: str | None, slug: str
) -> None:
    with session_scope(engine) as session:
        import_directory(session, Path(__file__).resolve().parents[1] / "articles")
    with session_scope(engine) as session:
        results = recommend(session, topic_key=topic_key, query=query, base_url=BASE)
    assert slugs(results)[:1] == [slug]


# --------------------------------------------------------------------------- import


def stored(engine) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return {
            a.slug: (a.title, a.content_hash, a.imported_at, a.topic_keys)
            for a in session.execute(select(Article)).scalars()
        }


def test_import_is_idempotent(engine, corpus: Path) -> None:
    with session_scope(engine) as session:
        first = import_directory(session, corpus)
    assert sorted(first.added) == sorted(CORPUS) and not first.unchanged
    before = stored(engine)
    with session_scope(engine) as session:
        again = import_directory(session, corpus)
    assert not again.changed and sorted(again.unchanged) == sorted(CORPUS)
    assert stored(engine) == before  # not even imported_at moved


def test_import_updates_and_removes(engine, corpus: Path) -> None:
    with session_scope(engine) as session:
        import_directory(session, corpus)
    before = stored(engine)
    write(
        corpus,
        "setting-boundaries",
        **{
            **CORPUS["setting-boundaries"],
            "title": "Boundaries, gently",
            "topics": "[self_worth, boundaries_without_guilt]",
        },
    )
    (corpus / "therapy-frame.md").unlink()
    with session_scope(engine) as session:
        result = import_directory(session, corpus)
    assert result.updated == ["setting-boundaries"]
    assert result.removed == ["therapy-frame"]
    after = stored(engine)
    assert after["setting-boundaries"][0] == "Boundaries, gently"
    assert after["setting-boundaries"][3] == ("self_worth", "boundaries_without_guilt")
    assert after["setting-boundaries"][1] != before["setting-boundaries"][1]
    assert "therapy-frame" not in after
    assert after["calm-together"] == before["calm-together"]


def test_invalid_folder_leaves_the_stored_catalog_untouched(engine, corpus: Path) -> None:
    with session_scope(engine) as session:
        import_directory(session, corpus)
    before = stored(engine)
    # One good change, one new valid file, one broken file: nothing may be applied.
    write(corpus, "calm-together", **{**CORPUS["calm-together"], "title": "Changed"})
    write(corpus, "brand-new", topics="[self_worth]")
    write(corpus, "broken", topics="[not_a_topic]")
    (corpus / "anxious-attachment.md").unlink()
    with pytest.raises(CatalogError) as caught:
        with session_scope(engine) as session:
            import_directory(session, corpus)
    assert any(p.path.name == "broken.md" and p.line == 5 for p in caught.value.problems)
    assert stored(engine) == before


def test_search_index_follows_updates_and_deletes(engine, corpus: Path) -> None:
    with session_scope(engine) as session:
        import_directory(session, corpus)
    with session_scope(engine) as session:
        assert slugs(recommend(session, query="kayak", base_url=BASE)) == ["calm-together"]
    fields = {**CORPUS["calm-together"], "body": "A canoe on a quiet lake, and borrowed calm."}
    write(corpus, "calm-together", **fields)
    with session_scope(engine) as session:
        import_directory(session, corpus)
    with session_scope(engine) as session:
        assert recommend(session, query="kayak", base_url=BASE) == []
        assert slugs(recommend(session, query="canoe", base_url=BASE)) == ["calm-together"]
    (corpus / "calm-together.md").unlink()
    with session_scope(engine) as session:
        import_directory(session, corpus)
    with session_scope(engine) as session:
        assert recommend(session, query="canoe", base_url=BASE) == []


def test_search_index_is_created_idempotently(engine) -> None:
    from secure_base.catalog.search import ensure_search_index

    ensure_search_index(engine)
    ensure_search_index(engine)
    if engine.dialect.name == "postgresql":
        columns = {c["name"] for c in inspect(engine).get_columns("articles")}
        assert "search_vector" in columns
    else:
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
        assert {"articles_fts", "articles_fts_ai", "articles_fts_au", "articles_fts_ad"} <= names


# -------------------------------------------------------------------------- ranking


def test_tag_position_matters(loaded) -> None:
    with session_scope(loaded) as session:
        boundaries = recommend(session, topic_key="boundaries_without_guilt", base_url=BASE)
        worth = recommend(session, topic_key="self_worth", base_url=BASE)
    assert slugs(boundaries)[:2] == ["setting-boundaries", "self-worth-basics"]
    assert slugs(worth)[:2] == ["self-worth-basics", "setting-boundaries"]
    assert boundaries[0].score > boundaries[1].score
    assert boundaries[0].topics == ("boundaries_without_guilt", "self_worth")


def test_text_relevance_orders_articles_with_the_same_tag(loaded) -> None:
    with session_scope(loaded) as session:
        texting = recommend(
            session,
            topic_key="anxious_attachment",
            query="waiting for a reply to my text",
            base_url=BASE,
        )
        fear = recommend(
            session, topic_key="anxious_attachment", query="abandonment", base_url=BASE
        )
        plain = recommend(session, topic_key="anxious_attachment", base_url=BASE)
    assert slugs(texting)[:2] == ["waiting-for-a-reply", "anxious-attachment"]
    assert slugs(fear)[:2] == ["anxious-attachment", "waiting-for-a-reply"]
    # Topic only: the canonical phrase ("anxious attachment") is in one title.
    assert slugs(plain)[:2] == ["anxious-attachment", "waiting-for-a-reply"]


def test_free_text_maps_to_topics_without_an_entity(loaded) -> None:
    with session_scope(loaded) as session:
        results = recommend(
            session, query="anything I can read about setting boundaries?", base_url=BASE
        )
    assert results[0].slug == "setting-boundaries"
    assert "boundaries_without_guilt" in results[0].topics


@pytest.mark.parametrize("key", ["first_session", "confidentiality", "fees_and_insurance"])
def test_articles_may_be_tagged_with_logistics_topics(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, "about-logistics", topics=f"[{key}, what_therapy_looks_like]")
    article, problems = parse_article(path)
    assert problems == []
    assert article is not None and article.topics == (key, "what_therapy_looks_like")
    assert validate_directory(tmp_path).ok


def test_recommend_finds_articles_on_logistics_topics(engine, corpus: Path) -> None:
    write(
        corpus,
        "who-sees-what-you-say",
        title="Confidentiality in therapy",
        summary="Who can see your notes, and the few limits of privacy.",
        topics="[confidentiality, therapy_boundaries]",
        body="What you say in therapy is private. Your notes are kept confidential.",
    )
    write(
        corpus,
        "paying-for-therapy",
        title="Paying for therapy",
        summary="Insurance, superbills and the Good Faith Estimate.",
        topics="[fees_and_insurance]",
        body="In-network or out-of-network: how insurance and fees work.",
    )
    with session_scope(engine) as session:
        import_directory(session, corpus)
    with session_scope(engine) as session:
        by_topic = recommend(session, topic_key="confidentiality", base_url=BASE)
        fees = recommend(session, topic_key="fees_and_insurance", base_url=BASE)
        free_text = recommend(
            session,
            query="is there an article about confidentiality, like who sees what I say",
            base_url=BASE,
        )
        insurance = recommend(session, query="a page about your fees and insurance", base_url=BASE)
        # A content topic still finds its own articles first.
        boundaries = recommend(session, topic_key="therapy_boundaries", base_url=BASE)
    assert slugs(by_topic)[0] == "who-sees-what-you-say"
    assert slugs(fees) == ["paying-for-therapy"]
    assert slugs(free_text)[0] == "who-sees-what-you-say"
    assert slugs(insurance)[0] == "paying-for-therapy"
    assert slugs(boundaries)[:2] == ["therapy-frame", "who-sees-what-you-say"]


def test_text_only_hit_and_honest_empty_result(loaded) -> None:
    with session_scope(loaded) as session:
        kayak = recommend(session, query="kayak", base_url=BASE)
        nothing = recommend(session, query="quantum chromodynamics", base_url=BASE)
        empty = recommend(session, base_url=BASE)
        unknown = recommend(session, topic_key="no_such_topic", base_url=BASE)
        # A logistics topic no article is tagged with (none in this corpus).
        logistics = recommend(session, topic_key="fees_and_insurance", base_url=BASE)
    assert slugs(kayak) == ["calm-together"] and 0 < kayak[0].score < 1
    assert nothing == [] and empty == [] and unknown == [] and logistics == []


def test_exclude_limit_offset_and_urls(loaded) -> None:
    with session_scope(loaded) as session:
        everything = recommend(
            session, query="boundaries therapist guilt worth", limit=10, base_url=BASE
        )
        first = recommend(session, query="boundaries therapist guilt worth", limit=1, base_url=BASE)
        second = recommend(
            session, query="boundaries therapist guilt worth", limit=1, offset=1, base_url=BASE
        )
        rest = recommend(
            session,
            query="boundaries therapist guilt worth",
            limit=10,
            exclude_slugs=slugs(first),
            base_url=BASE,
        )
        frame = recommend(session, topic_key="therapy_boundaries", base_url=BASE)
        calm = recommend(session, topic_key="co_regulation", base_url=BASE)
    assert slugs(first) + slugs(second) == slugs(everything)[:2]
    assert slugs(rest) == slugs(everything)[1:]
    assert frame[0].url == "https://elsewhere.example/blog/therapy-frame"
    assert calm[0].url == BASE + "calm-together"


def test_base_url_defaults_to_the_practice_profile(loaded) -> None:
    from secure_base.profile import load_profile

    with session_scope(loaded) as session:
        result = recommend(session, topic_key="co_regulation")
    base = str(load_profile().articles.base_url).rstrip("/")
    assert result[0].url == f"{base}/calm-together"


HOSTILE = [
    '"; DROP TABLE articles; --',
    "' OR 1=1 --",
    "NEAR(",
    "NEAR(guilt boundaries, 2)",
    "*",
    "guilt*",
    "title:guilt",
    "^guilt",
    '"unbalanced',
    "guilt AND NOT OR",
    "(((",
    "{title summary}: x",
    "🙂💔🫂",
    "x" * 5000,
    ("boundaries " * 1000).strip(),
    "\x00\x01 guilt \u202e",
    "-",
    "",
    "   ",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_harmless(loaded, query: str) -> None:
    with session_scope(loaded) as session:
        results = recommend(session, query=query, limit=5, base_url=BASE)
    assert isinstance(results, list)
    with session_scope(loaded) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(CORPUS)
        assert session.scalar(select(func.count()).select_from(Topic)) == len(TOPIC_KEYS)
    if query.startswith("NEAR(guilt") or query == "guilt*":
        assert "setting-boundaries" in slugs(results)  # the words still count as words


def test_query_terms_are_plain_words() -> None:
    assert query_terms("anything I can read about setting boundaries?") == ["set", "boundary"]
    assert query_terms("co-regulation please") == ["co regulation"]
    for query in HOSTILE:
        for term in query_terms(query):
            assert all(word.isalnum() and len(word) <= 40 for word in term.split(" "))
        assert len(query_terms(query)) <= 24


# ------------------------------------------------------------------ topic mapping


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("anything I can read about setting boundaries?", "boundaries_without_guilt"),
        ("how do I say no without feeling awful", "boundaries_without_guilt"),
        ("I feel so much guilt", "boundaries_without_guilt"),
        ("boundaries in therapy", "therapy_boundaries"),
        ("something on co-regulation", "co_regulation"),
        ("earned secure attachment", "earned_secure_attachment"),
        ("what is a secure base", "secure_base"),
        ("my self-worth is low", "self_worth"),
        ("is there an article about confidentiality, like who sees what I say", "confidentiality"),
        ("something I can read about what happens at a first appointment", "first_session"),
        ("a page about your fees and insurance", "fees_and_insurance"),
        ("can I read about video vs phone sessions", "session_formats"),
        ("what is a superbill", "superbill"),
        ("how do I reach you", "practice_contact"),
    ],
)
def test_topics_for_query(query: str, key: str) -> None:
    assert topics_for_query(query)[0] == key


def test_topics_for_query_without_topic() -> None:
    assert topics_for_query("send me something to read") == []
    assert topics_for_query("") == []
    assert topics_for_query("🙂") == []


def test_keyword_lists_cover_every_topic_once() -> None:
    assert set(TOPIC_KEYWORDS) == set(TOPIC_KEYS)
    owners: dict[str, str] = {}
    for key, phrases in TOPIC_KEYWORDS.items():
        for phrase in phrases:
            normal = phrase.lower()
            assert (
                owners.setdefault(normal, key) == key
            ), f"{phrase!r} in {owners[normal]} and {key}"


# ------------------------------------------------------------------------------ CLI


def test_cli_validate(corpus: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["validate", "--dir", str(corpus)]) == 0
    assert f"{len(CORPUS)} articles" in capsys.readouterr().out
    write(corpus, "broken", reading_minutes="-3")
    assert cli.main(["validate", "--dir", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert f"{corpus / 'broken.md'}:7: reading_minutes must be between" in err


def test_cli_import_and_list(corpus: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from secure_base import db

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    try:
        assert cli.main(["import", "--dir", str(corpus), "--database-url", url]) == 0
        assert f"{len(CORPUS)} added" in capsys.readouterr().out
        assert cli.main(["import", "--dir", str(corpus), "--database-url", url]) == 0
        assert f"{len(CORPUS)} unchanged" in capsys.readouterr().out
        write(corpus, "broken", topics="[nope]")
        assert cli.main(["import", "--dir", str(corpus), "--database-url", url]) == 1
        assert "Nothing was imported" in capsys.readouterr().err
        assert cli.main(["list", "--database-url", url]) == 0
        out = capsys.readouterr().out
        assert "calm-together" in out and f"{len(CORPUS)} article(s)." in out
    finally:
        db.dispose_engines()


def test_module_entry_point(corpus: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "secure_base.catalog", "validate", "--dir", str(corpus)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout
