"""Starts a session: recognises the customer from the identity the channel verified, keeps earlier slots."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.concurrency import run_blocking
from bot.customers.guest_verification import PENDING_SLOT
from bot.customers.recognition import recognise
from bot.identity.verified import identity_in
from bot.services import get_services
from bot.settings import parse_service_hours

# Who the customer is comes from this session's verified identity alone, never from the last session; a
# guest's pending question (the phone digits) does not outlive the session, the count of wrong tries does.
IDENTITY_SLOTS = ("customer_id", "customer_name", "customer_tier")
NOT_CARRIED_OVER = ("session_started_metadata", PENDING_SLOT, *IDENTITY_SLOTS)


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Carry over the slots of the previous session (domain: carry_over_slots_to_new_session).
        for name, value in tracker.current_slot_values().items():
            if value is not None and name not in NOT_CARRIED_OVER:
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        customer = await run_blocking(recognise, get_services().customers, identity_in(metadata))
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
        # The welcome says when people answer (the assistant answers at any time).
        settings = get_services().settings
        events.append(SlotSet("service_hours", parse_service_hours(settings.service_hours,
                                                                   settings.service_days).describe()))
        events.append(ActionExecuted("action_listen"))
        return events
