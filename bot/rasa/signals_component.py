"""The Rasa NLU component that reads the customer's language and emotion off each message.

They travel as entities (`language`, `emotion`, `emotion_score`) that fill the slots of the same
names through `from_entity` mappings, and the stored parse data keeps them per message, which is
where the emotion trajectory is read from (`bot.emotion.trajectory.history_from_events`).
The reading itself is plain Python in `bot.emotion.customer_signals`.

This used to be a custom action run after every message (`action_validate_slot_mappings`); doing it
here spares the Rasa server a round trip to the action server per message (README, "Figures").
The entities do not influence the dialogue (domain: `influence_conversation: false`)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emotion.customer_signals import signal_entities
from bot.settings import get_settings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CustomerSignals(GraphComponent):
    """Adds the language and emotion entities to every customer message."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CustomerSignals":
        settings = get_settings()
        signal_entities("你好 hello", settings.emotion_upset_at, settings.emotion_angry_at)  # loads the lexicon now
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        settings = get_settings()
        for message in messages:
            found = signal_entities(message.get(TEXT) or "", settings.emotion_upset_at, settings.emotion_angry_at)
            if found:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *found], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
