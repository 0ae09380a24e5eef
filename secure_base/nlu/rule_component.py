"""The shared shape of the NLU components that read each message by fixed rules.

The reading-request intent, the emoji talk classifier and the crisis safety net learn
nothing: each is created from its config, passes the training data through, and looks at
every parsed message on its own. Only :meth:`RuleComponent.process_message` differs.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


class RuleComponent(GraphComponent):
    """An untrained component that reads each message by fixed rules."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """No options unless a component names some."""
        return {}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Creates the component.

        Args:
            config: The component's config from ``config.yml`` (over its defaults).
        """
        self.component_config = {**self.get_default_config(), **(config or {})}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleComponent:
        """Creates the component at model load time; nothing is stored with the model."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn: the training data passes through unchanged."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Reads each message (see :meth:`process_message`)."""
        for message in messages:
            self.process_message(message)
        return messages

    @abstractmethod
    def process_message(self, message: Message) -> None:
        """Reads one parsed message and sets what the component decides on it."""
