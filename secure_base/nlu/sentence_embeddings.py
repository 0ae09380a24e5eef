"""Sentence embeddings from all-mpnet-base-v2 as dense features for the NLU classifiers.

People ask about attachment in words our training examples never used ("why do I bolt
when things get serious?"). Bag-of-words features cannot see that "bolt" and "pull away"
mean the same; a sentence-embedding model trained on a billion sentence pairs can. On
our held-out set these features lift topic accuracy and out-of-scope recall (figures in
docs/evaluation.md).

The model runs on TensorFlow, which Rasa already loads, through Hugging Face
``transformers``. ``scripts/install.sh`` unpacks its hash-checked weights into
``<venv>/share/secure-base/models/`` (provenance in docs/dependencies.md); they are loaded
from there with the Hub switched off, so nothing is ever downloaded at run time. The
sentence vector is the attention-masked mean of the token vectors, L2-normalised: the
pooling the model was trained with. all-mpnet-base-v2 replaced the smaller
all-MiniLM-L6-v2 because it understands indirect phrasings markedly better (5-fold
cross-validation 0.884 vs 0.832, docs/evaluation.md), at the cost of ~50 ms and ~350 MB.

Only sentence features are produced: the linear classifiers
(``secure_base.nlu.linear_classifiers``) read one vector per message.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_NAME_KEY = "model_name"
BATCH_SIZE_KEY = "batch_size"
MAX_TOKENS_KEY = "max_tokens"


def models_root() -> Path:
    """Where scripts/install.sh puts encoder models: ``<venv>/share/secure-base/models``."""
    return Path(sys.prefix) / "share" / "secure-base" / "models"


def model_directory(name: str) -> Path:
    """The directory holding the encoder model ``name`` (as installed by make install).

    Raises:
        RuntimeError: the model is not installed (run `make install`).
    """
    directory = models_root() / name
    if not (directory / "config.json").exists():
        raise RuntimeError(
            f"sentence-encoder model {name!r} is not installed in {directory}; run "
            "`make install` (scripts/install.sh fetches and checks the pinned weights)"
        )
    return directory


def _return_freed_memory() -> None:
    """Hands memory freed after loading back to the OS (glibc keeps it otherwise).

    Converting the weights to TensorFlow variables briefly holds a second copy; without
    this the server keeps ~400 MB it no longer uses.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class SentenceEncoder:
    """A sentence-transformers encoder on TensorFlow: texts in, L2-normalised vectors out."""

    def __init__(self, directory: Path, max_tokens: int = 128) -> None:
        """Loads tokenizer and weights from ``directory``; never touches the network."""
        # Belt and braces: transformers and huggingface_hub must not reach the Hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("USE_TORCH", "0")
        from transformers import AutoTokenizer, TFAutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the weight-conversion notice is expected
        self._tokenizer = AutoTokenizer.from_pretrained(
            str(directory), local_files_only=True, clean_up_tokenization_spaces=True)
        self._model = TFAutoModel.from_pretrained(str(directory), local_files_only=True)
        self._max_tokens = max_tokens
        self.dimensions = int(self._model.config.hidden_size)
        self._forward = self._compiled_forward()
        _return_freed_memory()

    def _compiled_forward(self) -> Any:
        """The model's forward pass as one TensorFlow graph (about 9x faster than eager)."""
        import tensorflow as tf

        spec = tf.TensorSpec([None, None], tf.int32)
        model = self._model

        @tf.function(input_signature=[spec, spec])
        @tf.autograph.experimental.do_not_convert
        def forward(input_ids: Any, attention_mask: Any) -> Any:
            return model(input_ids=input_ids, attention_mask=attention_mask,
                         training=False).last_hidden_state

        return forward

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embeds ``texts`` (one row each, in order)."""
        rows: List[np.ndarray] = []
        for start in range(0, len(texts), batch_size):
            batch = [text if text.strip() else "." for text in texts[start:start + batch_size]]
            encoded = self._tokenizer(batch, padding=True, truncation=True,
                                      max_length=self._max_tokens, return_tensors="np")
            input_ids = encoded["input_ids"].astype(np.int32)
            attention = encoded["attention_mask"].astype(np.int32)
            hidden = self._forward(input_ids, attention).numpy()
            mask = attention[..., None].astype(hidden.dtype)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows.append(pooled / np.maximum(norms, 1e-12))
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)


@functools.cache
def shared_encoder(name: str, max_tokens: int = 128) -> SentenceEncoder:
    """The process-wide encoder ``name``, loaded once per process.

    The featurizer and the risk classifier share it (the weights take about 400 MB).
    """
    return SentenceEncoder(model_directory(name), max_tokens)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a sentence embedding of the user's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config."""
        return {
            **DenseFeaturizer.get_default_config(),
            MODEL_NAME_KEY: "all-mpnet-base-v2",
            BATCH_SIZE_KEY: 64,
            MAX_TOKENS_KEY: 128,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """Python packages this component needs."""
        return ["transformers", "tensorflow"]

    def __init__(self, config: Dict[Text, Any], name: Text,
                 encoder: Optional[SentenceEncoder] = None) -> None:
        """Loads the encoder (once per process and graph node)."""
        super().__init__(name, config)
        self._encoder = encoder or shared_encoder(
            self._config[MODEL_NAME_KEY], self._config[MAX_TOKENS_KEY])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> GraphComponent:
        """Creates the component (nothing to train)."""
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to validate beyond the defaults."""

    def _featurize(self, messages: List[Message]) -> None:
        todo = [(message, message.get(TEXT)) for message in messages
                if isinstance(message.get(TEXT), str)]
        if not todo:
            return
        vectors = self._encoder.encode([text for _, text in todo],
                                       batch_size=self._config[BATCH_SIZE_KEY])
        for (message, _), vector in zip(todo, vectors, strict=False):
            message.add_features(Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE,
                                          TEXT, self._identifier))

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages."""
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example that has text, in batches."""
        self._featurize(training_data.training_examples)
        return training_data
