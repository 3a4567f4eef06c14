"""Our copy of what the agent console follows of each conversation, read from Rasa's event broker
(bot.rasa.feed_consumer), and how far each feed has been read. Created by revision 0003_conversation_feed."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Integer, String, Text

from bot.storage.models import Base, utcnow

# BIGINT on PostgreSQL, INTEGER on SQLite (where only an INTEGER PRIMARY KEY is the rowid).
FeedId = BigInteger().with_variant(Integer(), "sqlite")


class ConversationEvent(Base):
    """A customer's or the bot's message (an agent's reply is one of the bot's), in the order it arrived;
    `event_key` (bot.rasa.event_feed.event_key) makes storing an event twice harmless."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_conversation_events_conversation", "conversation_id", "id"),)

    id = Column(FeedId, primary_key=True, autoincrement=True)
    event_key = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(160), nullable=False)
    type_name = Column(String(32), nullable=False)
    timestamp = Column(Float, nullable=False)  # Rasa's, seconds since the epoch
    data = Column(Text, nullable=False)  # the event's JSON as the tracker store keeps it, reduced
    received_at = Column(DateTime, nullable=False, default=utcnow)


class FeedCursor(Base):
    """The last position read from a feed that has positions (Rasa's SQL broker: its rows' ids), stored in the
    same transaction as the events up to it: a restart neither loses nor repeats one."""

    __tablename__ = "conversation_feed_cursors"

    name = Column(String(128), primary_key=True)
    position = Column(FeedId, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
