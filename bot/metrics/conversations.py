"""Rasa's events folded into conversations (table `metrics_conversations`), so that the figures read one row
per conversation instead of every event.

A conversation is one session of one sender id: a new one starts when Rasa starts a new session (after
60 minutes of silence, domain.yml `session_config`); a session in which the customer never wrote is kept
but counted nowhere. Its day, weekday and hour are those of the customer's first message in the business's
time zone; its channel is read off the sender id ("web:…", "wechat:…", "rest:…"); its language is the one
detected in the customer's first message that shows one (else the default language).

The table is brought up to date before every computation (`ConversationFolder.refresh`): events after the
last one read are folded in; a sender's latest conversation is folded again from its first event, so a
conversation that goes on is updated, not counted twice; then the per-day sums of the days that changed are
made again (`bot.metrics.cube`). Changing the time zone or the folding rules
rebuilds the table. Rasa's events are read with plain SQL on its table (`events`: id, sender_id, type_name,
timestamp, action_name, data): no Rasa code is imported here."""
from __future__ import annotations

import json
import logging
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Protocol, Sequence, Set, Tuple

import sqlalchemy as sa
from dateutil import tz
from sqlalchemy.engine import Connection

from bot.emotion.trajectory import level_of
from bot.handoff.triggers import MISS_RESPONSES
from bot.metrics.scope import channel_of
from bot.storage.database import Database
from bot.storage.models import Handoff, MetricsConversation, MetricsState, Ticket

logger = logging.getLogger(__name__)

# Rasa's SQL tracker store, read by name (bot.rasa.tracker_store writes it).
EVENTS = sa.table("events", sa.column("id", sa.Integer), sa.column("sender_id", sa.String),
                  sa.column("type_name", sa.String), sa.column("timestamp", sa.Float),
                  sa.column("action_name", sa.String), sa.column("data", sa.Text))
# The bot's reply time (from a customer's message to the bot's first answer to it) is counted in these
# buckets (upper bounds in seconds); percentiles are read as the bucket's upper bound.
REPLY_BUCKETS_S = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, float("inf"))
REPLY_COLUMNS = tuple(f"reply_b{i}" for i in range(len(REPLY_BUCKETS_S)))
_MOOD_ORDER = {"calm": 0, "upset": 1, "angry": 2}
# Folding rules' version: a change to them rebuilds the table.
FOLD_VERSION = "1"
# Events committed out of id order (PostgreSQL sequences) are caught by also folding again the senders of
# the last few events before the watermark.
LOOKBACK_EVENTS = 200
_BATCH = 5000
_locks: Dict[str, threading.Lock] = defaultdict(threading.Lock)


@dataclass
class Conversation:
    """What one session's events say (the row of `metrics_conversations`)."""

    sender_id: str
    first_event_id: int
    first_ts: float
    last_event_id: int = 0
    last_ts: float = 0.0
    started_ts: Optional[float] = None
    language: Optional[str] = None
    customer_messages: int = 0
    bot_messages: int = 0
    agent_messages: int = 0
    misses: int = 0
    last_turn_missed: bool = False
    waiting_at_end: bool = False
    peak_mood: str = "calm"
    last_mood: str = "calm"
    first_angry_ts: Optional[float] = None
    handoff_id: Optional[int] = None
    handoff_ts: Optional[float] = None
    tickets: int = 0
    next_started_ts: Optional[float] = None
    replies: List[int] = field(default_factory=lambda: [0] * len(REPLY_BUCKETS_S))
    _awaiting_reply_since: Optional[float] = None
    _paused: bool = False  # an agent has the conversation: the bot does not answer

    @property
    def has_messages(self) -> bool:
        return self.customer_messages + self.bot_messages + self.agent_messages > 0

    def row(self, zone: Any, default_language: str) -> Dict[str, Any]:
        started = datetime.fromtimestamp(self.started_ts, tz=zone) if self.started_ts is not None else None
        row = {
            "sender_id": self.sender_id, "first_event_id": self.first_event_id, "last_event_id": self.last_event_id,
            "channel": channel_of(self.sender_id), "language": self.language or default_language,
            "first_ts": self.first_ts, "started_ts": self.started_ts, "last_ts": self.last_ts,
            "local_day": started.date().isoformat() if started else None,
            "weekday": started.weekday() if started else None, "hour": started.hour if started else None,
            "customer_messages": self.customer_messages, "bot_messages": self.bot_messages,
            "agent_messages": self.agent_messages, "misses": self.misses, "last_turn_missed": self.last_turn_missed,
            "waiting_at_end": self.waiting_at_end, "peak_mood": self.peak_mood, "last_mood": self.last_mood,
            "first_angry_ts": self.first_angry_ts, "handoff_id": self.handoff_id, "handoff_ts": self.handoff_ts,
            "tickets": self.tickets, "next_started_ts": self.next_started_ts,
        }
        row.update(zip(REPLY_COLUMNS, self.replies))
        return row


def reply_bucket(seconds: float) -> int:
    return bisect_left(REPLY_BUCKETS_S, max(0.0, seconds))


def _payload(data: Optional[str]) -> Dict[str, Any]:
    try:
        parsed = json.loads(data or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _starts_a_session(type_name: str, action_name: Optional[str]) -> bool:
    return type_name == "session_started" or (type_name == "action" and action_name == "action_session_start")


def fold(events: Iterable[Sequence[Any]]) -> Dict[str, List[Conversation]]:
    """Conversations per sender from events (id, sender_id, type_name, timestamp, action_name, data) in id
    order. A session start begins a new conversation unless the current one has no message yet."""
    found: Dict[str, List[Conversation]] = defaultdict(list)
    for event_id, sender, type_name, timestamp, action_name, data in events:
        ts = float(timestamp or 0.0)
        sessions = found[sender]
        current = sessions[-1] if sessions else None
        if current is None or (_starts_a_session(type_name, action_name) and current.has_messages):
            current = Conversation(sender, int(event_id), ts)
            sessions.append(current)
        current.last_event_id, current.last_ts = int(event_id), max(ts, current.last_ts)
        if type_name == "user":
            _customer_message(current, ts, _payload(data))
        elif type_name == "bot":
            _bot_message(current, ts, _payload(data))
        elif type_name == "slot" and action_name == "handoff_state":
            current.waiting_at_end = _payload(data).get("value") == "queued"
        elif type_name in ("pause", "resume"):
            current._paused, current._awaiting_reply_since = type_name == "pause", None
    return found


def _customer_message(conversation: Conversation, ts: float, event: Dict[str, Any]) -> None:
    conversation.customer_messages += 1
    if conversation.started_ts is None:
        conversation.started_ts = ts
    conversation.last_turn_missed = False
    conversation._awaiting_reply_since = None if conversation._paused else ts
    entities = {e.get("entity"): e.get("value") for e in (event.get("parse_data") or {}).get("entities") or []
                if isinstance(e, dict)}
    if conversation.language is None and isinstance(entities.get("language"), str):
        conversation.language = entities["language"][:8]
    if "emotion" in entities:
        mood = level_of(entities["emotion"])
        conversation.last_mood = mood
        if _MOOD_ORDER[mood] > _MOOD_ORDER[conversation.peak_mood]:
            conversation.peak_mood = mood
        if mood == "angry" and conversation.first_angry_ts is None:
            conversation.first_angry_ts = ts


def _bot_message(conversation: Conversation, ts: float, event: Dict[str, Any]) -> None:
    metadata = event.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("agent"):
        conversation.agent_messages += 1
        return
    conversation.bot_messages += 1
    if conversation._awaiting_reply_since is not None:
        conversation.replies[reply_bucket(ts - conversation._awaiting_reply_since)] += 1
        conversation._awaiting_reply_since = None
    if conversation.customer_messages and isinstance(metadata, dict) and metadata.get("utter_action") in MISS_RESPONSES:
        if not conversation.last_turn_missed:
            conversation.misses += 1
        conversation.last_turn_missed = True


def attribute(sessions: List[Conversation], handoffs: Sequence[Tuple[float, int]], tickets: Sequence[float]) -> None:
    """Gives each conversation of one sender the first handoff asked for and the tickets filed between its
    start and the next conversation's start, and the start of the sender's next conversation."""
    for index, conversation in enumerate(sessions):
        end = sessions[index + 1].first_ts if index + 1 < len(sessions) else float("inf")
        inside = [(ts, hid) for ts, hid in handoffs if conversation.first_ts <= ts < end]
        if inside:
            conversation.handoff_ts, conversation.handoff_id = min(inside)
        conversation.tickets = sum(1 for ts in tickets if conversation.first_ts <= ts < end)
        later = [s.started_ts for s in sessions[index + 1:] if s.started_ts is not None]
        conversation.next_started_ts = later[0] if later else None


def _epoch(value: datetime) -> float:
    return value.replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class RefreshResult:
    events_read: int
    senders: int
    rebuilt: bool


class DaySums(Protocol):
    """Sums kept per day of the conversations (`bot.metrics.cube.ConversationCube`), summed again for the days
    whose conversations changed; `version` names how they are summed (a change sums every day again)."""

    version: str

    def rebuild_days(self, connection: Connection, days: Optional[Iterable[str]]) -> None: ...


class ConversationFolder:
    """Keeps `metrics_conversations` (and the per-day sums made of it) up to date with Rasa's `events` table."""

    def __init__(self, database: Database, zone: str, default_language: str, sums: Optional[DaySums] = None) -> None:
        self._db = database
        self._zone_name = zone
        self._zone = tz.gettz(zone)
        self._default_language = default_language
        self._sums = sums
        self._table = MetricsConversation.__table__

    def refresh(self) -> RefreshResult:
        """Folds in what Rasa stored since the last refresh (everything, the first time). The whole history is
        read first and written in short transactions, so Rasa's writes to a SQLite file never wait long."""
        with _locks[str(self._db.engine.url)]:
            with self._db.engine.connect() as connection:
                if not sa.inspect(connection).has_table("events"):
                    return RefreshResult(0, 0, False)
                state = self._state(connection)
                newest = connection.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0
            rebuilt = state.get("zone") != self._zone_name or state.get("fold_version") != FOLD_VERSION
            watermark = 0 if rebuilt else int(state.get("events_watermark", "0"))
            sums_stale = self._sums is not None and state.get("sums_version") != self._sums.version
            read = senders = 0
            days: Optional[Set[str]] = set()
            if newest > watermark or rebuilt:
                if watermark == 0:
                    read, senders = self._fold_all(newest)
                    days = None  # every day
                else:
                    with self._db.engine.begin() as connection:
                        read, senders, days = self._fold_senders(connection, watermark, newest)
            elif not sums_stale:
                return RefreshResult(0, 0, False)
            with self._db.engine.begin() as connection:
                if self._sums is not None:
                    self._sums.rebuild_days(connection, None if sums_stale else days)
                self._save_state(connection, {"events_watermark": str(newest), "zone": self._zone_name,
                                              "fold_version": FOLD_VERSION,
                                              "sums_version": self._sums.version if self._sums else ""})
        if read:
            logger.info("service metrics: folded %d events of %d senders into conversations", read, senders)
        return RefreshResult(read, senders, rebuilt)

    def rebuild(self) -> RefreshResult:
        with self._db.engine.begin() as connection:
            if sa.inspect(connection).has_table(MetricsState.__tablename__):
                connection.execute(sa.delete(MetricsState.__table__))
        return self.refresh()

    # folding ------------------------------------------------------------------------------------
    def _fold_all(self, newest: int) -> Tuple[int, int]:
        """Every event up to `newest`, folded in memory, then written batch by batch (a crash half-way is
        repaired by the next refresh, which starts again from nothing)."""
        counter = _Counter()
        with self._db.engine.connect() as connection:
            rows = connection.execution_options(stream_results=True).execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                          EVENTS.c.action_name, EVENTS.c.data).where(EVENTS.c.id <= newest).order_by(EVENTS.c.id))
            found = fold(counter.count(rows))
            handoffs, tickets = self._promises(connection, None)
        with self._db.engine.begin() as connection:
            connection.execute(sa.delete(self._table))
        batch: List[Dict[str, Any]] = []
        for sender, sessions in found.items():
            attribute(sessions, handoffs.get(sender, ()), tickets.get(sender, ()))
            batch += [s.row(self._zone, self._default_language) for s in sessions]
            if len(batch) >= _BATCH:
                self._insert(batch)
                batch = []
        if batch:
            self._insert(batch)
        return counter.n, len(found)

    def _insert(self, rows: List[Dict[str, Any]]) -> None:
        with self._db.engine.begin() as connection:
            connection.execute(sa.insert(self._table), rows)

    def _fold_senders(self, connection: Connection, watermark: int, newest: int) -> Tuple[int, int, Set[str]]:
        """Folds again the latest conversation of every sender with new events, and what follows it; returns
        the events read, the senders and the days whose conversations changed."""
        senders = connection.execute(
            sa.select(EVENTS.c.sender_id).where(EVENTS.c.id > max(0, watermark - LOOKBACK_EVENTS),
                                                EVENTS.c.id <= newest).distinct()).scalars().all()
        table, counter, days = self._table, _Counter(), set()
        for sender in senders:
            latest = connection.execute(sa.select(sa.func.max(table.c.first_event_id))
                                        .where(table.c.sender_id == sender)).scalar()
            since = int(latest or 0)
            earlier = connection.execute(
                sa.select(table.c.first_event_id, table.c.started_ts, table.c.local_day)
                .where(table.c.sender_id == sender, table.c.first_event_id < since)
                .order_by(table.c.first_event_id)).all()
            days.update(connection.execute(sa.select(table.c.local_day).where(
                table.c.sender_id == sender, table.c.first_event_id >= since)).scalars())
            rows = connection.execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                          EVENTS.c.action_name, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender, EVENTS.c.id >= since, EVENTS.c.id <= newest)
                .order_by(EVENTS.c.id))
            sessions = fold(counter.count(rows)).get(sender, [])
            handoffs, tickets = self._promises(connection, sender)
            attribute(sessions, handoffs.get(sender, ()), tickets.get(sender, ()))
            connection.execute(sa.delete(table).where(table.c.sender_id == sender, table.c.first_event_id >= since))
            if sessions:
                rows = [s.row(self._zone, self._default_language) for s in sessions]
                connection.execute(sa.insert(table), rows)
                days.update(row["local_day"] for row in rows)
            days.update(self._link_earlier(connection, sender, earlier, sessions))
        return counter.n, len(senders), {d for d in days if d}

    def _link_earlier(self, connection: Connection, sender: str, earlier: Sequence[Any],
                      sessions: List[Conversation]) -> List[str]:
        """The sender's earlier conversations learn when the next one started (for "came back within 24 h");
        returns their days."""
        upcoming = next((s.started_ts for s in sessions if s.started_ts is not None), None)
        table, days = self._table, []
        for first_event_id, started_ts, day in reversed(earlier):
            connection.execute(sa.update(table).where(table.c.sender_id == sender,
                                                      table.c.first_event_id == first_event_id)
                               .values(next_started_ts=upcoming))
            days.append(day)
            if started_ts is not None:
                break  # the ones before it point at it already
            # a conversation without a customer message passes the next start on to the one before it
        return days

    def _promises(self, connection: Connection, sender: Optional[str]
                  ) -> Tuple[Dict[str, List[Tuple[float, int]]], Dict[str, List[float]]]:
        """Handoffs (time, id) and tickets (time) by conversation id: of one sender, or of everyone."""
        handoffs, tickets = Handoff.__table__, Ticket.__table__
        h_query = sa.select(handoffs.c.conversation_id, handoffs.c.created_at, handoffs.c.id)
        t_query = sa.select(tickets.c.conversation_id, tickets.c.created_at)
        if sender is not None:
            h_query = h_query.where(handoffs.c.conversation_id == sender)
            t_query = t_query.where(tickets.c.conversation_id == sender)
        by_handoff: Dict[str, List[Tuple[float, int]]] = defaultdict(list)
        by_ticket: Dict[str, List[float]] = defaultdict(list)
        for conversation, created, handoff_id in connection.execute(h_query):
            by_handoff[conversation].append((_epoch(created), int(handoff_id)))
        for conversation, created in connection.execute(t_query):
            by_ticket[conversation].append(_epoch(created))
        return by_handoff, by_ticket

    # state ----------------------------------------------------------------------------------------
    @staticmethod
    def _state(connection: Connection) -> Dict[str, str]:
        state = MetricsState.__table__
        return dict(connection.execute(sa.select(state.c.key, state.c.value)).all())

    @staticmethod
    def _save_state(connection: Connection, values: Dict[str, str]) -> None:
        state = MetricsState.__table__
        connection.execute(sa.delete(state).where(state.c.key.in_(list(values))))
        connection.execute(sa.insert(state), [{"key": k, "value": v} for k, v in values.items()])


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def count(self, rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
        for row in rows:
            self.n += 1
            yield row
