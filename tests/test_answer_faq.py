"""action_answer_faq, action_explain_simpler, action_pick_article and "more" after an
answer, with real rasa_sdk trackers and dispatchers, the real responses (plain files
and the ones rendered from the practice profile) and a real SQLite catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.articles import ActionPickArticle, ActionRecommendArticles
from actions.faq import ActionAnswerFaq, ActionExplainSimpler, faq_payload
from secure_base.importer import render_profile_responses
from secure_base.profile import load_profile
from secure_base.topics import TOPIC_KEYS
from tests.test_article_actions import ARTICLES, catalog, topic_entity  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def _all_responses() -> dict[str, Any]:
    found: dict[str, Any] = dict(render_profile_responses(load_profile()))
    for path in (ROOT / "data" / "responses").glob("*.yml"):
        found.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    found.update(yaml.safe_load((ROOT / "domain.yml").read_text())["responses"])
    return found


DOMAIN = {"responses": _all_responses()}


def user(text: str, intent: str, ranking: tuple[tuple[str, float], ...] = (),
         entities: tuple[dict, ...] = ()) -> dict:
    parse: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
    }
    if ranking:
        parse["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": f"faq/{ranking[0][0]}",
                             "confidence": ranking[0][1]},
                "ranking": [{"id": i, "intent_response_key": f"faq/{k}", "confidence": c}
                            for i, (k, c) in enumerate(ranking)],
            },
        }
    return {"event": "user", "text": text, "parse_data": parse}


def bot(response: str, buttons: list | None = None) -> dict:
    return {"event": "bot", "text": "...", "data": {"buttons": buttons or []},
            "metadata": {"utter_action": response}}


def tracker(events: list[dict], **slots: Any) -> Tracker:
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="answer-1",
        slots={"shown_articles": None, "last_articles": None, "last_topic": None,
               "topic": None, "reading_offered": None, **slots},
        latest_message=latest, events=events, paused=False, followup_action=None,
        active_loop={}, latest_action_name="action_listen",
    )


async def run(action: Any, events: list[dict], **slots: Any) -> tuple[list, list[dict]]:
    dispatcher = CollectingDispatcher()
    result = await action.run(dispatcher, tracker(events, **slots), DOMAIN)
    return result, dispatcher.messages


def names(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages]


def slot(events: list, name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e["name"] == name]
    assert values, f"no SlotSet({name})"
    return values[-1]


SURE = (("anxious_attachment", 0.86), ("avoidant_attachment", 0.05))


# ------------------------------------------------------------------- plain answers


async def test_a_plain_question_gets_the_answer_with_one_offer(catalog) -> None:  # noqa: F811
    events, messages = await run(
        ActionAnswerFaq(), [user("what is anxious attachment", "faq", SURE)]
    )
    assert names(messages) == ["utter_faq/anxious_attachment"]
    # The offer rides on the answer as buttons: one offer in the reply, not two.
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/tell_me_more", "/request_articles"]
    assert slot(events, "last_topic") == "anxious_attachment"
    assert slot(events, "reading_offered") == ["anxious_attachment"]


async def test_no_offer_buttons_when_offered_recently(catalog) -> None:  # noqa: F811
    history = [user("what is a secure base", "faq", (("secure_base", 0.9),)),
               bot("utter_faq/secure_base", [{"title": "Something to read",
                                              "payload": "/request_articles"}])]
    events, messages = await run(
        ActionAnswerFaq(), history + [user("what is anxious attachment", "faq", SURE)]
    )
    assert names(messages) == ["utter_faq/anxious_attachment"]
    assert not messages[0]["buttons"]
    assert slot(events, "last_topic") == "anxious_attachment"


# ------------------------------------------------------------------- reading requests


@pytest.mark.parametrize(
    ("text", "key", "expected_title"),
    [
        ("got any articles on anxious attachment?", "anxious_attachment",
         "Anxious attachment, gently"),
        ("is there a guide about boundaries", "boundaries_without_guilt", None),
        ("resources on co-regulation pls", "co_regulation", "Calm, together"),
        ("can you send me something about why I keep checking my phone when he doesn't text back",
         "anxious_attachment", "Anxious attachment, gently"),
    ],
)
async def test_a_question_asking_for_reading_gets_articles_in_the_same_reply(
    catalog, text: str, key: str, expected_title: str | None  # noqa: F811
) -> None:
    events, messages = await run(ActionAnswerFaq(), [user(text, "faq", ((key, 0.8),))])
    sent = names(messages)
    assert sent[0] == "utter_articles_intro"
    assert sent[1:] and set(sent[1:]) == {"utter_article"}
    assert not any(n.startswith("utter_faq/") for n in sent)
    titles = [m["title"] for m in messages[1:]]
    if expected_title:
        assert titles[0] == expected_title
    else:
        assert titles[0] in {"Saying no without guilt", "Small boundaries first",
                             "Boundaries and needs"}
    assert slot(events, "last_topic") == key
    assert slot(events, "last_articles") == slot(events, "shown_articles")


async def test_request_articles_uses_the_pickers_key_for_the_message(catalog) -> None:  # noqa: F811
    # No topic keyword and no entity: the picker's confident key says what it is about.
    text = "can you send me something about why I get clingy"
    _, messages = await run(
        ActionRecommendArticles(), [user(text, "request_articles", (("anxious_attachment", 0.7),))]
    )
    assert names(messages)[0] == "utter_articles_intro"
    assert messages[1]["title"] == "Anxious attachment, gently"


async def test_an_unsure_reading_request_is_answered_with_reading_not_a_question(
    catalog,  # noqa: F811
) -> None:
    # The picker cannot choose between two topics, but reading was asked for: the
    # catalog's search over the words ("pull away") picks the articles, no button question.
    text = "I tend to pull away when people get close, do you have something I can read"
    ranking = (("letting_someone_in", 0.4), ("avoidant_attachment", 0.38))
    events, messages = await run(ActionAnswerFaq(), [user(text, "faq", ranking)])
    sent = names(messages)
    assert sent[0] == "utter_articles_intro" and set(sent[1:]) == {"utter_article"}
    assert slot(events, "last_topic") == "avoidant_attachment"


# ------------------------------------------------------------------- unsure: ask


@pytest.mark.parametrize(
    "ranking",
    [
        (("attunement", 0.31), ("co_regulation", 0.22), ("consistency", 0.1)),
        (("attunement", 0.48), ("co_regulation", 0.44)),
    ],
)
async def test_unsure_asks_with_the_two_likeliest_topics_as_buttons(ranking) -> None:  # type: ignore[no-untyped-def]
    events, messages = await run(
        ActionAnswerFaq(), [user("how do they stay in tune with me", "faq", ranking)]
    )
    assert names(messages) == ["utter_clarify_topic"]
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["Attunement", "Co-regulation"]
    assert [json.loads(b["payload"].removeprefix("/faq")) for b in buttons] == [
        {"topic": "attunement"}, {"topic": "co_regulation"}]
    assert events == []


async def test_a_clarifying_button_is_answered_with_its_topic() -> None:
    payload = faq_payload("co_regulation")
    assert payload == '/faq{"topic": "co_regulation"}'
    # As Rasa parses a payload: the intent and the entity, no response_selector.
    events, messages = await run(
        ActionAnswerFaq(),
        [user(payload, "faq", entities=({"entity": "topic", "value": "co_regulation"},))],
        reading_offered=["co_regulation"],
    )
    assert names(messages) == ["utter_faq/co_regulation"]
    assert slot(events, "last_topic") == "co_regulation"


async def test_an_older_faq_slash_key_button_is_answered_with_its_key() -> None:
    # utter_out_of_scope's buttons send /faq/<key>: Rasa passes it to NLU as text.
    events, messages = await run(
        ActionAnswerFaq(),
        [user("/faq/what_is_attachment", "faq", (("secure_base", 0.2), ("attunement", 0.2)))],
        reading_offered=["what_is_attachment"],
    )
    assert names(messages) == ["utter_faq/what_is_attachment"]
    assert slot(events, "last_topic") == "what_is_attachment"


async def test_nothing_ranked_asks_an_open_question() -> None:
    events, messages = await run(ActionAnswerFaq(), [user("/faq", "faq")])
    assert names(messages) == ["utter_clarify_open"]
    assert events == []


# ------------------------------------------------------------------- no repeats


async def test_an_answer_already_given_becomes_a_short_pointer_with_one_offer() -> None:
    history = [user("what is a secure base", "faq", (("secure_base", 0.9),)),
               bot("utter_faq/secure_base")]
    events, messages = await run(
        ActionAnswerFaq(),
        history + [user("what was a secure base again", "faq", (("secure_base", 0.9),))],
        reading_offered=["secure_base"],
    )
    assert names(messages) == ["utter_mentioned_above", "utter_short_secure_base",
                               "utter_offer_more"]
    assert slot(events, "last_topic") == "secure_base"


async def test_a_new_session_answers_in_full_again() -> None:
    history = [user("what is a secure base", "faq", (("secure_base", 0.9),)),
               bot("utter_faq/secure_base"),
               {"event": "session_started"}]
    _, messages = await run(
        ActionAnswerFaq(),
        history + [user("what is a secure base", "faq", (("secure_base", 0.9),))],
        reading_offered=["secure_base"],
    )
    assert names(messages) == ["utter_faq/secure_base"]


async def test_a_repeated_logistics_answer_points_back_without_a_reading_offer() -> None:
    history = [user("how much is it", "faq", (("fees_and_insurance", 0.9),)),
               bot("utter_faq/fees_and_insurance")]
    _, messages = await run(
        ActionAnswerFaq(),
        history + [user("what are the fees", "faq", (("fees_and_insurance", 0.9),))],
    )
    assert names(messages) == ["utter_mentioned_above", "utter_short_fees_and_insurance"]


# ------------------------------------------------------------------- feelings first


async def test_a_feeling_is_acknowledged_before_the_answer() -> None:
    text = "I feel so lonely, why do I keep pushing people away"
    _, messages = await run(
        ActionAnswerFaq(), [user(text, "faq", (("avoidant_attachment", 0.8),))],
        reading_offered=["avoidant_attachment"],
    )
    assert names(messages) == ["utter_acknowledge_lonely", "utter_faq/avoidant_attachment"]


async def test_a_feeling_is_acknowledged_before_a_clarifying_question() -> None:
    text = "I'm so ashamed, why do I act like this"
    _, messages = await run(
        ActionAnswerFaq(),
        [user(text, "faq", (("feeling_too_much", 0.3), ("not_broken", 0.28)))],
    )
    assert names(messages) == ["utter_acknowledge_ashamed", "utter_clarify_topic"]


# ------------------------------------------------------------------- follow-ups


async def test_simpler_gives_the_short_version_of_the_last_topic() -> None:
    history = [user("what is an internal working model", "faq",
                    (("internal_working_model", 0.9),)),
               bot("utter_faq/internal_working_model")]
    events, messages = await run(
        ActionExplainSimpler(), history + [user("simpler please", "explain_simpler")],
        last_topic="internal_working_model",
    )
    assert names(messages) == ["utter_simpler_intro", "utter_short_internal_working_model"]
    assert slot(events, "last_topic") == "internal_working_model"


async def test_simpler_with_no_topic_yet_asks_which() -> None:
    events, messages = await run(ActionExplainSimpler(), [user("simpler please",
                                                               "explain_simpler")])
    assert names(messages) == ["utter_simpler_no_topic"]
    assert events == []


async def test_more_right_after_an_answer_goes_deeper() -> None:
    history = [user("what is attunement", "faq", (("attunement", 0.9),)),
               bot("utter_faq/attunement")]
    events, messages = await run(
        ActionRecommendArticles(), history + [user("more", "more_articles")],
        last_topic="attunement",
    )
    assert names(messages) == ["utter_more_attunement"]
    assert slot(events, "last_topic") == "attunement"


async def test_more_after_articles_gives_more_articles(catalog) -> None:  # noqa: F811
    first, _ = await run(
        ActionRecommendArticles(),
        [user("articles on boundaries", "request_articles",
              entities=(topic_entity("boundaries_without_guilt", "boundaries"),))],
    )
    history = [user("articles on boundaries", "request_articles"), bot("utter_article")]
    _, messages = await run(
        ActionRecommendArticles(), history + [user("more", "more_articles")],
        shown_articles=slot(first, "shown_articles"), last_topic="boundaries_without_guilt",
    )
    assert names(messages) == ["utter_articles_intro", "utter_article"]
    assert messages[1]["title"] == "Worth and limits"


@pytest.mark.parametrize(("text", "position"), [("2", 2), ("the first one", 1),
                                                 ("number 3 please", 3), ("the last one", 3)])
async def test_a_number_after_a_list_picks_that_article(
    catalog, text: str, position: int  # noqa: F811
) -> None:
    first, listed = await run(
        ActionRecommendArticles(),
        [user("articles on boundaries", "request_articles",
              entities=(topic_entity("boundaries_without_guilt", "boundaries"),))],
    )
    last_articles = slot(first, "last_articles")
    assert len(last_articles) == 3
    events, messages = await run(
        ActionPickArticle(), [user(text, "pick_article")], last_articles=last_articles
    )
    assert names(messages) == ["utter_pick_article_intro", "utter_article"]
    assert messages[1]["title"] == listed[position]["title"]
    assert messages[1]["url"] == listed[position]["url"]
    assert slot(events, "last_topic") in TOPIC_KEYS


@pytest.mark.parametrize(("text", "listed"), [("7", ["boundaries-one"]), ("2", []),
                                             ("what", ["boundaries-one"])])
async def test_a_number_outside_the_list_says_so(catalog, text: str, listed: list) -> None:  # noqa: F811
    events, messages = await run(
        ActionPickArticle(), [user(text, "pick_article")], last_articles=listed
    )
    assert names(messages) == ["utter_pick_article_unknown"]
    assert events == []


def test_every_topic_has_a_short_version_without_an_offer() -> None:
    for key in TOPIC_KEYS:
        variations = DOMAIN["responses"].get(f"utter_short_{key}")
        assert variations, key
        text = variations[0]["text"]
        assert "?" not in text, key  # the reply's one offer comes after it
        assert len(text) < 300, key


def test_articles_fixture_has_the_topics_these_tests_use() -> None:
    topics = " ".join(t for t, _, _ in ARTICLES.values())
    for key in ("anxious_attachment", "boundaries_without_guilt", "co_regulation"):
        assert key in topics


async def test_a_question_asking_for_an_example_gets_the_topics_example() -> None:
    history = [user("anxious vs avoidant?", "faq", (("anxious_attachment", 0.9),)),
               bot("utter_faq/anxious_attachment")]
    events, messages = await run(
        ActionAnswerFaq(),
        history + [user("could you give an example of the anxious one? like in dating", "faq",
                        (("anxious_attachment", 0.8),))],
    )
    assert names(messages) == ["utter_example_anxious_attachment"]
    assert slot(events, "last_topic") == "anxious_attachment"


@pytest.mark.parametrize(
    ("text", "asks"),
    [("could you give me an example?", True),
     ("another example of co-regulation, at work this time", True),
     ("example pls", True),
     ("what would that look like in a couple", True),
     ("do you have any examples of earned security", True),
     ("for example, I check his phone all the time. is that anxious?", False),
     ("what is anxious attachment", False)],
)
def test_asks_for_example(text: str, asks: bool) -> None:
    from secure_base.example_requests import asks_for_example
    assert asks_for_example(text) is asks


async def test_a_comparison_with_only_one_topic_is_answered_about_that_topic() -> None:
    from actions.faq import ActionCompareTopics
    anxious = (topic_entity("anxious_attachment", "anxious"),)
    history = [user("what is anxious attachment", "faq", (("anxious_attachment", 0.9),)),
               bot("utter_faq/anxious_attachment")]
    _, messages = await run(
        ActionCompareTopics(),
        history + [user("can you explain the anxious one simpler", "compare_topics",
                        (("anxious_attachment", 0.8),), entities=anxious)],
        last_topic="anxious_attachment",
    )
    assert names(messages) == ["utter_simpler_intro", "utter_short_anxious_attachment"]
    _, messages = await run(
        ActionCompareTopics(),
        [user("hmm the anxious one vs", "compare_topics", (("anxious_attachment", 0.9),),
              entities=anxious)],
    )
    assert names(messages)[0] == "utter_faq/anxious_attachment"


async def test_the_difference_between_the_two_means_the_last_two_topics() -> None:
    from actions.faq import ActionCompareTopics
    history = [user("what is anxious attachment", "faq", (("anxious_attachment", 0.9),)),
               bot("utter_faq/anxious_attachment"),
               user("and avoidant?", "faq", (("avoidant_attachment", 0.9),)),
               bot("utter_faq/avoidant_attachment")]
    question = user("whats the difference between the two anyway", "compare_topics")
    _, messages = await run(ActionCompareTopics(), history + [question])
    assert names(messages) == ["utter_compare_anxious_attachment__avoidant_attachment"]
    # With one topic so far there is no "two": ask which.
    _, messages = await run(ActionCompareTopics(), history[:2] + [question])
    assert names(messages) == ["utter_compare_unknown"]
