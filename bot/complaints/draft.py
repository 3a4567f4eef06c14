"""Gathers a complaint ticket's draft from what the conversation collected: the form's slots and the
customer's mood over their latest messages. Plain values in, so a test needs no Rasa."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from bot.complaints.rules import infer_category
from bot.complaints.tickets import ComplaintDraft
from bot.complaints.validation import SKIPPED
from bot.emotion.trajectory import history_from_events, peak_level, peak_score


def build_draft(
    conversation_id: str,
    slots: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]],
    language: str,
    emotion_window: int,
) -> ComplaintDraft:
    """The draft to submit. `slots` are the conversation's slot values, `events` its Rasa events (for the
    mood), `emotion_window` how many recent messages count for the mood (BOT_EMOTION_PEAK_WINDOW)."""

    def optional(slot: str) -> Optional[str]:  # an answer the customer skipped is no answer
        value = slots.get(slot)
        return None if value in (None, SKIPPED) else str(value)

    history = history_from_events(events)
    description = slots.get("complaint_description") or ""
    return ComplaintDraft(
        conversation_id=conversation_id,
        customer_id=slots.get("customer_id"),
        category=slots.get("complaint_category") or infer_category(description) or "other",
        description=description,
        emotion_level=peak_level(slots.get("emotion"), history, emotion_window),
        emotion_score=peak_score(history, emotion_window),
        language=language,
        order_number=optional("complaint_order_number"),
        phone=optional("complaint_phone"),
        callback_time=optional("complaint_callback_time"),
        is_vip=slots.get("customer_tier") == "vip",
    )
