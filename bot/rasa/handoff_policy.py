"""A Rasa policy that follows the handoff state machine in `bot.handoff.conversation`.

It outranks the rule policy only while a handoff is under way (``handoff_state`` set) and otherwise
predicts nothing, so the rest of the dialogue is untouched. Nothing to learn: training only records
that the policy exists."""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.fixed_policy import FixedPolicy
from bot.handoff.conversation import LEAVE_STATE, CancelThresholds, next_action
from bot.settings import get_settings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(FixedPolicy):
    DEFAULT_PRIORITY = 8

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        message = tracker.latest_message
        intent = (message.intent or {}) if message else {}
        state = tracker.get_slot("handoff_state") if "handoff_state" in tracker.slots else None
        action = next_action(state, intent.get("name"), tracker.latest_action_name,
                             float(intent.get("confidence") or 0.0), (message.text or "") if message else "",
                             CancelThresholds.from_settings(get_settings()))
        if action == LEAVE_STATE:  # predicts nothing; its event clears the state before the others' action
            return self._prediction(probabilities, events=[SlotSet("handoff_state", None)])
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
