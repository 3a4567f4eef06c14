"""The complaint form, the ticket it creates, and ticket status lookups."""
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.complaints.draft import build_draft
from bot.complaints.order_choices import no_order_choice, recent_order_choices
from bot.complaints.rules import CATEGORIES, infer_category
from bot.complaints.tickets import TicketView
from bot.complaints.validation import (
    SKIPPED,
    check_complaint_order,
    is_meaningful_description,
    is_skip,
    normalize_phone,
)
from bot.complaints.wording import fill, joined, pick
from bot.concurrency import run_blocking
from bot.customers.guest_verification import FAILURES_SLOT, PENDING_SLOT, Pending, is_locked
from bot.emotion.trajectory import history_from_events, peak_level
from bot.observability.masking import mask_id, mask_pii
from bot.rasa.domain_responses import response_text, responses_of
from bot.services import get_services

logger = logging.getLogger(__name__)

FORM_SLOTS = ["complaint_category", "complaint_order_number", "complaint_description", "complaint_phone",
              "complaint_callback_time"]
ANGRY_SLOTS = ["complaint_description", "complaint_phone"]
# A signed-in angry customer is also asked which order, with one tap on one of their recent orders.
ANGRY_SLOTS_WITH_ORDERS = ["complaint_description", "complaint_order_number", "complaint_phone"]


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot("language") or get_services().settings.default_language


def name_text(domain: DomainDict, name: str, language: str) -> str:
    return response_text(domain, name, language) or name


async def order_choices(tracker: Tracker) -> list:
    """The signed-in customer's recent orders, as buttons to answer "which order?" with (none for a guest)."""
    services = get_services()
    return await run_blocking(recent_order_choices, services.customers, tracker.get_slot("customer_id"),
                              services.settings.complaint_order_choices)


def peak_emotion(tracker: Tracker) -> str:
    window = get_services().settings.emotion_peak_window
    return peak_level(tracker.get_slot("emotion"), history_from_events(tracker.events), window)


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_complaint_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # An angry customer is not marched through every question: the minimum, then a person (and, when
        # we know their orders, which one: a single tap).
        if peak_emotion(tracker) != "angry":
            return FORM_SLOTS
        return ANGRY_SLOTS_WITH_ORDERS if await order_choices(tracker) else ANGRY_SLOTS

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        if (tracker.get_slot("complaint_description") is None and message.get("intent", {}).get("name") == "complain"
                and is_meaningful_description(text)):
            return {"complaint_description": text}
        return {}

    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("complaint_category"):
            return {}
        message = tracker.latest_message or {}
        source = tracker.get_slot("complaint_description") or (
            message.get("text") if message.get("intent", {}).get("name") == "complain" else None)
        category = infer_category(source or "")
        if category:
            return {"complaint_category": category}
        if peak_emotion(tracker) == "angry" and tracker.get_slot("complaint_description"):
            return {"complaint_category": "other"}
        return {}

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if text in CATEGORIES:
            return {"complaint_category": text}
        for category in CATEGORIES:  # the names shown on the buttons, typed
            for language in ("zh", "en"):
                if text and text.lower() == name_text(domain, f"utter_name_category_{category}", language).lower():
                    return {"complaint_category": category}
        category = infer_category(text)
        if category:
            return {"complaint_category": category}
        if text in ("其他", "其它", "别的", "other", "others", "something else"):
            return {"complaint_category": "other"}
        dispatcher.utter_message(response="utter_complaint_category_invalid")
        return {"complaint_category": None}

    def validate_complaint_order_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        directory = get_services().customers
        check = check_complaint_order(str(value or ""), directory, tracker.get_slot("customer_id"))
        if check.response:
            dispatcher.utter_message(response=check.response, order_number=check.order_number)
        return {"complaint_order_number": check.value}

    def validate_complaint_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if is_meaningful_description(str(value or "")):
            return {"complaint_description": str(value).strip()[:2000]}
        dispatcher.utter_message(response="utter_complaint_description_more")
        return {"complaint_description": None}

    def validate_complaint_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        phone = normalize_phone(str(value or ""))
        if phone:
            return {"complaint_phone": phone}
        dispatcher.utter_message(response="utter_complaint_phone_invalid")
        return {"complaint_phone": None}

    def validate_complaint_callback_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        return {"complaint_callback_time": SKIPPED if not text or is_skip(text) else text[:64]}


class ActionAskComplaintOrderNumber(Action):
    """Which order? A signed-in customer taps one of their recent orders (or "not about an order");
    a guest is asked to type the number."""

    def name(self) -> Text:
        return "action_ask_complaint_order_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        choices = await order_choices(tracker)
        if not choices:
            dispatcher.utter_message(response="utter_ask_complaint_order_number")
            return []
        choices.append(no_order_choice(name_text(domain, "utter_name_no_order", language_of(tracker))))
        dispatcher.utter_message(response="utter_ask_complaint_order_choice",
                                 buttons=[{"title": c.title, "payload": c.payload} for c in choices])
        return []


class ActionAcknowledgeComplaint(Action):
    """Names the feeling before asking for facts."""

    def name(self) -> Text:
        return "action_acknowledge_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        used = list(tracker.get_slot("complaint_used_variations") or [])
        level = tracker.get_slot("emotion") or "calm"
        key, text = pick(responses_of(domain), f"utter_complaint_empathy_{level}", language_of(tracker), used)
        if not text:
            return []
        dispatcher.utter_message(text=text)
        return [SlotSet("complaint_used_variations", (used + [key])[-40:])]


class ActionSubmitComplaint(Action):
    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        services = get_services()
        draft = build_draft(tracker.sender_id, tracker.current_slot_values(), tracker.events, language,
                            services.settings.emotion_peak_window)
        try:
            ticket = await run_blocking(services.tickets.submit, draft)
            logger.info("ticket %s (%s, %s) for conversation %s", ticket.number, ticket.category, ticket.severity,
                        mask_id(tracker.sender_id))
        except Exception:  # the database is down: never claim it was recorded
            logger.exception(
                "complaint not saved for conversation %s", mask_id(tracker.sender_id))
            dispatcher.utter_message(response="utter_complaint_save_failed")
            return []
        used = list(tracker.get_slot("complaint_used_variations") or [])
        responses = responses_of(domain)
        hours = services.settings.sla_hours[ticket.severity]
        values = {
            "ticket_number": ticket.number,
            "category": name_text(domain, f"utter_name_category_{ticket.category}", language),
            "hours": hours,
            "phone": mask_pii(ticket.phone) if ticket.phone else name_text(domain, "utter_name_your_phone", language),
            "callback_time": ticket.callback_time or name_text(domain, "utter_name_any_time", language),
        }
        apology_key, apology = pick(responses, f"utter_complaint_apology_{ticket.category}", language, used)
        used.append(apology_key)
        ack_key, ack = pick(responses, f"utter_complaint_ticket_{draft.emotion_level}", language, used)
        used.append(ack_key)
        dispatcher.utter_message(text=fill(joined(apology, ack, language), values))
        events: List[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("last_ticket_number", ticket.number),
            SlotSet("complaint_used_variations", used[-40:]),
        ]
        if ticket.escalated:  # the documented escalation rule: a person takes over, with the ticket attached
            dispatcher.utter_message(response=f"utter_complaint_escalate_{ticket.escalation_reason}")
            events += [SlotSet("handoff_reason", ticket.escalation_reason), FollowupAction("action_request_human")]
        return events


class ActionCancelComplaint(Action):
    def name(self) -> Text:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_complaint_cancelled")
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


def utter_ticket_status(dispatcher: CollectingDispatcher, domain: DomainDict, ticket: TicketView,
                        language: str) -> None:
    dispatcher.utter_message(
        response="utter_ticket_status",
        ticket_number=ticket.number,
        category=name_text(domain, f"utter_name_category_{ticket.category}", language),
        status=name_text(domain, f"utter_name_status_{ticket.status}", language),
        due=get_services().settings.local_time(ticket.sla_due_at).strftime("%m-%d %H:%M"),
    )


class ActionCheckTicket(Action):
    """A customer's own tickets, or this conversation's; a guest asking about another ticket by number is
    asked for the last four digits of the phone on it (bot/customers/guest_verification.py)."""

    def name(self) -> Text:
        return "action_check_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        number = next(tracker.get_latest_entity_values("ticket_number"), None)
        service = get_services().tickets
        customer_id = tracker.get_slot("customer_id")
        if number:
            ticket = await run_blocking(service.visible_to, number, tracker.sender_id, customer_id)
            if ticket is None and not customer_id:
                if is_locked(tracker.get_slot(FAILURES_SLOT)):
                    dispatcher.utter_message(response="utter_verify_locked")
                    return [SlotSet(PENDING_SLOT, None)]
                dispatcher.utter_message(response="utter_verify_ask_ticket_digits", ticket_number=number.upper())
                return [SlotSet(PENDING_SLOT, Pending("ticket", number.upper()).encode())]
            if ticket is None:  # another customer's ticket: never reveal it exists
                dispatcher.utter_message(response="utter_ticket_not_found", ticket_number=number.upper())
                return [SlotSet(PENDING_SLOT, None)]
            found = [ticket]
        else:
            found = await run_blocking(service.of_customer, tracker.sender_id, customer_id)
            if not found:
                dispatcher.utter_message(response="utter_ticket_none")
                return [SlotSet(PENDING_SLOT, None)]
        for ticket in found[:3]:
            utter_ticket_status(dispatcher, domain, ticket, language)
        return [SlotSet(PENDING_SLOT, None)]
