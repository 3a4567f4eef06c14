"""Creates and looks up complaint tickets. A ticket number exists only once its row is committed,
and submitting the same complaint twice (a double tap, a retry) returns the first ticket."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.complaints.rules import CATEGORIES, assess, sla_deadline
from bot.customers.guest_verification import phone_matches
from bot.storage.database import Database
from bot.storage.models import Customer, Ticket, TicketEvent, utcnow
from bot.storage.numbering import next_number

STATUSES = ("open", "in_progress", "resolved", "closed")
TICKET_NUMBER = re.compile(r"^TK\d{10}$")


class TicketError(ValueError):
    """A request about a ticket cannot be carried out; the message says why."""


@dataclass(frozen=True)
class ComplaintDraft:
    conversation_id: str
    customer_id: Optional[str]
    category: str
    description: str
    emotion_level: str
    emotion_score: float
    language: str
    order_number: Optional[str] = None
    phone: Optional[str] = None
    callback_time: Optional[str] = None
    is_vip: bool = False


@dataclass(frozen=True)
class TicketView:
    number: str
    conversation_id: str
    customer_id: Optional[str]
    category: str
    severity: str
    status: str
    order_number: Optional[str]
    description: str
    phone: Optional[str]
    callback_time: Optional[str]
    emotion_level: str
    sla_due_at: datetime
    escalated: bool
    escalation_reason: Optional[str]
    created_at: datetime
    created_now: bool = False


@dataclass(frozen=True)
class HistoryItem:
    status: str
    note: Optional[str]
    actor: str
    at: datetime


def idempotency_key(draft: ComplaintDraft) -> str:
    basis = "|".join([draft.conversation_id, draft.category, draft.order_number or "",
                      re.sub(r"\s+", "", draft.description.lower())])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


class TicketService:
    def __init__(self, database: Database, sla_hours: dict) -> None:
        self._db = database
        self._sla_hours = sla_hours

    def submit(self, draft: ComplaintDraft, now: Optional[datetime] = None) -> TicketView:
        if draft.category not in CATEGORIES:
            raise TicketError(f"unknown category {draft.category!r}")
        key = idempotency_key(draft)
        existing = self._by_key(key)
        if existing:
            return existing
        now = now or utcnow()
        repeat = bool(draft.order_number) and self._has_ticket_for_order(draft.order_number)
        assessment = assess(draft.description, draft.emotion_level, draft.is_vip, repeat)
        try:
            with self._db.session() as session, session.begin():
                # The number comes from a counter row locked until this transaction ends (no max()+1).
                number = next_number(session.connection(), "TK", now, Ticket.number)
                ticket = Ticket(
                    number=number, idempotency_key=key, conversation_id=draft.conversation_id,
                    customer_id=draft.customer_id, category=draft.category, severity=assessment.severity,
                    emotion_level=draft.emotion_level, emotion_score=draft.emotion_score,
                    order_number=draft.order_number, description=draft.description, phone=draft.phone,
                    callback_time=draft.callback_time, language=draft.language, status="open",
                    sla_due_at=sla_deadline(assessment.severity, now, self._sla_hours),
                    escalated=assessment.escalate, escalation_reason=assessment.reason,
                    created_at=now, updated_at=now,
                )
                session.add(ticket)
                session.flush()
                session.add(TicketEvent(ticket_id=ticket.id, status="open", note="created", actor="assistant",
                                        created_at=now))
        except IntegrityError as error:  # the same complaint submitted twice at once: the first one stands
            existing = self._by_key(key)
            if existing:
                return existing
            raise TicketError("could not store the ticket") from error
        view = self._by_key(key)
        assert view is not None
        return TicketView(**{**view.__dict__, "created_now": True})

    def _has_ticket_for_order(self, order_number: str) -> bool:
        with self._db.session() as session:
            return session.execute(
                select(func.count()).select_from(Ticket).where(Ticket.order_number == order_number)
            ).scalar() > 0

    def _by_key(self, key: str) -> Optional[TicketView]:
        with self._db.session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.idempotency_key == key)).scalars().first()
            return _view(ticket) if ticket else None

    def get(self, number: str) -> Optional[TicketView]:
        with self._db.session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.number == number.upper())).scalars().first()
            return _view(ticket) if ticket else None

    def visible_to(self, number: str, conversation_id: str, customer_id: Optional[str]) -> Optional[TicketView]:
        """The ticket if it belongs to this customer (or, for an unknown customer, this conversation)."""
        ticket = self.get(number)
        if ticket is None:
            return None
        if customer_id and ticket.customer_id == customer_id:
            return ticket
        if ticket.conversation_id == conversation_id:
            return ticket
        return None

    def visible_to_guest(self, number: str, digits: str) -> Optional[TicketView]:
        """The ticket for a guest who gave the last four digits of the phone on it (the one left with the
        complaint, else the customer's); None, revealing nothing, when they do not match."""
        ticket = self.get(number) if TICKET_NUMBER.match((number or "").upper()) else None
        if ticket is None:
            return None
        phone = ticket.phone
        if not phone and ticket.customer_id:
            with self._db.session() as session:
                customer = session.get(Customer, ticket.customer_id)
                phone = customer.phone if customer else None
        return ticket if phone_matches(phone, digits) else None

    def of_customer(self, conversation_id: str, customer_id: Optional[str]) -> List[TicketView]:
        query = select(Ticket).order_by(Ticket.created_at.desc())
        if customer_id:
            query = query.where((Ticket.customer_id == customer_id) | (Ticket.conversation_id == conversation_id))
        else:
            query = query.where(Ticket.conversation_id == conversation_id)
        with self._db.session() as session:
            return [_view(t) for t in session.execute(query.limit(10)).scalars()]

    def list(self, status: Optional[str] = None, category: Optional[str] = None) -> List[TicketView]:
        query = select(Ticket).order_by(Ticket.sla_due_at)
        if status:
            query = query.where(Ticket.status == status)
        if category:
            query = query.where(Ticket.category == category)
        with self._db.session() as session:
            return [_view(t) for t in session.execute(query).scalars()]

    def set_status(self, number: str, status: str, note: Optional[str], actor: str) -> TicketView:
        if status not in STATUSES:
            raise TicketError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        with self._db.session() as session, session.begin():
            ticket = session.execute(select(Ticket).where(Ticket.number == number.upper())).scalars().first()
            if ticket is None:
                raise TicketError(f"no ticket {number}")
            ticket.status = status
            ticket.updated_at = utcnow()
            session.add(TicketEvent(ticket_id=ticket.id, status=status, note=note, actor=actor))
        view = self.get(number)
        assert view is not None
        return view

    def attach_order(self, number: str, order_number: str, actor: str) -> TicketView:
        """Puts an order on a ticket that has none (the angry short path asks for none); the ticket's history
        says who did. Whether the order is the customer's is the caller's rule (bot.handoff.ticket_orders)."""
        with self._db.session() as session, session.begin():
            ticket = session.execute(select(Ticket).where(Ticket.number == number.upper())).scalars().first()
            if ticket is None:
                raise TicketError(f"no ticket {number}")
            if ticket.order_number and ticket.order_number != order_number:
                raise TicketError(f"ticket {ticket.number} already has order {ticket.order_number}")
            ticket.order_number = order_number
            ticket.updated_at = utcnow()
            session.add(TicketEvent(ticket_id=ticket.id, status=ticket.status, note=f"order {order_number} attached",
                                    actor=actor))
        view = self.get(number)
        assert view is not None
        return view

    def history(self, number: str) -> List[HistoryItem]:
        with self._db.session() as session:
            rows = session.execute(
                select(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.number == number.upper()).order_by(TicketEvent.id)
            ).scalars().all()
            return [HistoryItem(r.status, r.note, r.actor, r.created_at) for r in rows]


def _view(ticket: Ticket) -> TicketView:
    return TicketView(
        number=ticket.number, conversation_id=ticket.conversation_id, customer_id=ticket.customer_id,
        category=ticket.category, severity=ticket.severity, status=ticket.status,
        order_number=ticket.order_number, description=ticket.description, phone=ticket.phone,
        callback_time=ticket.callback_time, emotion_level=ticket.emotion_level, sla_due_at=ticket.sla_due_at,
        escalated=ticket.escalated, escalation_reason=ticket.escalation_reason, created_at=ticket.created_at,
    )
