"""A Rasa policy that routes a message NLU's reading alone would send the wrong way.

Garbled text goes to the fallback, a message that only voices a feeling gets an acknowledgement,
affirm/deny count only after the bot asked a yes/no question, and a calm question about a policy that
NLU took for a complaint is answered from the knowledge base. The decision is
`bot.routing.decision.route`; this adapter reads the tracker, predicts the action, then listens.
Nothing to learn."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.customers.guest_verification import PENDING_SLOT, takes_digits
from bot.rasa.fixed_policy import FixedPolicy
from bot.rasa.verification_policy import action_before_listening
from bot.routing.decision import Turn, route
from bot.routing.yes_no import asked_yes_no


def last_bot_message(tracker: DialogueStateTracker) -> Tuple[Optional[str], List[str]]:
    """The response name and button payloads of the bot's last message before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                continue
            seen_user = True
        elif seen_user and isinstance(event, BotUttered):
            buttons: Iterable[Dict[str, Any]] = (event.data or {}).get("buttons") or []
            return (event.metadata or {}).get("utter_action"), [str(b.get("payload") or "") for b in buttons]
    return None, []


def _slot(tracker: DialogueStateTracker, name: str) -> Any:
    return tracker.get_slot(name) if name in tracker.slots else None


def turn_of(tracker: DialogueStateTracker) -> Turn:
    """The latest user message as the routing sees it."""
    message = tracker.latest_message
    text = (message.text if message else "") or ""
    emotion = next((e.get("value") for e in (message.entities if message else []) if e.get("entity") == "emotion"),
                   None)
    response, payloads = last_bot_message(tracker)
    busy = bool(tracker.active_loop_name or _slot(tracker, "handoff_state")
                or takes_digits(_slot(tracker, PENDING_SLOT), action_before_listening(tracker),
                                tracker.active_loop_name, text))
    return Turn(text=text, intent=(message.intent or {}).get("name") if message else None, emotion=emotion,
                bot_asked_yes_no=asked_yes_no(response, payloads), busy=busy)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class MessageRoutingPolicy(FixedPolicy):
    DEFAULT_PRIORITY = 6

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if not tracker.latest_message or tracker.latest_message.text is None:
            return self._prediction(probabilities)
        decision = route(turn_of(tracker))
        if decision is None or decision not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        if tracker.latest_action_name == ACTION_LISTEN_NAME:
            probabilities[domain.index_for_action(decision)] = 1.0
        elif tracker.latest_action_name == decision:  # routed this message already: now listen
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
