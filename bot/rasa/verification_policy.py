"""A Rasa policy that takes a guest's answer to "the last four digits of your phone, please".

After the bot asked a guest for the digits of the phone on an order or a ticket (slot
`verification_pending`), a short message with four digits ("5678", "尾号5678") would otherwise be read by
NLU as anything at all; this policy sends it to the action that checks the digits, and lets the bot
listen after it. The decision is `bot.customers.guest_verification.takes_digits`. Nothing to learn."""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.customers.guest_verification import PENDING_SLOT, VERIFY_ACTION, takes_digits
from bot.rasa.fixed_policy import FixedPolicy


def action_before_listening(tracker: DialogueStateTracker) -> Optional[str]:
    """The bot's last action before it listened for the latest message."""
    listened = False
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            if not listened:
                listened = event.action_name == ACTION_LISTEN_NAME
                if not listened:
                    return None
            else:
                return event.action_name
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class GuestVerificationPolicy(FixedPolicy):
    DEFAULT_PRIORITY = 6

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if VERIFY_ACTION not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        if tracker.latest_action_name == VERIFY_ACTION:  # said whether the digits matched: now listen
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        message = tracker.latest_message
        pending = tracker.get_slot(PENDING_SLOT) if PENDING_SLOT in tracker.slots else None
        if (message and tracker.latest_action_name == ACTION_LISTEN_NAME
                and takes_digits(pending, action_before_listening(tracker), tracker.active_loop_name,
                                 message.text or "")):
            probabilities[domain.index_for_action(VERIFY_ACTION)] = 1.0
        return self._prediction(probabilities)
