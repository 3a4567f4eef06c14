"""When the assistant hands a conversation to a person (the documented rule):

1. the customer asks for one, in either language (intent ``request_human``);
2. the assistant failed to understand twice in a row (NLU fallback or no knowledge-base match);
3. a complaint's escalation rule fired (safety, an angry customer, a repeat complaint, a VIP);
4. a VIP customer asks anything of a person: the request is marked ``vip`` and goes ahead in the queue.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

ESCALATION_REASONS = ("safety", "angry", "repeat", "vip")
REASONS = ("explicit", "misunderstood") + ESCALATION_REASONS


def handoff_reason(
    intent: Optional[str],
    tier: Optional[str],
    emotion: Optional[str],
    misunderstood_in_a_row: int,
    escalation_reason: Optional[str],
    misunderstandings_allowed: int = 2,
) -> Optional[str]:
    """Why this turn hands the customer to a person, or None when it does not."""
    if escalation_reason in REASONS:  # decided earlier in the turn (a complaint rule, a second miss)
        return escalation_reason
    if intent == "request_human":
        if tier == "vip":
            return "vip"
        if emotion == "angry":
            return "angry"
        return "explicit"
    if too_many_misunderstandings(misunderstood_in_a_row, misunderstandings_allowed):
        return "misunderstood"
    return None


def too_many_misunderstandings(in_a_row: int, allowed: int) -> bool:
    """Rule 2: after `allowed` misunderstandings in a row (BOT_MISUNDERSTANDINGS_BEFORE_HANDOFF) the
    assistant stops going round in circles and brings in a person."""
    return in_a_row >= allowed


# Responses that mean "I did not understand" / "I have no answer".
MISS_RESPONSES = frozenset({"utter_default", "utter_kb_no_answer"})


def misses_before_this_message(events: Iterable[Mapping[str, Any]]) -> int:
    """How many of the customer's previous messages in a row the assistant failed to understand,
    read from the conversation itself (the responses it gave), not from the intents it guessed."""
    turns: list = []
    for event in events:
        if event.get("event") == "user":
            turns.append(set())
        elif event.get("event") == "bot" and turns:
            turns[-1].add((event.get("metadata") or {}).get("utter_action"))
    count = 0
    for responses in reversed(turns[:-1]):  # the last turn is the message being answered now
        if responses & MISS_RESPONSES:
            count += 1
        else:
            break
    return count
