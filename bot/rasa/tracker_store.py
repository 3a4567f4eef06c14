"""Rasa's SQL tracker store on the assistant's own database URL (from settings, not endpoints.yml).

Two changes for speed, found by profiling the Rasa server under load (README, "Figures"):
- SQLite connections are pooled and carry the pragmas of `bot.storage.database` (Rasa's own
  engine opened a fresh connection, re-reading the schema, two or three times per message);
- the two queries Rasa runs per message (the events of the current session, and how many of
  them are stored) are plain Core statements on the `data` column, with the same meaning as
  Rasa's ORM queries but without building an ORM object per stored event.
"""
from __future__ import annotations

import itertools
import json
from typing import Any, Iterator, List, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.settings import get_settings
from bot.storage.database import sqlite_engine


def _session_condition(table: sa.Table) -> Any:
    """Rows of the sender bound as `:sender` from its latest SessionStarted event on (all rows when
    there is none)."""
    sender = sa.bindparam("sender")
    session_start = (
        sa.select(sa.func.max(table.c.timestamp))
        .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    return sa.and_(table.c.sender_id == sender,
                   sa.or_(session_start.is_(None), table.c.timestamp >= session_start))


class SettingsSQLTrackerStore(SQLTrackerStore):
    """Keeps conversations in the database named by BOT_DATABASE_URL, so they survive restarts."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        host: Optional[str] = None,  # Rasa passes the endpoint's `url` here; unused
        **kwargs: Any,
    ) -> None:
        url = get_settings().database_url
        is_sqlite = make_url(url).drivername.startswith("sqlite")
        if is_sqlite:
            # Creates the folder and switches the file to WAL, shared with the action server.
            sqlite_engine(url).dispose()
        # A full URL in `host` is used as it is by SQLTrackerStore.get_db_url.
        super().__init__(domain=domain, event_broker=event_broker, host=url)
        if is_sqlite:
            self.engine.dispose()
            self.engine = sqlite_engine(url, future=False)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # Built once; only the sender changes from message to message.
        table = self.SQLEvent.__table__
        self._session_data = sa.select(table.c.data).where(_session_condition(table)).order_by(table.c.id)
        self._all_data = (sa.select(table.c.data).where(table.c.sender_id == sa.bindparam("sender"))
                          .order_by(table.c.id))
        self._session_count = sa.select(sa.func.count()).select_from(table).where(_session_condition(table))

    def session_event_data(self, sender_id: Text, all_sessions: bool = False) -> List[Text]:
        """The stored JSON of the conversation's events, oldest first (latest session only by default)."""
        with self.engine.connect() as connection:
            statement = self._all_data if all_sessions else self._session_data
            return list(connection.execute(statement, {"sender": sender_id}).scalars())

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        events = [json.loads(data) for data in self.session_event_data(sender_id, fetch_events_from_all_sessions)]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events that are not stored yet (same count as Rasa's, in one Core query)."""
        stored = session.execute(self._session_count, {"sender": tracker.sender_id}).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events `save` is about to store. Rasa's default reads the whole stored tracker back
        and diffs it (several ms per message on a long conversation); the count query above says the same."""
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
