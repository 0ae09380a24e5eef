"""The linear intent classifier and response selector, trained for real on small data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.nlu.linear_classifiers import (
    LinearIntentClassifier,
    LinearModel,
    LinearResponseSelector,
)
from secure_base.nlu.sentence_embeddings import SentenceEmbeddingFeaturizer

EXAMPLES = {
    "greet": ["hi", "hello there", "good morning", "hey", "hiya", "good evening"],
    "out_of_scope": ["what's the weather", "fix my python code", "best pizza nearby",
                     "who won the football", "translate this to french", "do my homework"],
}
FAQ = {
    "faq/anxious_attachment": ["I panic when my partner doesn't text back",
                               "why do I need so much reassurance",
                               "what is anxious attachment", "I'm scared they'll leave me",
                               "I overthink every change in his tone"],
    "faq/fees_and_insurance": ["how much does a session cost", "do you take insurance",
                               "what are your fees", "is there a sliding scale",
                               "can I pay by card"],
}
RESPONSES = {
    "utter_faq/anxious_attachment": [{"text": "Anxious attachment is..."}],
    "utter_faq/fees_and_insurance": [{"text": "Sessions cost..."}],
}


@pytest.fixture(scope="module")
def featurizer() -> SentenceEmbeddingFeaturizer:
    return SentenceEmbeddingFeaturizer(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "alias": "sentence_encoder"},
        "sentence_encoder")


def featurized(featurizer, texts_and_data) -> list[Message]:
    messages = [Message(data=data) for data in texts_and_data]
    featurizer.process(messages)
    return messages


@pytest.fixture(scope="module")
def training_data(featurizer) -> TrainingData:
    data = [{"text": t, "intent": i} for i, texts in EXAMPLES.items() for t in texts]
    data += [{"text": t, "intent": "faq", "intent_response_key": k}
             for k, texts in FAQ.items() for t in texts]
    return TrainingData(featurized(featurizer, data), responses=RESPONSES)


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def trained(cls, config, tmp_path: Path, training_data):
    storage = LocalModelStorage(tmp_path)
    resource = Resource(cls.__name__)
    component = cls.create({**cls.get_default_config(), **config}, storage, resource, context())
    component.train(training_data)
    return component, storage, resource


def parse(featurizer, component, text: str) -> Message:
    message = featurized(featurizer, [{"text": text}])[0]
    component.process([message])
    return message


def test_intent_classifier_ranks_intents_with_probabilities(featurizer, training_data, tmp_path):
    classifier, _, _ = trained(LinearIntentClassifier, {}, tmp_path, training_data)
    message = parse(featurizer, classifier, "hello!")
    assert message.get("intent")["name"] == "greet"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "greet"
    assert {r["name"] for r in ranking} == {"greet", "out_of_scope", "faq"}
    assert np.isclose(sum(r["confidence"] for r in ranking), 1.0)
    assert parse(featurizer, classifier, "do you take my insurance").get(
        "intent")["name"] == "faq"


def test_selector_output_has_the_shape_of_rasas_response_selector(
        featurizer, training_data, tmp_path):
    selector, _, _ = trained(LinearResponseSelector, {"retrieval_intent": "faq"}, tmp_path,
                             training_data)
    message = parse(featurizer, selector, "what do sessions cost?")
    output = message.as_dict_nlu()["response_selector"]
    assert output["all_retrieval_intents"] == ["faq"]
    response = output["faq"]["response"]
    assert response["intent_response_key"] == "faq/fees_and_insurance"
    assert response["utter_action"] == "utter_faq/fees_and_insurance"
    assert response["responses"] == RESPONSES["utter_faq/fees_and_insurance"]
    assert 0.5 < response["confidence"] <= 1.0
    ranking = output["faq"]["ranking"]
    assert ranking[0]["intent_response_key"] == "faq/fees_and_insurance"
    assert {"id", "confidence", "intent_response_key"} == set(ranking[0])


def test_persisted_models_load_and_predict_the_same_without_pickle(
        featurizer, training_data, tmp_path):
    selector, storage, resource = trained(LinearResponseSelector, {"retrieval_intent": "faq"},
                                          tmp_path, training_data)
    loaded = LinearResponseSelector.load(
        {**LinearResponseSelector.get_default_config(), "retrieval_intent": "faq"},
        storage, resource, context())
    for text in ("my partner went quiet and I spiralled", "what do you charge"):
        before = parse(featurizer, selector, text).get("response_selector")["faq"]
        after = parse(featurizer, loaded, text).get("response_selector")["faq"]
        assert before["response"]["intent_response_key"] == after["response"][
            "intent_response_key"]
        assert np.isclose(before["response"]["confidence"], after["response"]["confidence"])
    with storage.read_from(resource) as directory:
        suffixes = {path.suffix for path in Path(directory).iterdir()}
    assert suffixes <= {".json", ".npy"}


def test_ranking_length_is_respected(featurizer, training_data, tmp_path):
    classifier, _, _ = trained(LinearIntentClassifier, {"ranking_length": 2}, tmp_path,
                               training_data)
    assert len(parse(featurizer, classifier, "hey").get("intent_ranking")) == 2


def test_untrained_or_unfeaturized_messages_are_left_alone(featurizer, training_data,
                                                           tmp_path):
    storage = LocalModelStorage(tmp_path)
    empty = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(),
                                        storage, Resource("nothing"), context())
    message = parse(featurizer, empty, "hello")
    assert message.get("intent") is None

    (tmp_path / "t").mkdir()
    classifier, _, _ = trained(LinearIntentClassifier, {}, tmp_path / "t", training_data)
    bare = Message(data={"text": "hello"})  # no sentence features
    classifier.process([bare])
    assert bare.get("intent") is None


def test_training_refuses_messages_without_dense_features(tmp_path):
    data = TrainingData([Message(data={"text": t, "intent": i})
                         for i, texts in EXAMPLES.items() for t in texts])
    with pytest.raises(ValueError, match="sentence-embedding featurizer"):
        trained(LinearIntentClassifier, {}, tmp_path, data)


def test_binary_models_give_proper_probabilities():
    features = scipy.sparse.csr_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0],
                                                 [0.1, 0.9]]))
    model = LinearModel.fit(features, ["a", "a", "b", "b"], {"C": 10.0, "max_iter": 1000})
    probabilities = model.probabilities(features)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert [model.labels[i] for i in probabilities.argmax(axis=1)] == ["a", "a", "b", "b"]
