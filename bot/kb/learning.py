"""Learning from the store's own traffic: customers' wordings that found (or should have found) an entry become
suggested alternatives; an operator accepts or rejects them (`python -m bot kb suggestions / accept / reject`),
and accepted ones are searched on the next question, without retraining.

Evidence, read from the records the assistant already keeps:
- helpful: the customer said an answer helped (kb_feedback, with the question they had asked);
- chosen: after "which of these did you mean", the customer picked an entry (a `chosen` query after `choices`);
- agent: the knowledge base had no answer, then an agent answered in a handoff of the same conversation; the
  entry is the one whose answer is nearest to the agent's reply.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.kb.model import Entry, KnowledgeBase
from bot.kb.records import normalize_question
from bot.storage.database import Database
from bot.storage.kb_learning_models import KbLearnedAlternative, KbLearningVersion
from bot.storage.models import AgentReply, Handoff, KbFeedback, KbQuery, utcnow
from bot.text.language import detect_language

logger = logging.getLogger(__name__)

# How near an agent's reply must be to an entry's answer (character-bigram overlap, 0-1) to count for it.
AGENT_REPLY_SIMILARITY = 0.2
EVIDENCE_KINDS = ("helpful", "chosen", "agent")


@dataclass
class Suggestion:
    id: str
    entry_id: str
    language: str
    question: str
    normalized: str
    evidence: Dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.evidence.values())

    def evidence_text(self) -> str:
        return ", ".join(f"{kind} ×{self.evidence[kind]}" for kind in EVIDENCE_KINDS if self.evidence.get(kind))


def suggestion_id(entry_id: str, normalized: str) -> str:
    """Stable and short: the same wording for the same entry always has the same id."""
    return hashlib.sha1(f"{entry_id}\n{normalized}".encode("utf-8")).hexdigest()[:8]


def _bigrams(text: str) -> set:
    text = re.sub(r"[\s\W_]+", "", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def nearest_answer(knowledge_base: KnowledgeBase, reply: str) -> Optional[str]:
    """The entry whose answer is most like an agent's reply, if any is near enough."""
    grams = _bigrams(reply)
    best, best_score = None, 0.0
    for entry in knowledge_base.entries.values():
        for answer in entry.answer.values():
            other = _bigrams(answer)
            if not grams or not other:
                continue
            score = len(grams & other) / len(grams | other)
            if score > best_score:
                best, best_score = entry.id, score
    return best if best_score >= AGENT_REPLY_SIMILARITY else None


class KbLearning:
    """Suggested alternatives and the operator's decisions on them, in the assistant's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # Reading what happened ------------------------------------------------------------------

    def _evidence(self, knowledge_base: KnowledgeBase) -> Iterable[Tuple[str, str, str]]:
        """(kind, entry_id, customer's question) for each piece of evidence."""
        with self._db.session() as session:
            for entry_id, question in session.execute(
                select(KbFeedback.entry_id, KbFeedback.question).where(KbFeedback.helpful.is_(True))
            ).all():
                if question:
                    yield "helpful", entry_id, question
            queries = session.execute(
                select(KbQuery.conversation_id, KbQuery.id, KbQuery.outcome, KbQuery.question, KbQuery.entry_id,
                       KbQuery.created_at)
                .where(KbQuery.outcome.in_(("choices", "chosen", "unanswered")))
                .order_by(KbQuery.conversation_id, KbQuery.id)
            ).all()
            handoffs = session.execute(
                select(Handoff.conversation_id, Handoff.id, Handoff.created_at).order_by(Handoff.id)
            ).all()
            replies: Dict[int, List[str]] = {}
            for handoff_id, text in session.execute(
                select(AgentReply.handoff_id, AgentReply.text).order_by(AgentReply.id)
            ).all():
                replies.setdefault(handoff_id, []).append(text)
        pending_choice: Dict[str, str] = {}
        misses: Dict[str, List[Tuple[str, object]]] = {}
        for conversation, _id, outcome, question, entry_id, created in queries:
            if outcome == "choices":
                pending_choice[conversation] = question
            elif outcome == "chosen" and entry_id and conversation in pending_choice:
                yield "chosen", entry_id, pending_choice.pop(conversation)
            elif outcome == "unanswered":
                misses.setdefault(conversation, []).append((question, created))
        for conversation, handoff_id, created in handoffs:
            asked = [q for q, when in misses.get(conversation, ()) if when is None or when <= created]
            if not asked or handoff_id not in replies:
                continue
            entry_id = nearest_answer(knowledge_base, " ".join(replies[handoff_id]))
            if entry_id:
                yield "agent", entry_id, asked[-1]

    def suggestions(self, knowledge_base: KnowledgeBase, limit: int = 50) -> List[Suggestion]:
        """Undecided wordings that are not yet phrasings of their entry, most evidence first."""
        decided = self._decided()
        found: Dict[str, Suggestion] = {}
        for kind, entry_id, question in self._evidence(knowledge_base):
            entry = knowledge_base.entries.get(entry_id)
            question = question.strip()
            if entry is None or not question or question.startswith("/"):
                continue
            normalized = normalize_question(question)
            if (entry_id, normalized) in decided or normalized in {normalize_question(p) for p in entry.phrasings()}:
                continue
            key = suggestion_id(entry_id, normalized)
            suggestion = found.get(key)
            if suggestion is None:
                language = detect_language(question) or (entry.languages[0] if entry.languages else "zh")
                suggestion = found[key] = Suggestion(key, entry_id, language, question, normalized)
            suggestion.evidence[kind] = suggestion.evidence.get(kind, 0) + 1
        ranked = sorted(found.values(), key=lambda s: (-s.count, s.entry_id, s.normalized))
        return ranked[:limit]

    # The operator's decisions -----------------------------------------------------------------

    def decide(self, knowledge_base: KnowledgeBase, ids: Sequence[str], status: str,
               decided_by: str = "operator") -> Tuple[List[Suggestion], List[str]]:
        """Accepts or rejects the suggestions with these ids; returns those decided and the ids not found."""
        assert status in ("accepted", "rejected")
        pending = {s.id: s for s in self.suggestions(knowledge_base, limit=100_000)}
        done, unknown = [], []
        with self._db.session() as session, session.begin():
            for raw in ids:
                suggestion = pending.get(raw.strip().lower())
                if suggestion is None:
                    unknown.append(raw)
                    continue
                session.add(KbLearnedAlternative(
                    suggestion_id=suggestion.id, entry_id=suggestion.entry_id, language=suggestion.language,
                    question=suggestion.question[:2000], normalized=suggestion.normalized, status=status,
                    evidence=suggestion.evidence_text(), decided_by=decided_by[:64],
                ))
                done.append(suggestion)
            if done:
                self._bump(session)
        return done, unknown

    @staticmethod
    def _bump(session) -> None:
        """One more version, in the database (two operators accepting at once never lose an increment)."""
        bumped = session.execute(update(KbLearningVersion).where(KbLearningVersion.id == 1).values(
            version=KbLearningVersion.version + 1, updated_at=utcnow()))
        if bumped.rowcount == 0:
            session.add(KbLearningVersion(id=1, version=1))

    def _decided(self) -> set:
        with self._db.session() as session:
            return set(session.execute(select(KbLearnedAlternative.entry_id, KbLearnedAlternative.normalized)).all())

    # What the answering processes read ---------------------------------------------------------

    def version(self) -> int:
        """The decision counter (0 before the first decision, or when the table is not there yet)."""
        try:
            with self._db.session() as session:
                value = session.execute(select(KbLearningVersion.version).where(KbLearningVersion.id == 1)).scalar()
        except SQLAlchemyError as error:
            logger.debug("No learned alternatives (%s)", error.__class__.__name__)
            return 0
        return int(value or 0)

    def accepted(self) -> List[Tuple[str, str, str]]:
        """(entry_id, language, question) of every accepted alternative."""
        try:
            with self._db.session() as session:
                rows = session.execute(
                    select(KbLearnedAlternative.entry_id, KbLearnedAlternative.language, KbLearnedAlternative.question)
                    .where(KbLearnedAlternative.status == "accepted").order_by(KbLearnedAlternative.id)
                ).all()
        except SQLAlchemyError as error:
            logger.warning("Accepted alternatives could not be read: %s", error.__class__.__name__)
            return []
        return [tuple(row) for row in rows]


def with_alternatives(knowledge_base: KnowledgeBase, accepted: Sequence[Tuple[str, str, str]]) -> KnowledgeBase:
    """The knowledge base with accepted alternatives added to their entries (entries since deleted are skipped)."""
    extra: Dict[str, Dict[str, List[str]]] = {}
    for entry_id, language, question in accepted:
        if entry_id in knowledge_base.entries:
            extra.setdefault(entry_id, {}).setdefault(language, []).append(question)
    if not extra:
        return knowledge_base
    entries = dict(knowledge_base.entries)
    for entry_id, by_language in extra.items():
        entry = entries[entry_id]
        alternatives = dict(entry.alternatives)
        for language, questions in by_language.items():
            alternatives[language] = tuple(alternatives.get(language, ())) + tuple(questions)
        entries[entry_id] = Entry(
            id=entry.id, category=entry.category, question=entry.question, alternatives=alternatives,
            answer=entry.answer, tags=entry.tags, related=entry.related, source=entry.source,
        )
    return KnowledgeBase(entries=entries, synonyms=knowledge_base.synonyms, warnings=knowledge_base.warnings)
