"""Starts a session: recognises the customer behind the sender id and keeps earlier slots."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.concurrency import run_blocking
from bot.services import get_services


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Carry over the slots of the previous session (domain: carry_over_slots_to_new_session).
        for name, value in tracker.current_slot_values().items():
            if value is not None and name != "session_started_metadata":
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        identity = str(metadata.get("customer_id") or tracker.sender_id)
        customer = await run_blocking(get_services().customers.find_by_identity, identity)
        if customer:
            events += [
                SlotSet("customer_id", customer.id),
                SlotSet("customer_name", customer.name),
                SlotSet("customer_tier", customer.tier),
            ]
            if tracker.get_slot("language") is None:
                events.append(SlotSet("language", customer.language))
        if metadata.get("language") in ("zh", "en"):
            events.append(SlotSet("language", metadata["language"]))
        events.append(ActionExecuted("action_listen"))
        return events
