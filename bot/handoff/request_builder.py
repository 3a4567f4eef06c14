"""Gathers a handoff request from the conversation and the records: who, why, and everything so far."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from bot.complaints.tickets import TicketService
from bot.customers.directory import CustomerDirectory
from bot.emotion.trajectory import history_from_events, peak_level
from bot.handoff.context import CustomerFacts, KbAnswer, TicketFacts, build_context
from bot.handoff.queue import HandoffRequest
from bot.identity.conversation_ids import channel_of
from bot.kb.records import KbRecords
from bot.settings import Settings
from bot.storage.database import Database

# Rasa's input channel names, for conversation ids from before ids were namespaced by channel.
_CHANNEL_OF_INPUT = {"socketio": "web", "wechat": "wechat", "rest": "rest"}

# The question of a knowledge-base entry per language ({"zh": …, "en": …}), None for an unknown entry.
EntryTitles = Callable[[str], Optional[Mapping[str, str]]]


def channel_kind(conversation_id: str, input_channel: Optional[str]) -> str:
    """Where the customer writes from: web, wechat or rest (from the namespaced conversation id; else from
    Rasa's input channel); "unknown" when neither says."""
    return channel_of(conversation_id) or _CHANNEL_OF_INPUT.get(input_channel or "", "unknown")


def build_request(
    settings: Settings,
    database: Database,
    conversation_id: str,
    channel: Optional[str],
    slots: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    reason: str,
    entry_titles: Optional[EntryTitles] = None,
) -> HandoffRequest:
    customer_id = slots.get("customer_id")
    profile = CustomerDirectory(database).get_customer(customer_id) if customer_id else None
    language = slots.get("language") or (profile.language if profile else settings.default_language)
    tier = slots.get("customer_tier") or (profile.tier if profile else "regular")
    tickets = [t for t in TicketService(database, settings.sla_hours).of_customer(conversation_id, customer_id)
               if t.status in ("open", "in_progress")]
    ticket_facts = [TicketFacts(t.number, t.category, t.severity, t.status, t.order_number, t.description,
                                t.escalation_reason) for t in tickets]
    kb = [KbAnswer(str(a["question"]), str(a["outcome"]), a["entry_id"], a["helpful"],  # type: ignore[arg-type]
                   entry_titles(str(a["entry_id"])) if entry_titles and a["entry_id"] else None)
          for a in KbRecords(database).of_conversation(conversation_id)]
    # The phone the customer gave: on their profile, in the complaint form, or on the ticket the form made
    # (the form's slots are cleared once the ticket is saved).
    phone = ((profile.phone if profile else None) or slots.get("complaint_phone")
             or next((t.phone for t in tickets if t.phone), None))
    facts = CustomerFacts(
        customer_id=customer_id, name=slots.get("customer_name") or (profile.name if profile else None), tier=tier,
        phone=phone, channel=channel_kind(conversation_id, channel), language=language,
    )
    history = history_from_events(events)
    context = build_context(reason, facts, events, slots, history, ticket_facts, kb)
    emotion = peak_level(None, history, settings.emotion_priority_window)  # weighs in the queue priority
    latest_ticket = slots.get("last_ticket_number") or (tickets[0].number if tickets else None)
    return HandoffRequest(
        conversation_id=conversation_id, channel=channel or "unknown", customer_id=customer_id, language=language,
        tier=tier, emotion=emotion, reason=reason, context=context.as_dict(), ticket_number=latest_ticket,
    )
