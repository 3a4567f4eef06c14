"""The handoff queue: customers' requests (and callback requests when nobody is available), the order
agents take them in, and reading them back. Claims, notes, replies and ratings have their own modules.
Everything lives in the database, so a restart of any process loses nothing."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import select

from bot.handoff.priority import (
    DEFAULT_POINTS, PriorityPoints, base_priority, current_priority, estimated_wait_minutes, queue_order_key,
)
from bot.handoff.records import (
    OPEN_STATUSES, HandoffError, HandoffRequest, HandoffView, QueuePlace, handoff_view,
)
from bot.storage.database import Database
from bot.storage.models import Handoff, utcnow
from bot.storage.numbering import next_number

__all__ = ["HandoffError", "HandoffQueue", "HandoffRequest", "HandoffView", "QueuePlace"]


class HandoffQueue:
    def __init__(self, database: Database, minutes_per_customer: float = 4.0,
                 points: PriorityPoints = DEFAULT_POINTS) -> None:
        self._db = database
        self._minutes_per_customer = minutes_per_customer
        self._points = points

    # requests ---------------------------------------------------------------------------------
    def request(self, req: HandoffRequest, available: bool, now: Optional[datetime] = None) -> HandoffView:
        """Queues the conversation (or, with nobody available, records a callback request).
        Asking again while a request is open returns the open one: no duplicates in the queue. A known
        customer has at most one open request, whichever conversation asks, so that nobody can flood the
        agents' queue from several conversations."""
        now = now or utcnow()
        existing = self.open_for(req.conversation_id)
        if existing is None and req.customer_id:
            existing = self.open_for_customer(req.customer_id)
        if existing is not None:
            return existing
        summary = req.context.get("summary", {}).get("zh", "") if isinstance(req.context.get("summary"), dict) else ""
        with self._db.session() as session, session.begin():
            # The number comes from a counter row locked until this transaction ends (no max()+1).
            number = next_number(session.connection(), "HD", now, Handoff.number)
            row = Handoff(
                number=number, conversation_id=req.conversation_id, channel=req.channel,
                customer_id=req.customer_id, language=req.language, tier=req.tier, reason=req.reason,
                summary=summary, base_priority=base_priority(req.tier, req.emotion, req.reason, self._points),
                status="queued" if available else "callback", callback_requested=not available,
                ticket_number=req.ticket_number,
                context_json=json.dumps(req.context, ensure_ascii=False),
                created_at=now,
            )
            session.add(row)
            session.flush()
            handoff_id = row.id
        view = self.get(handoff_id)
        assert view is not None
        return view

    def refresh(self, handoff_id: int, req: HandoffRequest) -> Optional[HandoffView]:
        """What the customer wrote since asking: the context and summary the agent reads, and, while the
        customer waits, the priority (their mood now). A closed handoff is left as it was; None then."""
        summary = req.context.get("summary", {}).get("zh", "") if isinstance(req.context.get("summary"), dict) else ""
        with self._db.session() as session, session.begin():
            row = session.get(Handoff, handoff_id)
            if row is None or row.status not in OPEN_STATUSES + ("callback",):
                return None
            row.context_json = json.dumps(req.context, ensure_ascii=False)
            row.summary = summary
            if row.status == "queued":
                row.base_priority = base_priority(row.tier, req.emotion, row.reason, self._points)
        return self.get(handoff_id)

    def update_context(self, handoff_id: int, change: Callable[[Dict[str, Any]], Dict[str, Any]]) -> None:
        """Changes the context the agent reads (say, an order put on a ticket), in one transaction."""
        with self._db.session() as session, session.begin():
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffError(f"no handoff {handoff_id}")
            row.context_json = json.dumps(change(json.loads(row.context_json)), ensure_ascii=False)

    # reading ----------------------------------------------------------------------------------
    def get(self, handoff_id: int) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.get(Handoff, handoff_id)
            return handoff_view(row) if row else None

    def context(self, handoff_id: int) -> Dict[str, Any]:
        with self._db.session() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffError(f"no handoff {handoff_id}")
            return json.loads(row.context_json)

    def summaries(self, handoff_ids: List[int]) -> Dict[int, Dict[str, str]]:
        """The summary of each handoff in every language it has (the list shows the console's language)."""
        if not handoff_ids:
            return {}
        with self._db.session() as session:
            rows = session.execute(select(Handoff.id, Handoff.context_json).where(Handoff.id.in_(handoff_ids))).all()
        found: Dict[int, Dict[str, str]] = {}
        for handoff_id, context_json in rows:
            summary = (json.loads(context_json or "{}") or {}).get("summary")
            if isinstance(summary, dict):
                found[handoff_id] = {str(k): str(v) for k, v in summary.items()}
        return found

    def open_for(self, conversation_id: str) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.execute(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc())
            ).scalars().first()
            return handoff_view(row) if row else None

    def open_for_customer(self, customer_id: str) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.execute(
                select(Handoff).where(Handoff.customer_id == customer_id,
                                      Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc())
            ).scalars().first()
            return handoff_view(row) if row else None

    def latest_for(self, conversation_id: str) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)
                                  .order_by(Handoff.id.desc())).scalars().first()
            return handoff_view(row) if row else None

    def queued(self, now: Optional[datetime] = None) -> List[HandoffView]:
        """Waiting conversations, the one to take next first: priority, then waiting time."""
        now = now or utcnow()
        with self._db.session() as session:
            rows = [handoff_view(r)
                    for r in session.execute(select(Handoff).where(Handoff.status == "queued")).scalars()]
        return sorted(rows, key=lambda h: queue_order_key(h.base_priority, h.created_at, now, self._points))

    def priority_of(self, handoff: HandoffView, now: datetime) -> int:
        """The handoff's priority now: its points at entry plus the minutes waited."""
        return current_priority(handoff.base_priority, handoff.created_at, now, self._points)

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
            return [handoff_view(r) for r in session.execute(
                select(Handoff).where(Handoff.agent_id == agent_id, Handoff.status == "claimed")
                .order_by(Handoff.claimed_at)).scalars()]

    def callbacks(self) -> List[HandoffView]:
        with self._db.session() as session:
            return [handoff_view(r) for r in session.execute(
                select(Handoff).where(Handoff.status == "callback").order_by(Handoff.created_at)).scalars()]

    # changes by the customer ----------------------------------------------------------------
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
