"""The handoff queue: requests, the order agents take them in, claims (one winner, always), notes,
the agents' replies (stored before they are delivered), hand-back, resolution and callbacks.
Everything lives in the database, so a restart of any process loses nothing."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.handoff.priority import base_priority, current_priority, estimated_wait_minutes, queue_order_key
from bot.storage.database import Database
from bot.storage.models import AgentReply, Handoff, HandoffNote, SatisfactionRating, utcnow

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

    def priority(self, now: datetime) -> int:
        return current_priority(self.base_priority, self.created_at, now)


@dataclass(frozen=True)
class QueuePlace:
    handoff: HandoffView
    ahead: int
    wait_minutes: int


@dataclass(frozen=True)
class ReplyView:
    id: int
    handoff_id: int
    conversation_id: str
    agent_id: int
    text: str
    created_at: datetime
    delivered_at: Optional[datetime]
    attempts: int


class HandoffQueue:
    def __init__(self, database: Database, minutes_per_customer: float = 4.0) -> None:
        self._db = database
        self._minutes_per_customer = minutes_per_customer

    # requests ---------------------------------------------------------------------------------
    def request(self, req: HandoffRequest, available: bool, now: Optional[datetime] = None) -> HandoffView:
        """Queues the conversation (or, with nobody available, records a callback request).
        Asking again while a request is open returns the open one: no duplicates in the queue."""
        now = now or utcnow()
        existing = self.open_for(req.conversation_id)
        if existing is not None:
            return existing
        summary = req.context.get("summary", {}).get("zh", "") if isinstance(req.context.get("summary"), dict) else ""
        for _attempt in range(5):
            number = self._next_number(now)
            try:
                with self._db.session() as session, session.begin():
                    row = Handoff(
                        number=number, conversation_id=req.conversation_id, channel=req.channel,
                        customer_id=req.customer_id, language=req.language, tier=req.tier, reason=req.reason,
                        summary=summary, base_priority=base_priority(req.tier, req.emotion, req.reason),
                        status="queued" if available else "callback", ticket_number=req.ticket_number,
                        context_json=json.dumps(req.context, ensure_ascii=False),
                        created_at=now,
                    )
                    session.add(row)
                    session.flush()
                    handoff_id = row.id
                view = self.get(handoff_id)
                assert view is not None
                return view
            except IntegrityError:
                continue
        raise HandoffError("could not allocate a handoff number")

    def _next_number(self, now: datetime) -> str:
        prefix = f"HD{now:%y%m%d}"
        with self._db.session() as session:
            last = session.execute(select(func.max(Handoff.number)).where(Handoff.number.like(f"{prefix}%"))).scalar()
        return f"{prefix}{(int(last[-4:]) + 1 if last else 1):04d}"

    # reading ----------------------------------------------------------------------------------
    def get(self, handoff_id: int) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.get(Handoff, handoff_id)
            return _view(row) if row else None

    def context(self, handoff_id: int) -> Dict[str, Any]:
        with self._db.session() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffError(f"no handoff {handoff_id}")
            return json.loads(row.context_json)

    def open_for(self, conversation_id: str) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.execute(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc())
            ).scalars().first()
            return _view(row) if row else None

    def latest_for(self, conversation_id: str) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)
                                  .order_by(Handoff.id.desc())).scalars().first()
            return _view(row) if row else None

    def queued(self, now: Optional[datetime] = None) -> List[HandoffView]:
        """Waiting conversations, the one to take next first: priority, then waiting time."""
        now = now or utcnow()
        with self._db.session() as session:
            rows = [_view(r) for r in session.execute(select(Handoff).where(Handoff.status == "queued")).scalars()]
        return sorted(rows, key=lambda h: queue_order_key(h.base_priority, h.created_at, now))

    def place_of(self, handoff_id: int, agents_online: int, now: Optional[datetime] = None) -> Optional[QueuePlace]:
        now = now or utcnow()
        queue = self.queued(now)
        for index, handoff in enumerate(queue):
            if handoff.id == handoff_id:
                return QueuePlace(handoff, index, estimated_wait_minutes(index, agents_online,
                                                                          self._minutes_per_customer))
        return None

    def of_agent(self, agent_id: int) -> List[HandoffView]:
        with self._db.session() as session:
            return [_view(r) for r in session.execute(
                select(Handoff).where(Handoff.agent_id == agent_id, Handoff.status == "claimed")
                .order_by(Handoff.claimed_at)).scalars()]

    def callbacks(self) -> List[HandoffView]:
        with self._db.session() as session:
            return [_view(r) for r in session.execute(
                select(Handoff).where(Handoff.status == "callback").order_by(Handoff.created_at)).scalars()]

    # changes by agents ------------------------------------------------------------------------
    def claim(self, handoff_id: int, agent_id: int, now: Optional[datetime] = None) -> bool:
        """True for the one agent whose claim took it; a single conditional UPDATE decides,
        so two agents clicking at once can never both own the conversation."""
        with self._db.session() as session, session.begin():
            result = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.status.in_(("queued", "callback")))
                .values(status="claimed", agent_id=agent_id, claimed_at=now or utcnow(), rasa_pending="claimed")
            )
            return result.rowcount == 1

    def close(self, handoff_id: int, agent_id: int, outcome: str, now: Optional[datetime] = None) -> HandoffView:
        """Resolve, or return to the bot; only the agent who owns the conversation may."""
        if outcome not in ("resolved", "returned"):
            raise HandoffError(f"outcome must be resolved or returned, not {outcome!r}")
        with self._db.session() as session, session.begin():
            result = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "claimed",
                                      Handoff.agent_id == agent_id)
                .values(status=outcome, closed_at=now or utcnow(), rasa_pending=outcome)
            )
            if result.rowcount != 1:
                raise HandoffError("this conversation is not yours to close")
        view = self.get(handoff_id)
        assert view is not None
        return view

    def cancel_by_customer(self, conversation_id: str, now: Optional[datetime] = None) -> Optional[HandoffView]:
        """The customer went back to the bot before an agent took the conversation (or, with nobody
        available, before leaving a message)."""
        with self._db.session() as session, session.begin():
            row = session.execute(select(Handoff).where(
                Handoff.conversation_id == conversation_id,
                (Handoff.status == "queued") | ((Handoff.status == "callback") & Handoff.callback_message.is_(None)))
                .order_by(Handoff.id.desc())).scalars().first()
            if row is None:
                return None
            row.status, row.closed_at = "cancelled", now or utcnow()
            handoff_id = row.id
        return self.get(handoff_id)

    def attach_callback_message(self, conversation_id: str, text: str) -> Optional[HandoffView]:
        """Adds the customer's message to their latest callback request."""
        with self._db.session() as session, session.begin():
            row = session.execute(select(Handoff).where(
                Handoff.conversation_id == conversation_id, Handoff.status == "callback")
                .order_by(Handoff.id.desc())).scalars().first()
            if row is None:
                return None
            row.callback_message = "\n".join(filter(None, [row.callback_message, text.strip()]))[:4000]
            handoff_id = row.id
        return self.get(handoff_id)

    def add_note(self, handoff_id: int, agent_id: int, text: str) -> None:
        if not text.strip():
            raise HandoffError("a note needs some text")
        with self._db.session() as session, session.begin():
            session.add(HandoffNote(handoff_id=handoff_id, agent_id=agent_id, text=text.strip()[:4000]))

    def notes(self, handoff_id: int) -> List[Dict[str, Any]]:
        with self._db.session() as session:
            rows = session.execute(select(HandoffNote).where(HandoffNote.handoff_id == handoff_id)
                                   .order_by(HandoffNote.id)).scalars().all()
            return [{"id": n.id, "agent_id": n.agent_id, "text": n.text, "at": n.created_at} for n in rows]

    # what Rasa must still be told ---------------------------------------------------------------
    def rasa_pending(self) -> List[HandoffView]:
        with self._db.session() as session:
            return [_view(r) for r in session.execute(
                select(Handoff).where(Handoff.rasa_pending.is_not(None)).order_by(Handoff.id)).scalars()]

    def rasa_told(self, handoff_id: int, pending: str) -> None:
        """Rasa now knows; only clears the step it was told about (a later step stays pending)."""
        with self._db.session() as session, session.begin():
            session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.rasa_pending == pending)
                            .values(rasa_pending=None))

    # the agents' replies: an outbox ----------------------------------------------------------
    def add_reply(self, handoff_id: int, agent_id: int, text: str) -> ReplyView:
        if not text.strip():
            raise HandoffError("a reply needs some text")
        with self._db.session() as session, session.begin():
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status != "claimed" or handoff.agent_id != agent_id:
                raise HandoffError("only the agent who owns the conversation can reply")
            reply = AgentReply(handoff_id=handoff_id, agent_id=agent_id, text=text.strip()[:4000])
            session.add(reply)
            session.flush()
            reply_id = reply.id
        return self.get_reply(reply_id)

    def get_reply(self, reply_id: int) -> ReplyView:
        with self._db.session() as session:
            row = session.execute(select(AgentReply, Handoff.conversation_id)
                                  .join(Handoff, Handoff.id == AgentReply.handoff_id)
                                  .where(AgentReply.id == reply_id)).first()
            reply, conversation = row
            return ReplyView(reply.id, reply.handoff_id, conversation, reply.agent_id, reply.text,
                             reply.created_at, reply.delivered_at, reply.attempts)

    def undelivered(self, limit: int = 50) -> List[ReplyView]:
        with self._db.session() as session:
            ids = session.execute(select(AgentReply.id).where(AgentReply.delivered_at.is_(None))
                                  .order_by(AgentReply.id).limit(limit)).scalars().all()
        return [self.get_reply(i) for i in ids]

    def replies(self, handoff_id: int) -> List[ReplyView]:
        with self._db.session() as session:
            ids = session.execute(select(AgentReply.id).where(AgentReply.handoff_id == handoff_id)
                                  .order_by(AgentReply.id)).scalars().all()
        return [self.get_reply(i) for i in ids]

    def mark_delivered(self, reply_id: int, now: Optional[datetime] = None) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(delivered_at=now or utcnow(), attempts=AgentReply.attempts + 1, last_error=None))

    def mark_failed(self, reply_id: int, error: str) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(attempts=AgentReply.attempts + 1, last_error=error[:500]))

    # satisfaction -----------------------------------------------------------------------------
    def record_rating(self, conversation_id: str, score: int) -> int:
        if not 1 <= score <= 5:
            raise HandoffError(f"a rating is 1 to 5, not {score}")
        latest = self.latest_for(conversation_id)
        with self._db.session() as session, session.begin():
            rating = SatisfactionRating(conversation_id=conversation_id, score=score,
                                        handoff_id=latest.id if latest else None)
            session.add(rating)
            session.flush()
            return rating.id

    def record_comment(self, conversation_id: str, comment: str) -> bool:
        with self._db.session() as session, session.begin():
            rating = session.execute(select(SatisfactionRating).where(
                SatisfactionRating.conversation_id == conversation_id).order_by(SatisfactionRating.id.desc())
            ).scalars().first()
            if rating is None:
                return False
            rating.comment = comment.strip()[:2000]
            return True

    def satisfaction(self) -> Dict[str, Any]:
        with self._db.session() as session:
            count, average = session.execute(select(func.count(), func.avg(SatisfactionRating.score))).one()
        return {"ratings": int(count or 0), "average": round(float(average), 2) if average else None}


def _view(row: Handoff) -> HandoffView:
    return HandoffView(
        id=row.id, number=row.number, conversation_id=row.conversation_id, channel=row.channel,
        customer_id=row.customer_id, language=row.language, tier=row.tier, reason=row.reason, summary=row.summary,
        status=row.status, agent_id=row.agent_id, ticket_number=row.ticket_number, base_priority=row.base_priority,
        created_at=row.created_at, claimed_at=row.claimed_at, closed_at=row.closed_at,
        callback_message=row.callback_message, rasa_pending=row.rasa_pending,
    )
