"""The sentence-embedding featurizer: real model, offline, robust to odd input."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.nlu.sentence_embeddings import (
    SentenceEmbeddingFeaturizer,
    SentenceEncoder,
    model_directory,
)


@pytest.fixture(scope="module")
def featurizer() -> SentenceEmbeddingFeaturizer:
    """One featurizer for the module, loaded with every network connection refused."""
    real_connect = socket.socket.connect

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"the sentence encoder tried to connect to {address!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        return SentenceEmbeddingFeaturizer(
            SentenceEmbeddingFeaturizer.get_default_config(), "sentence_embeddings")
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]


def sentence_vector(featurizer: SentenceEmbeddingFeaturizer, text: str) -> np.ndarray:
    message = Message(data={TEXT: text})
    featurizer.process([message])
    features = [f for f in message.features if f.type == FEATURE_TYPE_SENTENCE]
    assert len(features) == 1
    return features[0].features[0]


def test_vectors_are_unit_length_and_deterministic(featurizer):
    first = sentence_vector(featurizer, "why do I pull away when someone gets close?")
    again = sentence_vector(featurizer, "why do I pull away when someone gets close?")
    assert first.shape == (768,)
    assert np.isclose(np.linalg.norm(first), 1.0, atol=1e-5)
    assert np.allclose(first, again, atol=1e-6)


def test_paraphrases_are_closer_than_unrelated_messages(featurizer):
    anchor = sentence_vector(featurizer, "I back off whenever a relationship gets serious")
    paraphrase = sentence_vector(featurizer, "why do I run away when someone wants to be close")
    unrelated = sentence_vector(featurizer, "what's the weather in London tomorrow")
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.2


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "<script>alert(1)</script>",
                                  "'; DROP TABLE articles; --", "word " * 3000])
def test_odd_input_still_gets_a_finite_vector(featurizer, text):
    vector = sentence_vector(featurizer, text)
    assert np.all(np.isfinite(vector))


def test_batches_match_single_messages(featurizer):
    texts = ["how long does therapy take", "hi", "is what I say confidential " * 20]
    data = TrainingData([Message(data={TEXT: t, "intent": "x"}) for t in texts])
    featurizer.process_training_data(data)
    for message, text in zip(data.training_examples, texts, strict=False):
        batched = [f for f in message.features if f.type == FEATURE_TYPE_SENTENCE][0]
        assert np.allclose(batched.features[0], sentence_vector(featurizer, text), atol=1e-4)


def test_messages_without_text_are_left_alone(featurizer):
    message = Message(data={"intent": "greet"})
    featurizer.process([message])
    assert message.features == []


def test_a_missing_model_fails_with_the_fix():
    with pytest.raises(RuntimeError, match="make install"):
        model_directory("no_such_model")


# sentence-transformers/all-mpnet-base-v2 at Hub revision e8c3b32e (docs/dependencies.md).
PINNED_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"


def test_the_installed_model_has_the_pinned_weights():
    directory = model_directory("all-mpnet-base-v2")
    digest = hashlib.sha256()
    with open(directory / "model.safetensors", "rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    assert digest.hexdigest() == PINNED_WEIGHTS_SHA256
    assert SentenceEncoder(directory).dimensions == 768
