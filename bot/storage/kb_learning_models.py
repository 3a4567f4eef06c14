"""What the knowledge base learns from the store's own traffic: customers' wordings an operator accepted (or
rejected) as alternatives of an entry, and a version counter the answering processes watch to pick them up.
Created by revision 0004_kb_learning."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Text, UniqueConstraint

from bot.storage.models import Base, utcnow


class KbLearnedAlternative(Base):
    """An operator's decision on a suggested alternative: `accepted` ones are searched like the entry's own
    phrasings; `rejected` ones are not suggested again. One row per entry and normalized wording."""

    __tablename__ = "kb_learned_alternatives"
    __table_args__ = (UniqueConstraint("entry_id", "normalized", name="uq_kb_learned_entry_normalized"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    suggestion_id = Column(String(16), nullable=False, index=True)  # what `kb suggestions` showed
    entry_id = Column(String(64), nullable=False, index=True)
    language = Column(String(8), nullable=False)
    question = Column(Text, nullable=False)  # the customer's wording
    normalized = Column(String(255), nullable=False)
    status = Column(String(16), nullable=False)  # accepted | rejected
    evidence = Column(Text, nullable=False, default="")  # e.g. "helpful 3, chosen 1"
    decided_by = Column(String(64), nullable=False, default="operator")
    decided_at = Column(DateTime, nullable=False, default=utcnow)


class KbLearningVersion(Base):
    """One row: bumped with every decision, so a process rebuilds its index only when something changed."""

    __tablename__ = "kb_learning_version"

    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
