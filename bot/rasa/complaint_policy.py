"""A Rasa policy that keeps the complaint form listening while the customer says what happened.

Rules answer an FAQ or look up tickets in the middle of a complaint; at the step where the form asks
for the account, a message that reads like a question is the account itself, and answering it from
the knowledge base would mean not listening. The decision is `bot.complaints.validation.is_description_turn`;
this policy turns it into a prediction of the form with the text as the `complaint_description` slot
(applied only when this prediction wins), and the form validates it as usual. Nothing to learn."""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.complaints.validation import is_description_turn
from bot.rasa.fixed_policy import FixedPolicy

FORM = "complaint_form"
SLOT = "complaint_description"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ComplaintDescriptionPolicy(FixedPolicy):
    DEFAULT_PRIORITY = 7

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        message = tracker.latest_message
        requested = tracker.get_slot(REQUESTED_SLOT) if REQUESTED_SLOT in tracker.slots else None
        if (message and tracker.latest_action_name == ACTION_LISTEN_NAME and FORM in domain.action_names_or_texts
                and is_description_turn(tracker.active_loop_name, requested,
                                        (message.intent or {}).get("name"), message.text or "")):
            probabilities[domain.index_for_action(FORM)] = 1.0
            # Marked like Rasa's own loop predictions, which otherwise overrule every other kind;
            # with the higher priority this one then wins over the rule policy's "form rejected".
            return self._prediction(probabilities, optional_events=[SlotSet(SLOT, message.text)],
                                    is_no_user_prediction=True)
        return self._prediction(probabilities)
