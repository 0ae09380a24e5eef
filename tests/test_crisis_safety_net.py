"""The CrisisSafetyNet NLU component, on messages built the way Rasa's SpacyNLP builds them."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.crisis import CrisisDetector
from secure_base.nlu.crisis_safety_net import (
    SAFETY_NET_PROPERTY,
    CrisisSafetyNet,
    shared_detector,
)
from tests.pipeline_parts import intent_ranking

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spacy_nlp() -> SpacyNLP:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SpacyNLP.create(
            {**SpacyNLP.get_default_config(), "model": "en_core_web_sm"}, None, None, None
        )


@pytest.fixture(scope="module")
def spacy_model(spacy_nlp) -> SpacyModel:
    return spacy_nlp.provide()


@pytest.fixture(scope="module")
def safety_net() -> CrisisSafetyNet:
    return CrisisSafetyNet.create(CrisisSafetyNet.get_default_config(), None, None, None)




@pytest.fixture
def make_message(spacy_nlp, spacy_model):
    """A message as it reaches the safety net: SpacyNLP's doc plus a classifier's output."""

    def make(
        text: Optional[str],
        ranking: Optional[List[Dict[str, Any]]] = None,
        with_doc: bool = True,
    ) -> Message:
        message = Message(data={TEXT: text} if text is not None else {})
        if with_doc:
            spacy_nlp.process([message], spacy_model)
        if ranking is not None:
            # The way an intent classifier (and FallbackClassifier) leave a message.
            message.set(INTENT, dict(ranking[0]) if ranking else None, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return message

    return make


def _parse_result(message: Message) -> Dict[str, Any]:
    """What /model/parse returns (rasa.core.processor.MessageProcessor)."""
    parse_data = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        "entities": [],
    }
    parse_data.update(message.as_dict(only_output_properties=True))
    return parse_data


# ------------------------------------------------------------------------- registration


def test_registered_as_untrainable_intent_classifier():
    registered = DefaultV1Recipe._from_registry(
        "secure_base.nlu.crisis_safety_net.CrisisSafetyNet"
    )
    assert registered.clazz is CrisisSafetyNet
    assert registered.types == {DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER}
    assert registered.is_trainable is False


def test_last_in_the_pipeline_and_valid_in_the_predict_graph():
    import rasa.shared.utils.io
    from rasa.engine import validation
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType

    config = rasa.shared.utils.io.read_yaml_file(str(ROOT / "config.yml"))
    assert config["pipeline"][-1]["name"] == "secure_base.nlu.crisis_safety_net.CrisisSafetyNet"
    # The risk classifier's assessment comes just before it, after every intent classifier.
    assert config["pipeline"][-2]["name"] == "secure_base.nlu.risk_classifier.RiskClassifier"
    assert config["pipeline"][-3]["name"] == "FallbackClassifier"
    recipe = Recipe.recipe_for_name(config["recipe"])
    model_config = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH)
    validation.validate(model_config)
    nodes = model_config.predict_schema.nodes
    (node_name,) = (n for n in nodes if n.startswith("run_secure_base.nlu.crisis_safety_net"))
    (risk,) = (n for n in nodes if n.startswith("run_secure_base.nlu.risk_classifier"))
    assert nodes[node_name].needs == {"messages": risk}
    assert nodes["run_RegexMessageHandler"].needs["messages"] == node_name
    assert not [n for n in model_config.train_schema.nodes if "crisis_safety_net" in n]


# ------------------------------------------------------------------------ pattern layer


@pytest.mark.parametrize(
    "text,category",
    [
        ("i want to end it all", "suicidal_ideation"),
        ("I've been cutting myself again", "self_harm"),
        ("I'm going to take all my pills tonight", "plan_or_means"),
        ("everyone would be better off without me", "burden"),
        ("this is my last message", "goodbye"),
        ("my partner hits me", "danger_from_others"),
        ("I was sexually abused as a child", "abuse"),
    ],
)
def test_patterns_override_a_confident_classifier(safety_net, make_message, text, category):
    message = make_message(text, intent_ranking(("greet", 0.93), ("faq", 0.05), ("crisis", 0.02)))
    safety_net.process([message])

    assert message.get(INTENT) == {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0] == {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    assert [r[INTENT_NAME_KEY] for r in ranking] == ["crisis", "greet", "faq"]
    decision = message.get(SAFETY_NET_PROPERTY)
    assert decision["fired"] is True
    assert decision["layer"] == "patterns"
    assert decision["rule_category"] == category
    # The response category: danger from someone else, or risk to self.
    others = category in {"danger_from_others", "abuse"}
    assert decision["category"] == ("harm_from_others" if others else "self")
    assert decision["tier"] == "acute"
    assert decision["rule"]
    assert decision["classifier_confidence"] == pytest.approx(0.02)


def test_decision_is_in_the_parse_result(safety_net, make_message):
    message = make_message("I WANT TO DIE", intent_ranking(("nlu_fallback", 0.45), ("greet", 0.3)))
    safety_net.process([message])
    result = _parse_result(message)
    assert result[INTENT] == {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    assert result[INTENT_RANKING_KEY][0][INTENT_NAME_KEY] == "crisis"
    assert result[SAFETY_NET_PROPERTY]["fired"] is True
    assert result[SAFETY_NET_PROPERTY]["layer"] == "patterns"
    assert result[SAFETY_NET_PROPERTY]["classifier_confidence"] is None
    # Nothing that is not JSON goes out (the spaCy doc stays internal).
    import json

    json.dumps(result)


def test_fires_without_any_classifier_output(safety_net, make_message):
    message = make_message("thinking about killing myself")
    safety_net.process([message])
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis"
    assert message.get(INTENT_RANKING_KEY) == [
        {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    ]


# ------------------------------------------------------------------------- non-override

BENIGN = [
    "this homework is killing me",
    "I'm dying to know",
    "my feet are killing me",
    "I could kill for a coffee",
    "that joke killed",
    "I nearly died laughing",
    "dead tired",
    "I'd die of embarrassment",
    "what is anxious attachment?",
    "my grandmother died last year and I'm grieving",
    "I feel anxious in relationships",
    "yes",
    "no",
    "online",
    "I'm 34",
]


@pytest.mark.parametrize("text", BENIGN)
def test_benign_messages_are_left_untouched(safety_net, make_message, text):
    message = make_message(text, intent_ranking(("faq", 0.81), ("greet", 0.1), ("crisis", 0.05)))
    before = copy.deepcopy({k: v for k, v in message.data.items() if k != SPACY_DOCS[TEXT]})
    outputs = set(message.output_properties)
    safety_net.process([message])
    after = {k: v for k, v in message.data.items() if k != SPACY_DOCS[TEXT]}
    assert after == before
    assert message.output_properties == outputs
    assert SAFETY_NET_PROPERTY not in message.data
    assert SAFETY_NET_PROPERTY not in _parse_result(message)


# ---------------------------------------------------------------------- classifier layer


def test_crisis_ranked_above_threshold_fires_even_if_not_top(safety_net, make_message):
    text = "I don't really know how to say this"
    ranking = intent_ranking(("nlu_fallback", 0.45), ("out_of_scope", 0.4), ("crisis", 0.35))
    message = make_message(text, ranking)
    safety_net.process([message])
    assert message.get(INTENT) == {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    assert [r[INTENT_NAME_KEY] for r in message.get(INTENT_RANKING_KEY)] == [
        "crisis",
        "nlu_fallback",
        "out_of_scope",
    ]
    assert message.get(SAFETY_NET_PROPERTY) == {
        "fired": True,
        "layer": "classifier",
        "tier": "acute",
        "rule": "intent_ranking",
        "category": "self",
        "classifier_confidence": pytest.approx(0.35),
    }


@pytest.mark.parametrize(
    "confidence,threshold,fires",
    [
        (0.3, 0.3, True),  # the threshold itself counts
        (0.29, 0.3, False),
        (0.25, 0.2, True),
        (0.25, 0.5, False),
    ],
)
def test_ranking_threshold_is_configurable(make_message, confidence, threshold, fires):
    net = CrisisSafetyNet({"ranking_threshold": threshold})
    text = "I don't really know how to say this"
    message = make_message(text, intent_ranking(("greet", 0.6), ("crisis", confidence)))
    net.process([message])
    assert (message.get(INTENT)[INTENT_NAME_KEY] == "crisis") is fires
    assert (SAFETY_NET_PROPERTY in message.data) is fires


def test_top_intent_crisis_is_kept_and_recorded(safety_net, make_message):
    message = make_message("things are bad at the moment",
                           intent_ranking(("crisis", 0.62), ("faq", 0.2)))
    safety_net.process([message])
    assert message.get(INTENT) == {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
    assert [r[INTENT_NAME_KEY] for r in message.get(INTENT_RANKING_KEY)] == ["crisis", "faq"]
    decision = message.get(SAFETY_NET_PROPERTY)
    assert decision["layer"] == "classifier"
    assert decision["rule"] == "top_intent"
    assert decision["classifier_confidence"] == pytest.approx(0.62)


def test_pattern_layer_wins_when_both_layers_agree(safety_net, make_message):
    message = make_message("i want to kill myself", intent_ranking(("crisis", 0.97)))
    safety_net.process([message])
    decision = message.get(SAFETY_NET_PROPERTY)
    assert decision["layer"] == "patterns"
    assert decision["classifier_confidence"] == pytest.approx(0.97)


# -------------------------------------------------------------- fallback without a doc


def test_without_a_spacy_doc_it_checks_the_lower_cased_text(safety_net, make_message):
    message = make_message("I DON'T WANT TO BE HERE ANYMORE", with_doc=False)
    assert message.get(SPACY_DOCS[TEXT]) is None
    safety_net.process([message])
    assert message.get(SAFETY_NET_PROPERTY)["layer"] == "patterns"
    benign = make_message("This homework is KILLING me", intent_ranking(("faq", 0.9)),
                          with_doc=False)
    safety_net.process([benign])
    assert SAFETY_NET_PROPERTY not in benign.data


def test_fallback_loads_no_model_and_downloads_nothing(monkeypatch, make_message):
    import spacy
    import spacy.cli

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the safety net must not load or download a model")

    monkeypatch.setattr(spacy, "load", forbidden)
    monkeypatch.setattr(spacy.cli, "download", forbidden)
    net = CrisisSafetyNet({}, detector=CrisisDetector.blank())
    message = make_message("i wanna kms", with_doc=False)
    net.process([message])
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis"


def test_shared_detector_is_built_once():
    assert shared_detector() is shared_detector()


# ------------------------------------------------------------------------------ robustness


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😭😭😭", "🙂", "🔪", "...", None])
def test_empty_whitespace_emoji_and_missing_text(safety_net, make_message, text):
    message = make_message(text, intent_ranking(("greet", 0.5), ("faq", 0.2)))
    safety_net.process([message])
    assert SAFETY_NET_PROPERTY not in message.data
    assert message.get(INTENT)[INTENT_NAME_KEY] == "greet"


def test_emoji_only_message_still_honours_the_classifier(safety_net, make_message):
    message = make_message("😭😭😭", intent_ranking(("greet", 0.5), ("crisis", 0.4)))
    safety_net.process([message])
    assert message.get(SAFETY_NET_PROPERTY)["layer"] == "classifier"


def test_huge_messages(safety_net, make_message):
    filler = "I keep wondering why I pull away when my partner gets close to me. "
    text = (filler * 200)[:10_000]
    message = make_message(text, intent_ranking(("faq", 0.7)))
    safety_net.process([message])
    assert SAFETY_NET_PROPERTY not in message.data

    crisis_text = text[:9_960] + " honestly i want to end it all"
    assert len(crisis_text) <= 10_000
    for with_doc in (True, False):
        message = make_message(crisis_text, intent_ranking(("faq", 0.7)), with_doc=with_doc)
        safety_net.process([message])
        assert message.get(SAFETY_NET_PROPERTY)["layer"] == "patterns"


def test_malformed_classifier_output_does_not_crash(safety_net, make_message):
    message = make_message("hello there")
    message.set(INTENT, None)
    message.set(INTENT_RANKING_KEY, [None, {"name": "crisis", "confidence": "high"}, 3])
    safety_net.process([message])
    assert SAFETY_NET_PROPERTY not in message.data


class _BrokenDetector:
    def detect(self, doc: Any) -> None:
        raise RuntimeError("boom")

    def detect_text(self, text: str) -> None:
        raise RuntimeError("boom")


def test_a_failing_pattern_layer_leaves_the_classifier_layer_working(make_message, caplog):
    net = CrisisSafetyNet({}, detector=_BrokenDetector())  # type: ignore[arg-type]
    text = "nobody would notice anyway"
    message = make_message(text, intent_ranking(("crisis", 0.8)))
    net.process([message])
    assert message.get(SAFETY_NET_PROPERTY)["layer"] == "classifier"
    other = make_message("hello", intent_ranking(("greet", 0.9)))
    net.process([other])
    assert SAFETY_NET_PROPERTY not in other.data
    assert "RuntimeError" in caplog.text
    assert text not in caplog.text  # never log user text


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "high", None, True])
def test_invalid_threshold_is_rejected(threshold):
    with pytest.raises(InvalidConfigException):
        CrisisSafetyNet({"ranking_threshold": threshold})


def test_process_training_data_is_a_no_op(safety_net):
    data = TrainingData([Message(data={TEXT: "i want to die", INTENT: "crisis"})])
    assert safety_net.process_training_data(data) is data
    assert data.training_examples[0].get(INTENT) == "crisis"


def test_processes_every_message_in_a_batch(safety_net, make_message):
    messages = [
        make_message("hello", intent_ranking(("greet", 0.9))),
        make_message("i want to die", intent_ranking(("greet", 0.9))),
        make_message("what is a secure base?", intent_ranking(("faq", 0.9))),
    ]
    assert safety_net.process(messages) is messages
    assert [m.get(INTENT)[INTENT_NAME_KEY] for m in messages] == ["greet", "crisis", "faq"]


# ------------------------------------------------------------------- through a real graph


def test_through_rasa_graph_runner(tmp_path):
    """SpacyNLP -> CrisisSafetyNet -> RegexMessageHandler, wired by the real recipe."""
    import rasa.shared.utils.io
    from rasa.core.channels import UserMessage
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.recipes.recipe import Recipe
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.data import TrainingType

    config = rasa.shared.utils.io.read_yaml_file(str(ROOT / "config.yml"))
    recipe = Recipe.recipe_for_name(config["recipe"])
    nodes = recipe.graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH
    ).predict_schema.nodes
    (net_name,) = (n for n in nodes if n.startswith("run_secure_base.nlu.crisis_safety_net"))
    schema = GraphSchema(
        {
            "nlu_message_converter": nodes["nlu_message_converter"],
            "provide_SpacyNLP0": nodes["provide_SpacyNLP0"],
            "run_SpacyNLP0": nodes["run_SpacyNLP0"],
            net_name: dataclasses.replace(nodes[net_name], needs={"messages": "run_SpacyNLP0"}),
            "run_RegexMessageHandler": dataclasses.replace(
                nodes["run_RegexMessageHandler"], needs={"messages": net_name}
            ),
        }
    )
    runner = DaskGraphRunner(
        schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test")
    )

    def parse(text: str) -> Dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = runner.run(
                inputs={"__message__": [UserMessage(text)]},
                targets=["run_RegexMessageHandler"],
            )
        return _parse_result(results["run_RegexMessageHandler"][0])

    crisis = parse("I don't want to wake up tomorrow")
    assert crisis[INTENT][INTENT_NAME_KEY] == "crisis"
    assert crisis[SAFETY_NET_PROPERTY]["layer"] == "patterns"
    benign = parse("my feet are killing me")
    assert SAFETY_NET_PROPERTY not in benign
    assert benign[INTENT][INTENT_NAME_KEY] is None


@pytest.mark.parametrize(
    "text",
    ["this homework is killing me", "I'm dying to know how it ends", "my feet are killing me"],
)
def test_classifier_crisis_on_a_known_figure_of_speech_is_set_aside(
    safety_net, make_message, text
):
    message = make_message(text, intent_ranking(("crisis", 0.97), ("out_of_scope", 0.02)))
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert all(entry["name"] != "crisis" for entry in message.get(INTENT_RANKING_KEY))
    assert message.get("crisis_safety_net")["suppressed"] == "benign_idiom"


def test_an_idiom_does_not_hide_a_real_crisis_in_the_same_message(safety_net, make_message):
    text = "this homework is killing me and honestly I want to die"
    message = make_message(text, intent_ranking(("crisis", 0.97), ("out_of_scope", 0.02)))
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "crisis"


# ----------------------------------------------------------------- risk classifier layer


def _with_risk(message, tier, risk, mention=0.0, category="self"):  # type: ignore[no-untyped-def]
    message.set("crisis_risk", {"tier": tier, "category": category if tier == "acute" else None,
                                "risk": risk, "mention": mention, "piece_risk": None,
                                "from_piece": False})
    return message


def test_an_acute_risk_fires_with_its_category(safety_net, make_message):
    text = "he said he'd find me wherever I go and I believe him"
    message = _with_risk(make_message(text, intent_ranking(("faq", 0.9))), "acute", 0.8,
                         category="harm_from_others")
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "crisis"
    decision = message.get(SAFETY_NET_PROPERTY)
    assert (decision["layer"], decision["category"]) == ("risk_classifier", "harm_from_others")
    entities = {e["entity"]: e["value"] for e in message.get("entities")}
    assert entities["crisis_category"] == "harm_from_others"


def test_a_mention_gets_the_check_in_entity_and_keeps_its_answer(safety_net, make_message):
    text = "for my essay: why do teenagers self harm?"
    message = _with_risk(make_message(text, intent_ranking(("faq", 0.6), ("crisis", 0.3))),
                         "mention", 0.1, mention=0.85)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "faq"
    assert message.get(SAFETY_NET_PROPERTY)["tier"] == "mention"
    assert {e["entity"]: e["value"] for e in message.get("entities")}["safety_check_in"] is True


def test_a_figure_of_speech_sets_aside_an_unsure_risk_classifier(safety_net, make_message):
    text = "I'd die of embarrassment if anyone read my journal"
    message = _with_risk(make_message(text, intent_ranking(("out_of_scope", 0.8))), "acute", 0.7)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(SAFETY_NET_PROPERTY)["suppressed"] == "benign_idiom"
    # ...but not a sure one.
    sure = _with_risk(make_message(text, intent_ranking(("out_of_scope", 0.8))), "acute", 0.95)
    safety_net.process([sure])
    assert sure.get(INTENT)["name"] == "crisis"


def test_a_rule_match_stays_a_crisis_unless_the_classifier_is_sure_it_is_a_mention(
    safety_net, make_message
):
    text = "what is the difference between self harm and wanting to kill myself"
    unsure = _with_risk(make_message(text, intent_ranking(("faq", 0.9))), "mention", 0.3,
                        mention=0.65)
    safety_net.process([unsure])
    assert unsure.get(INTENT)["name"] == "crisis"  # P(risk) 0.3: the rule wins
    sure = _with_risk(make_message(text, intent_ranking(("faq", 0.9))), "mention", 0.05,
                      mention=0.9)
    safety_net.process([sure])
    assert sure.get(INTENT)["name"] == "faq"
    assert sure.get(SAFETY_NET_PROPERTY)["suppressed"] == "mention"


@pytest.mark.parametrize("text", ["nothing else, bye", "ok thats all for now thanks!",
                                  "no that's it, goodnight 👋", "nah im good thanks"])
def test_a_chat_closing_gets_the_check_in_not_the_interruption(safety_net, make_message, text):
    # The classifiers learned farewells from risk data; a message of nothing but
    # closing phrases gets the check-in line (numbers included), not the full response.
    message = _with_risk(make_message(text, intent_ranking(("crisis", 0.6), ("nothing_else", 0.3))),
                         "acute", 0.95)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "nothing_else"
    decision = message.get(SAFETY_NET_PROPERTY)
    assert (decision["tier"], decision["suppressed"]) == ("mention", "chat_closing")
    assert {e["entity"]: e["value"] for e in message.get("entities")}["safety_check_in"] is True


@pytest.mark.parametrize("text", [
    "bye",  # no word limits the goodbye to this chat
    "thanks for everything, goodbye",
    "thats all bye, i wont need the appointment anymore",
    "that's all i wanted to say, goodbye",
    "goodbye for now, i've taken all my pills",  # a rule matches
    "that's all for now. goodbye forever",
])
def test_a_farewell_with_anything_more_than_closing_words_stays_a_crisis(
    safety_net, make_message, text
):
    message = _with_risk(make_message(text, intent_ranking(("nothing_else", 0.9))), "acute", 0.7)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "crisis"


def test_no_closing_phrase_carries_finality_or_a_crisis_word():
    import yaml

    from secure_base.crisis.closings import CLOSINGS_FILE

    data = yaml.safe_load(CLOSINGS_FILE.read_text(encoding="utf-8"))
    phrases = [str(p) for p in data["scoped"] + data["filler"]]
    final = ("everything", "forever", "for good", "last", "won't", "no longer", "world",
             "all of you", "remember", "end", "gone", "leave", "sorry")
    for phrase in phrases:
        padded = f" {phrase} "
        assert not any(f" {word} " in padded for word in final), phrase
        assert shared_detector().detect_text(phrase) is None, phrase


@pytest.mark.parametrize("text", [
    "erase all that stuff about my childhood i wrote earlier. got embarrassed",
    "pls dont save my number",
    "Please delete everything I wrote above, I regret writing it.",
    "can you wipe this chat, i overshared lol",
    "I would like to withdraw my consent, kindly remove my details",
])
def test_a_privacy_request_gets_the_check_in_not_the_interruption(
    safety_net, make_message, text
):
    # Regret and "get rid of it" also come with farewells in the risk data; a request to
    # delete what was written, with no word of doubt, is answered with the check-in line.
    ranked = intent_ranking(("crisis", 0.6), ("delete_my_data", 0.3))
    message = _with_risk(make_message(text, ranked), "acute", 0.9)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "delete_my_data"
    decision = message.get(SAFETY_NET_PROPERTY)
    assert (decision["tier"], decision["suppressed"]) == ("mention", "privacy_request")
    assert {e["entity"]: e["value"] for e in message.get("entities")}["safety_check_in"] is True


@pytest.mark.parametrize("text", [
    "delete everything i wrote, you won't hear from me again",
    "delete this before he checks my phone",
    "erase my messages. i won't need any of it after tonight",
    "forget me",
    "just delete me from everything",
    "wipe it all, nobody needs to read it when i'm gone",
    "delete what i said, i've taken all my pills",  # a rule matches
    "dont save the slot for me give it to somebody with a future",
])
def test_a_deletion_request_with_any_word_of_doubt_stays_a_crisis(
    safety_net, make_message, text
):
    message = _with_risk(make_message(text, intent_ranking(("delete_my_data", 0.9))), "acute", 0.7)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "crisis"


def test_no_privacy_request_is_about_the_person_or_matches_a_crisis_rule():
    import yaml

    from secure_base.crisis.privacy_requests import PRIVACY_REQUESTS_FILE, is_privacy_request

    data = yaml.safe_load(PRIVACY_REQUESTS_FILE.read_text(encoding="utf-8"))
    assert not {"me", "myself", "me from"} & set(data["objects"])
    for verb in data["verbs"]:
        assert not is_privacy_request(f"{verb} me"), verb
        assert shared_detector().detect_text(f"{verb} it") is None, verb
    for phrase in data["phrases"]:
        assert shared_detector().detect_text(phrase) is None, phrase


def test_no_risk_message_of_the_blind_training_data_is_a_privacy_request():
    # 3,000+ risk messages by independent authors: none may be excused as a privacy request.
    from secure_base.crisis.privacy_requests import is_privacy_request
    from secure_base.nlu.risk_classifier import MENTION, NO_RISK, load_labelled_messages
    from secure_base.settings import PROJECT_ROOT

    pairs = load_labelled_messages(PROJECT_ROOT / "data" / "crisis_risk")
    excused = [text for text, label in pairs
               if label not in (NO_RISK, MENTION) and is_privacy_request(text)]
    assert excused == []
    assert sum(is_privacy_request(text) for text, label in pairs if label == NO_RISK) > 20
