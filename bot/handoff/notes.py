"""Internal notes agents leave on a handoff for each other; the customer never sees them."""
from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import select

from bot.handoff.records import HandoffError
from bot.storage.database import Database
from bot.storage.models import HandoffNote


class HandoffNotes:
    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, handoff_id: int, agent_id: int, text: str) -> None:
        if not text.strip():
            raise HandoffError("a note needs some text")
        with self._db.session() as session, session.begin():
            session.add(HandoffNote(handoff_id=handoff_id, agent_id=agent_id, text=text.strip()[:4000]))

    def of(self, handoff_id: int) -> List[Dict[str, Any]]:
        """The handoff's notes, oldest first."""
        with self._db.session() as session:
            rows = session.execute(select(HandoffNote).where(HandoffNote.handoff_id == handoff_id)
                                   .order_by(HandoffNote.id)).scalars().all()
            return [{"id": n.id, "agent_id": n.agent_id, "text": n.text, "at": n.created_at} for n in rows]
