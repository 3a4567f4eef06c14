"""What customers asked and whether the answers helped: stored, then summarised for the operator."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from sqlalchemy import case, func, select

from bot.storage.database import Database
from bot.storage.models import KbFeedback, KbQuery


def normalize_question(question: str) -> str:
    """Groups questions that differ only in case, spaces and punctuation."""
    return re.sub(r"[\s\W_]+", "", question.lower())[:255] or question[:255]


@dataclass(frozen=True)
class Gap:
    question: str
    count: int
    kind: str  # unanswered | unhelpful
    entry_id: Optional[str] = None


@dataclass(frozen=True)
class KbStats:
    queries: int
    by_outcome: Dict[str, int]
    feedback: int
    helpful: int
    top_entries: List[tuple]

    @property
    def answered_rate(self) -> float:
        answered = self.by_outcome.get("answered", 0) + self.by_outcome.get("chosen", 0)
        return answered / self.queries if self.queries else 0.0

    @property
    def helpful_rate(self) -> float:
        return self.helpful / self.feedback if self.feedback else 0.0


class KbRecords:
    def __init__(self, database: Database) -> None:
        self._db = database

    def record_query(
        self, conversation_id: str, question: str, language: str, outcome: str,
        entry_id: Optional[str], score: Optional[float],
    ) -> None:
        with self._db.session() as session, session.begin():
            session.add(
                KbQuery(
                    conversation_id=conversation_id, question=question, normalized=normalize_question(question),
                    language=language, outcome=outcome, entry_id=entry_id, score=score,
                )
            )

    def record_feedback(self, conversation_id: str, entry_id: str, question: Optional[str], helpful: bool) -> None:
        with self._db.session() as session, session.begin():
            session.add(KbFeedback(conversation_id=conversation_id, entry_id=entry_id, question=question, helpful=helpful))

    def of_conversation(self, conversation_id: str, limit: int = 20) -> List[Dict[str, object]]:
        """The conversation's questions in order, with the customer's feedback on each answered entry."""
        with self._db.session() as session:
            queries = session.execute(select(KbQuery).where(KbQuery.conversation_id == conversation_id)
                                      .order_by(KbQuery.id.desc()).limit(limit)).scalars().all()
            feedback = session.execute(select(KbFeedback.entry_id, KbFeedback.helpful)
                                       .where(KbFeedback.conversation_id == conversation_id)
                                       .order_by(KbFeedback.id)).all()
        verdicts = {entry_id: helpful for entry_id, helpful in feedback}
        return [{"question": q.question, "outcome": q.outcome, "entry_id": q.entry_id,
                 "helpful": verdicts.get(q.entry_id) if q.entry_id else None} for q in reversed(queries)]

    def gaps(self, limit: int = 20) -> List[Gap]:
        """Unanswered questions and questions whose answer did not help, most frequent first."""
        with self._db.session() as session:
            unanswered = session.execute(
                select(func.min(KbQuery.question), func.count().label("n"))
                .where(KbQuery.outcome == "unanswered")
                .group_by(KbQuery.normalized)
                .order_by(func.count().desc())
                .limit(limit)
            ).all()
            unhelpful = session.execute(
                select(func.min(KbFeedback.question), KbFeedback.entry_id, func.count().label("n"))
                .where(KbFeedback.helpful.is_(False))
                .group_by(KbFeedback.entry_id, KbFeedback.question)
                .order_by(func.count().desc())
                .limit(limit)
            ).all()
        gaps = [Gap(q, n, "unanswered") for q, n in unanswered]
        gaps += [Gap(q or "", n, "unhelpful", entry) for q, entry, n in unhelpful]
        return sorted(gaps, key=lambda g: -g.count)[:limit]

    def stats(self) -> KbStats:
        with self._db.session() as session:
            by_outcome = dict(session.execute(select(KbQuery.outcome, func.count()).group_by(KbQuery.outcome)).all())
            feedback, helpful = session.execute(
                select(func.count(), func.coalesce(func.sum(case((KbFeedback.helpful.is_(True), 1), else_=0)), 0))
            .select_from(KbFeedback)).one()
            top = session.execute(
                select(KbQuery.entry_id, func.count())
                .where(KbQuery.entry_id.is_not(None), KbQuery.outcome.in_(("answered", "chosen")))
                .group_by(KbQuery.entry_id)
                .order_by(func.count().desc())
                .limit(10)
            ).all()
        return KbStats(
            queries=sum(by_outcome.values()), by_outcome=by_outcome, feedback=int(feedback),
            helpful=int(helpful), top_entries=[tuple(row) for row in top],
        )
