"""The satisfaction survey after an agent resolved a conversation: the customer's 1-5 rating, an
optional comment, and the team's average for the console."""
from __future__ import annotations

from typing import Any, Dict

from sqlalchemy import func, select

from bot.handoff.queue import HandoffQueue
from bot.handoff.records import HandoffError
from bot.storage.database import Database
from bot.storage.models import SatisfactionRating


def is_rating(score: int) -> bool:
    return 1 <= score <= 5


class SatisfactionSurvey:
    def __init__(self, database: Database, queue: HandoffQueue) -> None:
        self._db = database
        self._queue = queue

    def record_rating(self, conversation_id: str, score: int) -> int:
        """Stores the rating against the conversation's latest handoff; returns the rating's id."""
        if not is_rating(score):
            raise HandoffError(f"a rating is 1 to 5, not {score}")
        latest = self._queue.latest_for(conversation_id)
        with self._db.session() as session, session.begin():
            rating = SatisfactionRating(conversation_id=conversation_id, score=score,
                                        handoff_id=latest.id if latest else None)
            session.add(rating)
            session.flush()
            return rating.id

    def record_comment(self, conversation_id: str, comment: str) -> bool:
        """Adds the comment to the conversation's latest rating; False if it has none."""
        with self._db.session() as session, session.begin():
            rating = session.execute(select(SatisfactionRating).where(
                SatisfactionRating.conversation_id == conversation_id).order_by(SatisfactionRating.id.desc())
            ).scalars().first()
            if rating is None:
                return False
            rating.comment = comment.strip()[:2000]
            return True

    def summary(self) -> Dict[str, Any]:
        """How many ratings and their average (None before the first)."""
        with self._db.session() as session:
            count, average = session.execute(select(func.count(), func.avg(SatisfactionRating.score))).one()
        return {"ratings": int(count or 0), "average": round(float(average), 2) if average else None}
