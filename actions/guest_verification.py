"""Checks the last four phone digits a guest gives for the order or ticket the bot asked about
(bot/customers/guest_verification.py); GuestVerificationPolicy sends the digits here. Wrong digits count in
the conversation and for the number itself (bot/customers/guest_lockout.py): a number guests have guessed
at too often today is not checked at all, whatever the digits, and the guest is offered a person."""
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.complaints import language_of, utter_ticket_status
from bot.concurrency import run_blocking
from bot.customers.guest_verification import (
    FAILURES_SLOT, PENDING_SLOT, VERIFY_ACTION, Pending, digits_in, is_locked,
)
from bot.customers.order_status import answer_guest_order_query
from bot.services import get_services


class ActionVerifyPhoneDigits(Action):
    def name(self) -> Text:
        return VERIFY_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        pending = Pending.decode(tracker.get_slot(PENDING_SLOT))
        digits = digits_in((tracker.latest_message or {}).get("text") or "")
        if pending is None or digits is None:  # the policy sends only answers to a pending question
            return [SlotSet(PENDING_SLOT, None)]
        services = get_services()
        if await run_blocking(services.guest_lockout.is_locked, pending.kind, pending.number):
            dispatcher.utter_message(response="utter_verify_locked")
            return [SlotSet(PENDING_SLOT, None)]
        if pending.kind == "order":
            answer = await run_blocking(answer_guest_order_query, services.customers, pending.number, digits)
            if answer is not None:
                dispatcher.utter_message(response=answer.response, **answer.values)
                return [SlotSet(PENDING_SLOT, None)]
        else:
            ticket = await run_blocking(services.tickets.visible_to_guest, pending.number, digits)
            if ticket is not None:
                utter_ticket_status(dispatcher, domain, ticket, language_of(tracker))
                return [SlotSet(PENDING_SLOT, None)]
        failures = int(float(tracker.get_slot(FAILURES_SLOT) or 0)) + 1
        number_locked = await run_blocking(services.guest_lockout.record_failure, pending.kind, pending.number)
        if is_locked(failures) or number_locked:
            dispatcher.utter_message(response="utter_verify_locked")
            return [SlotSet(FAILURES_SLOT, float(failures)), SlotSet(PENDING_SLOT, None)]
        dispatcher.utter_message(response="utter_verify_failed")
        return [SlotSet(FAILURES_SLOT, float(failures))]
