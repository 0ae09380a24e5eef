"""action_recommend_articles and the reading offer (may_offer_reading) with real rasa_sdk
trackers and dispatchers, against a real database (SQLite data dir; PostgreSQL when configured),
plus the article responses and NLU data as Rasa reads them."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text

from actions.articles import ActionRecommendArticles, may_offer_reading
from actions.common import latest_faq_key
from secure_base.catalog.loader import import_directory
from secure_base.db import dispose_engines, get_engine, make_engine, session_scope
from tests.conftest import POSTGRES_URL
from tests.test_catalog import article_text

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = {
    # slug: (topics, title, body)
    "boundaries-one": (
        "[boundaries_without_guilt, self_worth]",
        "Saying no without guilt",
        "Boundaries and guilt. Saying no is a skill.",
    ),
    "boundaries-two": (
        "[boundaries_without_guilt]",
        "Small boundaries first",
        "Start with small boundaries; guilt fades with practice.",
    ),
    "boundaries-three": (
        "[boundaries_without_guilt, trusting_your_needs]",
        "Boundaries and needs",
        "Your needs deserve room. Boundaries make room.",
    ),
    "boundaries-four": (
        "[self_worth, boundaries_without_guilt]",
        "Worth and limits",
        "Worth is not earned by pleasing people.",
    ),
    "anxious-one": (
        "[anxious_attachment]",
        "Anxious attachment, gently",
        "Reassurance, abandonment and waiting for texts.",
    ),
    "calm-together": (
        "[co_regulation, nervous_system_safety]",
        "Calm, together",
        "Borrowing calm from a steady person.",
    ),
    "starter": ("[what_is_attachment]", "What attachment is", "Bowlby and Ainsworth."),
}

MAIN_BOUNDARY_TITLES = {"Saying no without guilt", "Small boundaries first", "Boundaries and needs"}

_backends = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=_backends)
def catalog(request, app_env, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The settings' database (data dir SQLite, or a private PostgreSQL schema) with articles."""
    schema = None
    if request.param == "postgresql":
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        sep = "&" if "?" in POSTGRES_URL else "?"
        monkeypatch.setenv(
            "SECURE_BASE_DATABASE_URL", f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
        )
    try:
        directory = tmp_path / "articles"
        directory.mkdir()
        for index, (slug, (topics, title, body)) in enumerate(ARTICLES.items()):
            (directory / f"{slug}.md").write_text(
                article_text(
                    slug, title=title, topics=topics, body=body,
                    published=f"2024-0{1 + index % 9}-01",
                ),
                encoding="utf-8",
            )
        with session_scope(get_engine()) as session:
            import_directory(session, directory)
        yield request.param
    finally:
        # Also on a failed setup, so no schema is left behind.
        dispose_engines()
        if schema:
            admin = make_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def user_event(text_: str, intent: str, entities=(), faq_key: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    parse_data = {
        "text": text_,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": list(entities),
    }
    if faq_key:
        parse_data["response_selector"] = {
            "faq": {"response": {"intent_response_key": f"faq/{faq_key}"}}
        }
    return {"event": "user", "text": text_, "parse_data": parse_data}


def make_tracker(events: list[dict], slots: dict | None = None) -> Tracker:
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="reader-1",
        slots={
            "shown_articles": None,
            "last_topic": None,
            "topic": None,
            "reading_offered": None,
            **(slots or {}),
        },
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def topic_entity(value: str, surface: str) -> dict:
    return {"entity": "topic", "value": value, "start": 0, "end": len(surface)}


async def recommend(tracker: Tracker) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ActionRecommendArticles().run(dispatcher, tracker, {"responses": {}})
    return events, dispatcher


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def slot(events: list, name: str):  # type: ignore[no-untyped-def]
    values = [e["value"] for e in events if e.get("event") == "slot" and e["name"] == name]
    assert values, f"no SlotSet({name})"
    return values[-1]


async def test_topic_entity_gets_up_to_three_articles(catalog) -> None:
    tracker = make_tracker(
        [
            user_event(
                "do you have articles on setting boundaries",
                "request_articles",
                [topic_entity("boundaries_without_guilt", "setting boundaries")],
            )
        ]
    )
    events, dispatcher = await recommend(tracker)
    assert responses(dispatcher) == ["utter_articles_intro"] + ["utter_article"] * 3
    cards = dispatcher.messages[1:]
    # The three articles whose main topic it is come before the one where it is second.
    assert {c["title"] for c in cards} == MAIN_BOUNDARY_TITLES
    by_title = {c["title"]: c for c in cards}
    assert by_title["Saying no without guilt"]["summary"] == "A short summary."
    assert by_title["Saying no without guilt"]["url"].endswith("/boundaries-one")
    assert by_title["Saying no without guilt"]["url"].startswith("http")
    shown = slot(events, "shown_articles")
    assert set(shown) == {"boundaries-one", "boundaries-two", "boundaries-three"}
    assert slot(events, "last_topic") == "boundaries_without_guilt"


async def test_more_gives_the_next_ones_then_says_so(catalog) -> None:
    first = make_tracker(
        [
            user_event(
                "articles on boundaries",
                "request_articles",
                [topic_entity("boundaries_without_guilt", "boundaries")],
            )
        ]
    )
    events, _ = await recommend(first)
    shown = slot(events, "shown_articles")

    more = make_tracker(
        [
            user_event("articles on boundaries", "request_articles"),
            user_event("more", "more_articles"),
        ],
        slots={"shown_articles": shown, "last_topic": "boundaries_without_guilt"},
    )
    events, dispatcher = await recommend(more)
    assert responses(dispatcher)[0] == "utter_articles_intro"
    new = [m["title"] for m in dispatcher.messages[1:]]
    assert "Worth and limits" in new
    shown_after = slot(events, "shown_articles")
    assert shown_after[:3] == shown and not set(shown_after[3:]) & set(shown)

    # Keep asking until everything relevant was shown: then an honest "that's all".
    for _ in range(5):
        again = make_tracker(
            [user_event("any others?", "more_articles")],
            slots={"shown_articles": shown_after, "last_topic": "boundaries_without_guilt"},
        )
        events, dispatcher = await recommend(again)
        if responses(dispatcher) == ["utter_articles_no_more"]:
            break
        shown_after = slot(events, "shown_articles")
    assert responses(dispatcher) == ["utter_articles_no_more"]
    assert slot(events, "last_topic") == "boundaries_without_guilt"


async def test_free_text_without_entity_finds_the_topic(catalog) -> None:
    tracker = make_tracker(
        [user_event("anything I can read about setting boundaries?", "request_articles")]
    )
    events, dispatcher = await recommend(tracker)
    assert dispatcher.messages[1]["title"] in MAIN_BOUNDARY_TITLES
    assert slot(events, "last_topic") == "boundaries_without_guilt"


async def test_free_text_beats_an_older_faq_topic(catalog) -> None:
    tracker = make_tracker(
        [
            user_event("what is co-regulation?", "faq", faq_key="co_regulation"),
            user_event("is there an article about anxious attachment?", "request_articles"),
        ]
    )
    _, dispatcher = await recommend(tracker)
    assert dispatcher.messages[1]["title"] == "Anxious attachment, gently"


async def test_latest_faq_topic_is_used_for_a_plain_request(catalog) -> None:
    tracker = make_tracker(
        [
            user_event("what is co-regulation?", "faq", faq_key="co_regulation"),
            user_event("/request_articles", "request_articles"),  # the offer's button
        ]
    )
    events, dispatcher = await recommend(tracker)
    assert dispatcher.messages[1]["title"] == "Calm, together"
    assert slot(events, "last_topic") == "co_regulation"


async def test_an_article_on_this_is_on_the_topic_just_discussed(catalog) -> None:
    tracker = make_tracker(
        [user_event("what is co-regulation?", "faq", faq_key="co_regulation"),
         user_event("example?", "ask_example"),
         user_event("ok send me an article on this pls", "request_articles")],
        slots={"last_topic": "boundaries_without_guilt"},
    )
    events, dispatcher = await recommend(tracker)
    assert dispatcher.messages[1]["title"] in MAIN_BOUNDARY_TITLES
    assert slot(events, "last_topic") == "boundaries_without_guilt"


async def test_plain_request_with_nothing_to_go_on_starts_at_the_beginning(catalog) -> None:
    tracker = make_tracker([user_event("send me something to read", "request_articles")])
    _, dispatcher = await recommend(tracker)
    assert dispatcher.messages[1]["title"] == "What attachment is"


async def test_nothing_relevant_is_said_honestly(catalog) -> None:
    tracker = make_tracker(
        [user_event("any articles about quantum chromodynamics?", "request_articles")]
    )
    events, dispatcher = await recommend(tracker)
    assert responses(dispatcher) == ["utter_articles_none"]
    assert slot(events, "last_topic") is None
    assert not [e for e in events if e.get("name") == "shown_articles"]


async def test_topic_without_articles_is_said_honestly(catalog) -> None:
    tracker = make_tracker(
        [
            user_event(
                "articles on grief", "request_articles", [topic_entity("grief_in_therapy", "grief")]
            )
        ]
    )
    events, dispatcher = await recommend(tracker)
    assert responses(dispatcher) == ["utter_articles_none"]
    assert slot(events, "last_topic") == "grief_in_therapy"


async def test_hostile_text_is_harmless(catalog) -> None:
    tracker = make_tracker(
        [user_event('"; DROP TABLE articles; -- NEAR( * 🙂' + "x" * 5000, "request_articles")]
    )
    _, dispatcher = await recommend(tracker)
    assert responses(dispatcher)[0] in {"utter_articles_intro", "utter_articles_none"}
    with session_scope(get_engine()) as session:
        assert session.execute(text("SELECT count(*) FROM articles")).scalar() == len(ARTICLES)


async def test_database_error_is_answered_and_logged_without_user_text(
    app_env,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    # Nothing listens on port 1: connecting fails at once.
    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test")
    dispose_engines()
    secret = "my husband Jonathan and I keep fighting, anything to read"
    tracker = make_tracker(
        [user_event(secret, "request_articles")], slots={"last_topic": "consistency"}
    )
    with caplog.at_level(logging.DEBUG):
        events, dispatcher = await recommend(tracker)
    assert responses(dispatcher) == ["utter_articles_error"]
    assert slot(events, "last_topic") == "consistency"
    logged = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert "Article recommendation failed: OperationalError" in logged
    for word in ("Jonathan", "husband", "fighting"):
        assert word not in logged


async def test_database_error_in_sqlite_query_is_also_caught(catalog, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    with session_scope(get_engine()) as session:
        session.execute(text("DROP TABLE article_topics"))
    secret = "reading about my secret Jonathan boundaries"
    tracker = make_tracker([user_event(secret, "request_articles")])
    with caplog.at_level(logging.DEBUG):
        _, dispatcher = await recommend(tracker)
    assert responses(dispatcher) == ["utter_articles_error"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Jonathan" not in logged and "boundar" not in logged


# ------------------------------------------------------------------- offer reading


def faq_events(*keys: str, offered_after: tuple[int, ...] = ()) -> list[dict]:
    events: list[dict] = []
    for index, key in enumerate(keys):
        events.append(user_event(f"question {index}", "faq", faq_key=key))
        events.append({"event": "action", "name": "utter_faq"})
        events.append(
            {"event": "bot", "text": "answer", "metadata": {"utter_action": f"utter_faq/{key}"}}
        )
        if index in offered_after:
            events.append(
                {
                    "event": "bot",
                    "text": "Would you like...",
                    "metadata": {"utter_action": "utter_offer_more"},
                }
            )
    return events


async def offer(events: list[dict], offered: list[str] | None = None) -> bool:
    """Whether action_answer_faq's answer to the latest FAQ question carries the offer."""
    tracker = make_tracker(events, slots={"reading_offered": offered})
    return await may_offer_reading(tracker, latest_faq_key(tracker))


async def test_first_faq_answer_gets_an_offer(catalog) -> None:
    assert await offer(faq_events("boundaries_without_guilt"))


async def test_offer_at_most_once_per_topic(catalog) -> None:
    assert not await offer(
        faq_events(
            "co_regulation", "anxious_attachment", "self_worth", "co_regulation", offered_after=(0,)
        ),
        offered=["co_regulation"],
    )


async def test_offer_not_more_often_than_every_third_answer(catalog) -> None:
    assert not await offer(
        faq_events("co_regulation", "anxious_attachment", offered_after=(0,)),
        offered=["co_regulation"],
    )
    assert not await offer(
        faq_events("co_regulation", "self_worth", "what_is_attachment", offered_after=(0,)),
        offered=["co_regulation"],
    )
    assert await offer(
        faq_events(
            "co_regulation",
            "self_worth",
            "what_is_attachment",
            "anxious_attachment",
            offered_after=(0,),
        ),
        offered=["co_regulation"],
    )


async def test_no_offer_without_articles_or_for_logistics(catalog) -> None:
    assert not await offer(faq_events("grief_in_therapy"))
    assert not await offer(faq_events("fees_and_insurance"))


async def test_offer_stays_silent_on_database_error(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURE_BASE_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test")
    dispose_engines()
    assert not await offer(faq_events("co_regulation"))


# ------------------------------------------------- responses and NLU as Rasa reads them


def test_article_responses_load_in_rasa() -> None:
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    from secure_base.importer import render_profile_responses
    from secure_base.profile import load_profile

    data = RasaYAMLReader().read(ROOT / "data" / "responses" / "articles.yml")  # schema-checked
    rendered = render_profile_responses(load_profile())
    all_responses = {**data.responses, **{k: v for k, v in rendered.items() if "article" in k}}
    domain = Domain.from_dict({"responses": all_responses})
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    values = {"title": "Calm, together", "summary": "Borrowed calm.", "url": "https://x.example/a"}
    card = nlg.generate_from_slots("utter_article", {}, "socketio", **values)
    # Rasa's socket.io output calls sio.emit(event, **custom): the card must be `data`.
    assert card["custom"] == {"data": {"type": "article", **values}}
    plain = nlg.generate_from_slots("utter_article", {}, "rest", **values)
    assert plain["text"] == "Calm, together\nhttps://x.example/a"
    profile = load_profile()
    none = rendered["utter_articles_none"][0]["text"]
    assert profile.contact.email in none and profile.contact.phone in none
    for name in ("utter_articles_intro", "utter_articles_no_more"):
        assert name in data.responses


def test_nlu_data_for_reading_requests() -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    from secure_base.topics import TOPIC_KEYS

    data = RasaYAMLReader().read(ROOT / "data" / "nlu" / "articles.yml")
    by_intent: dict[str, list] = {}
    for example in data.intent_examples:
        by_intent.setdefault(example.get("intent"), []).append(example)
    assert len(by_intent["request_articles"]) >= 40
    assert len(by_intent["more_articles"]) >= 20
    assert "more" in {e.get("text") for e in by_intent["more_articles"]}
    values = {ent["value"] for e in by_intent["request_articles"] for ent in e.get("entities", [])}
    assert values <= set(TOPIC_KEYS) and len(values) >= 25
    raw = yaml.safe_load((ROOT / "data" / "nlu" / "articles.yml").read_text(encoding="utf-8"))
    synonym_keys = {block["synonym"] for block in raw["nlu"] if "synonym" in block}
    elsewhere = {
        "anxious_attachment",
        "avoidant_attachment",
        "disorganized_attachment",
        "secure_base",
        "therapeutic_relationship",
        "therapy_boundaries",
        "boundaries_without_guilt",
        "earned_secure_attachment",
        "secure_attachment",
        "attunement",
        "co_regulation",
    }
    assert synonym_keys <= set(TOPIC_KEYS) and not synonym_keys & elsewhere
    # No surface form may map to two different keys across the NLU files.
    owners: dict[str, str] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for surface, key in RasaYAMLReader().read(path).entity_synonyms.items():
            assert owners.setdefault(surface.lower(), key) == key, (path.name, surface)


def test_heldout_requests_are_not_training_data() -> None:
    heldout = yaml.safe_load((ROOT / "tests" / "heldout" / "reading_requests.yml").read_text())
    assert len(heldout) >= 45
    training = (ROOT / "data" / "nlu" / "articles.yml").read_text(encoding="utf-8").lower()
    for item in heldout:
        assert item["text"].lower() not in training
