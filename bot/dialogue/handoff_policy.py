"""A Rasa policy that follows the handoff state machine in `bot.handoff.conversation`.

It outranks the rule policy only while a handoff is under way (``handoff_state`` set) and otherwise
predicts nothing, so the rest of the dialogue is untouched. Nothing to learn: training only records
that the policy exists."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from rasa.shared.core.events import SlotSet

from bot.handoff.conversation import LEAVE_STATE, next_action


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Optional[Any] = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource) as path:
            (path / "handoff_policy.txt").write_text("no parameters\n", encoding="utf-8")
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        message = tracker.latest_message
        intent = (message.intent or {}) if message else {}
        state = tracker.get_slot("handoff_state") if "handoff_state" in tracker.slots else None
        action = next_action(state, intent.get("name"), tracker.latest_action_name,
                             float(intent.get("confidence") or 0.0), (message.text or "") if message else "")
        if action == LEAVE_STATE:  # predicts nothing; its event clears the state before the others' action
            return self._prediction(probabilities, events=[SlotSet("handoff_state", None)])
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
