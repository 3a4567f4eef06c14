"""Promises with a deadline, and who keeps them: a callback request is due some hours after the customer left
it, a complaint ticket by its SLA deadline. The agents' queue marks what is overdue, the service metrics list
it, and an admin assigns it to an agent (a callback stays waiting for that agent's call; a ticket records who
follows it up in its history).

The rules are small predicates so the console, the metrics and their tests share one definition."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Agent, Handoff, Ticket, TicketEvent, utcnow
from bot.timekeeping import ServiceHours

OPEN_TICKET_STATUSES = ("open", "in_progress")
CALLBACK = "callback"


class FollowUpError(ValueError):
    """An assignment that cannot be made; the message says why."""


# the rules ------------------------------------------------------------------------------------
def callback_due_at(left_at: datetime, hours: ServiceHours, zone: str, due_hours: float) -> datetime:
    """When a callback request left at `left_at` (naive UTC) is due: `due_hours` after it was left, counted from
    the team's next opening when it was left out of hours. Naive UTC, like the stored times."""
    start = left_at
    if not hours.is_open(left_at, zone):
        start = hours.next_opening(left_at, zone).astimezone(timezone.utc).replace(tzinfo=None)
    return start + timedelta(hours=due_hours)


def is_open_ticket(status: str) -> bool:
    return status in OPEN_TICKET_STATUSES


def is_overdue(due_at: Optional[datetime], still_open: bool, now: datetime) -> bool:
    """A promise not kept by its deadline and still open."""
    return still_open and due_at is not None and due_at < now


@dataclass(frozen=True)
class OverdueTicket:
    number: str
    category: str
    severity: str
    status: str
    conversation_id: str
    language: str
    created_at: datetime
    sla_due_at: datetime
    assigned_agent_id: Optional[int]
    assigned_agent: Optional[str]


@dataclass(frozen=True)
class OverdueCallback:
    id: int
    number: str
    conversation_id: str
    language: str
    reason: str
    created_at: datetime
    due_at: datetime
    assigned_agent_id: Optional[int]
    assigned_agent: Optional[str]
    has_message: bool


class FollowUps:
    def __init__(self, database: Database, hours: ServiceHours, zone: str, callback_due_hours: float) -> None:
        self._db = database
        self._hours = hours
        self._zone = zone
        self._due_hours = callback_due_hours

    def callback_due(self, left_at: datetime) -> datetime:
        return callback_due_at(left_at, self._hours, self._zone, self._due_hours)

    # reading ----------------------------------------------------------------------------------
    def overdue_tickets(self, now: Optional[datetime] = None) -> List[OverdueTicket]:
        """Open tickets past their SLA deadline, the most overdue first."""
        now = now or utcnow()
        with self._db.session() as session:
            rows = session.execute(
                select(Ticket.number, Ticket.category, Ticket.severity, Ticket.status, Ticket.conversation_id,
                       Ticket.language, Ticket.created_at, Ticket.sla_due_at, Ticket.assigned_agent_id,
                       Agent.display_name)
                .outerjoin(Agent, Agent.id == Ticket.assigned_agent_id)
                .where(Ticket.status.in_(OPEN_TICKET_STATUSES), Ticket.sla_due_at < now)
                .order_by(Ticket.sla_due_at, Ticket.id)).all()
        return [OverdueTicket(*row) for row in rows]

    def overdue_callbacks(self, now: Optional[datetime] = None) -> List[OverdueCallback]:
        """Callback requests nobody has called back by their due time, the most overdue first."""
        now = now or utcnow()
        with self._db.session() as session:
            rows = session.execute(
                select(Handoff.id, Handoff.number, Handoff.conversation_id, Handoff.language, Handoff.reason,
                       Handoff.created_at, Handoff.agent_id, Agent.display_name, Handoff.callback_message.is_not(None))
                .outerjoin(Agent, Agent.id == Handoff.agent_id)
                .where(Handoff.status == CALLBACK).order_by(Handoff.created_at, Handoff.id)).all()
        found = []
        for handoff_id, number, conversation, language, reason, created_at, agent_id, name, message in rows:
            due = self.callback_due(created_at)
            if is_overdue(due, True, now):
                found.append(OverdueCallback(handoff_id, number, conversation, language, reason, created_at, due,
                                             agent_id, name, bool(message)))
        return found

    def ticket_deadlines(self, numbers: Iterable[str]) -> Dict[str, Optional[datetime]]:
        """The SLA deadline of each of these tickets that is still open (absent: closed or unknown)."""
        wanted = sorted({n for n in numbers if n})
        if not wanted:
            return {}
        with self._db.session() as session:
            rows = session.execute(select(Ticket.number, Ticket.sla_due_at).where(
                Ticket.number.in_(wanted), Ticket.status.in_(OPEN_TICKET_STATUSES))).all()
        return {number: due for number, due in rows}

    # assigning (admins; the console checks the role) -------------------------------------------
    def assign_ticket(self, number: str, agent_id: int, by: str, now: Optional[datetime] = None) -> OverdueTicket:
        """Records who follows the open ticket up, in the ticket and in its history."""
        now = now or utcnow()
        with self._db.session() as session, session.begin():
            agent = self._active_agent(session, agent_id)
            ticket = session.execute(select(Ticket).where(Ticket.number == number.upper())).scalars().first()
            if ticket is None:
                raise LookupError(f"no ticket {number}")
            if not is_open_ticket(ticket.status):
                raise FollowUpError(f"ticket {ticket.number} is {ticket.status}: nothing to follow up")
            ticket.assigned_agent_id, ticket.updated_at = agent.id, now
            session.add(TicketEvent(ticket_id=ticket.id, status=ticket.status, actor=by, created_at=now,
                                    note=f"assigned to {agent.display_name} ({agent.username})"))
            view = OverdueTicket(ticket.number, ticket.category, ticket.severity, ticket.status,
                                 ticket.conversation_id, ticket.language, ticket.created_at, ticket.sla_due_at,
                                 agent.id, agent.display_name)
        return view

    def assign_callback(self, number: str, agent_id: int) -> OverdueCallback:
        """The callback request (by its handoff number) waits for this agent; any agent may still take it: it
        stays a callback request until someone does."""
        with self._db.session() as session, session.begin():
            agent = self._active_agent(session, agent_id)
            handoff = session.execute(select(Handoff).where(Handoff.number == number.upper())).scalars().first()
            if handoff is None:
                raise LookupError(f"no handoff {number}")
            if handoff.status != CALLBACK:
                raise FollowUpError(f"handoff {handoff.number} is {handoff.status}, not a waiting callback request")
            handoff.agent_id = agent.id
            view = OverdueCallback(handoff.id, handoff.number, handoff.conversation_id, handoff.language,
                                   handoff.reason, handoff.created_at, self.callback_due(handoff.created_at),
                                   agent.id, agent.display_name, bool(handoff.callback_message))
        return view

    @staticmethod
    def _active_agent(session, agent_id: int) -> Agent:  # type: ignore[no-untyped-def]
        agent = session.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise FollowUpError("assign to an active agent")
        return agent
