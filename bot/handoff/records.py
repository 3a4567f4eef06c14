"""What a handoff looks like outside the database (plain dataclasses), its statuses, and the one rule
every use case shares: who owns a conversation. The other handoff modules import from here, never
from each other in a circle."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional, Union

from bot.handoff.priority import DEFAULT_POINTS, PriorityPoints, current_priority
from bot.storage.models import Handoff

OPEN_STATUSES = ("queued", "claimed")
CLOSED_STATUSES = ("resolved", "returned", "cancelled")


class HandoffError(ValueError):
    """A handoff operation cannot be carried out; the message says why."""


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    channel: str
    customer_id: Optional[str]
    language: str
    tier: str
    emotion: str
    reason: str
    context: Dict[str, Any]
    ticket_number: Optional[str] = None


@dataclass(frozen=True)
class HandoffView:
    id: int
    number: str
    conversation_id: str
    channel: str
    customer_id: Optional[str]
    language: str
    tier: str
    reason: str
    summary: str
    status: str
    agent_id: Optional[int]
    ticket_number: Optional[str]
    base_priority: int
    created_at: datetime
    claimed_at: Optional[datetime]
    closed_at: Optional[datetime]
    callback_message: Optional[str]
    rasa_pending: Optional[str]

    def priority(self, now: datetime, points: PriorityPoints = DEFAULT_POINTS) -> int:
        return current_priority(self.base_priority, self.created_at, now, points)


@dataclass(frozen=True)
class QueuePlace:
    handoff: HandoffView
    ahead: int
    wait_minutes: int


def is_owned_by(handoff: Union[Handoff, HandoffView], agent_id: int) -> bool:
    """Only the agent who claimed a conversation, while it is claimed, may reply, close or hand it back."""
    return handoff.status == "claimed" and handoff.agent_id == agent_id


def owned_by_clause(agent_id: int) -> Any:
    """`is_owned_by` as a WHERE clause, for the conditional UPDATEs that must not race."""
    return (Handoff.status == "claimed") & (Handoff.agent_id == agent_id)


def handoff_view(row: Handoff) -> HandoffView:
    return HandoffView(
        id=row.id, number=row.number, conversation_id=row.conversation_id, channel=row.channel,
        customer_id=row.customer_id, language=row.language, tier=row.tier, reason=row.reason, summary=row.summary,
        status=row.status, agent_id=row.agent_id, ticket_number=row.ticket_number, base_priority=row.base_priority,
        created_at=row.created_at, claimed_at=row.claimed_at, closed_at=row.closed_at,
        callback_message=row.callback_message, rasa_pending=row.rasa_pending,
    )
