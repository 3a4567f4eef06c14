"""When the assistant hands a conversation to a person (the documented rule):

1. the customer asks for one, in either language (intent ``request_human``);
2. the assistant failed to understand twice in a row (NLU fallback or no knowledge-base match);
3. a complaint's escalation rule fired (safety, an angry customer, a repeat complaint, a VIP);
4. a VIP customer asks anything of a person: the request is marked ``vip`` and goes ahead in the queue.
"""
from __future__ import annotations

from typing import Optional

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
    if misunderstood_in_a_row >= misunderstandings_allowed:
        return "misunderstood"
    return None
