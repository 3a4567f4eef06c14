"""Stores the events read from Rasa's event broker in our table `conversation_events`, once each (the
event's key is unique: a redelivered or re-read event is skipped), with the feed's position, if it has one,
in the same transaction."""
from __future__ import annotations

import json
from typing import Iterable, Optional, Tuple

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.rasa.event_feed import FeedEvent
from bot.storage.database import Database
from bot.storage.feed_models import ConversationEvent, FeedCursor
from bot.storage.models import utcnow

# One writer at a time on PostgreSQL (ids then grow in the order rows become visible: a reader asking for
# "after id N" never misses a row committed late); SQLite serialises writers anyway.
_WRITER_LOCK = 0x43_46_45_45_44  # "CFEED"


class FeedStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def position(self, cursor: str) -> int:
        """How far the feed named `cursor` has been stored (0: from its beginning)."""
        with self._db.engine.connect() as connection:
            value = connection.execute(select(FeedCursor.position).where(FeedCursor.name == cursor)).scalar()
        return int(value or 0)

    def store(self, events: Iterable[FeedEvent], cursor: Optional[Tuple[str, int]] = None) -> None:
        """Stores the events not stored yet and moves `cursor` (name, position) forward, in one transaction."""
        rows = [_row(event) for event in events]
        with self._db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITER_LOCK})
            if rows:
                connection.execute(_insert_ignoring_duplicates(connection), rows)
            if cursor is not None:
                _move(connection, *cursor)


def _row(event: FeedEvent) -> dict:
    return {"event_key": event.key, "conversation_id": event.conversation_id, "type_name": event.type_name,
            "timestamp": event.timestamp, "data": json.dumps(event.data, ensure_ascii=False),
            "received_at": utcnow()}


def _insert_ignoring_duplicates(connection: Connection):  # type: ignore[no-untyped-def]
    table = ConversationEvent.__table__
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(connection.dialect.name)
    if dialect is None:
        raise RuntimeError(f"the conversation feed needs PostgreSQL or SQLite, not {connection.dialect.name}")
    return dialect.insert(table).on_conflict_do_nothing(index_elements=["event_key"])


def _move(connection: Connection, name: str, position: int) -> None:
    table = FeedCursor.__table__
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(name=name, position=position, updated_at=utcnow())
    connection.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"position": position, "updated_at": utcnow()}))
