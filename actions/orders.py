"""Answers an order number or a phone number the customer gives."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.concurrency import run_blocking
from bot.customers.guest_verification import FAILURES_SLOT, PENDING_SLOT, is_locked
from bot.customers.order_status import answer_order_query
from bot.observability.masking import mask_pii
from bot.services import get_services


class ActionCheckOrder(Action):
    def name(self) -> Text:
        return "action_check_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        order_number = next(tracker.get_latest_entity_values("order_number"), None)
        phone = next(tracker.get_latest_entity_values("phone_number"), None)
        customer_id = tracker.get_slot("customer_id")
        if order_number:
            answer = await run_blocking(answer_order_query, get_services().customers, order_number, customer_id)
            if answer.pending and is_locked(tracker.get_slot(FAILURES_SLOT)):
                dispatcher.utter_message(response="utter_verify_locked")
                return [SlotSet(PENDING_SLOT, None)]
            dispatcher.utter_message(response=answer.response, **answer.values)
            return [SlotSet(PENDING_SLOT, answer.pending.encode() if answer.pending else None)]
        if phone:
            dispatcher.utter_message(response="utter_phone_noted", masked_phone=mask_pii(phone))
        else:
            dispatcher.utter_message(response="utter_ask_order_number")
        return [SlotSet(PENDING_SLOT, None)]
