"""What the agent console is told as it happens, so it asks for the overview or a conversation when something
changed instead of every second: small events naming what changed (never what it says).

Kinds: ``queue`` (the overview: queue, callbacks, team), ``messages`` (handoff N's conversation has new
messages), ``handoff`` (handoff N's details: owner, notes), ``reply`` (reply N was delivered, or an attempt
failed), ``resync`` (events may have been missed: refresh everything).

The domain raises them through a `LivePublisher`; a `LiveHub` also lets each console's stream subscribe.
`LocalBroadcaster` is the in-process hub (the embedded default, one web server); in cluster mode the web layer
puts Redis pub/sub in front of it (bot/web/live_redis.py), so an event raised on one web server reaches
agents connected to another."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Protocol, Sequence, Set

from sqlalchemy import select

from bot.concurrency import run_blocking
from bot.handoff.gateway import ConversationGateway
from bot.storage.database import Database
from bot.storage.models import Handoff, utcnow

logger = logging.getLogger(__name__)

KINDS = ("queue", "messages", "handoff", "reply", "resync")
WAITING = ("queued", "callback")
RECENTLY_CLOSED = timedelta(minutes=2)  # a handoff the customer just cancelled leaves the queue


@dataclass(frozen=True)
class LiveEvent:
    kind: str
    handoff: Optional[int] = None
    reply: Optional[int] = None
    status: Optional[str] = None  # a reply's: "delivered" or "failed"

    def as_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: Any) -> Optional["LiveEvent"]:
        """The event in a message from another web server; None for anything malformed."""
        try:
            data = json.loads(raw)
            kind = data["kind"]
        except (TypeError, ValueError, KeyError):
            return None
        if kind not in KINDS:
            return None

        def number(key: str) -> Optional[int]:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        status = data.get("status")
        return cls(kind, number("handoff"), number("reply"), status if isinstance(status, str) else None)


QUEUE_CHANGED = LiveEvent("queue")
RESYNC = LiveEvent("resync")


class LivePublisher(Protocol):
    async def publish(self, event: LiveEvent) -> None:
        """Tells every console; never raises (a console that misses it catches up by polling slowly)."""


class Subscription(Protocol):
    async def get(self) -> Optional[LiveEvent]:
        """The next event; None once the subscription or its hub is closed."""

    def close(self) -> None:
        ...


class LiveHub(LivePublisher, Protocol):
    def subscribe(self) -> Subscription:
        """The events from now on, until `close` (or the hub's)."""

    async def start(self) -> None:
        ...

    async def close(self) -> None:
        ...


class NoPublisher:
    """For processes without consoles (and tests that do not watch)."""

    async def publish(self, event: LiveEvent) -> None:
        return None


class _Listener:
    """One console's events, in order; when it falls too far behind, its backlog becomes one `resync`."""

    def __init__(self, hub: "LocalBroadcaster", backlog: int) -> None:
        self._hub = hub
        self._queue: "asyncio.Queue[Optional[LiveEvent]]" = asyncio.Queue(maxsize=backlog)

    def offer(self, event: Optional[LiveEvent]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(RESYNC if event is not None else None)

    def close(self) -> None:
        self._hub.discard(self)
        self.offer(None)

    async def get(self) -> Optional[LiveEvent]:
        """The next event (waiting for it); None once closed. Safe to cancel (e.g. under asyncio.wait_for)."""
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)  # closed for good: later calls return at once
        return event


class LocalBroadcaster:
    """The in-process hub: each event goes to every subscription of this process."""

    def __init__(self, backlog: int = 256) -> None:
        self._listeners: Set[_Listener] = set()
        self._backlog = backlog

    async def start(self) -> None:
        return None

    async def publish(self, event: LiveEvent) -> None:
        self.deliver(event)

    def deliver(self, event: LiveEvent) -> None:
        for listener in list(self._listeners):
            listener.offer(event)

    def subscribe(self) -> _Listener:
        listener = _Listener(self, self._backlog)
        self._listeners.add(listener)
        return listener

    def discard(self, listener: _Listener) -> None:
        self._listeners.discard(listener)

    @property
    def subscribers(self) -> int:
        return len(self._listeners)

    async def close(self) -> None:
        for listener in list(self._listeners):
            listener.close()


async def publish_all(publisher: LivePublisher, events: Sequence[LiveEvent]) -> None:
    for event in dict.fromkeys(events):  # each once, in order
        await publisher.publish(event)


# what the conversation feed means for the console --------------------------------------------------------
class FeedAnnouncer:
    """Turns "these conversations have new messages" (from the conversation feed) into console events: their
    handoffs' transcripts moved, and the queue changed when one of them waits (a new request, or the mood of
    a waiting customer) or was just cancelled by the customer."""

    def __init__(self, database: Database, publisher: LivePublisher) -> None:
        self._db = database
        self._publisher = publisher

    def events_for(self, conversation_ids: Sequence[str], now: Optional[datetime] = None) -> List[LiveEvent]:
        now = now or utcnow()
        latest: Dict[str, Any] = {}
        with self._db.session() as session:
            rows = session.execute(
                select(Handoff.id, Handoff.conversation_id, Handoff.status, Handoff.closed_at)
                .where(Handoff.conversation_id.in_(list(conversation_ids))).order_by(Handoff.id)).all()
        for row in rows:
            latest[row.conversation_id] = row
        events: List[LiveEvent] = []
        for conversation_id in conversation_ids:
            row = latest.get(conversation_id)
            if row is None:
                continue
            just_closed = row.closed_at is not None and now - row.closed_at <= RECENTLY_CLOSED
            if row.status in WAITING or just_closed:
                events.append(QUEUE_CHANGED)
            events.append(LiveEvent("messages", handoff=row.id))
        return events

    async def announce(self, conversation_ids: List[str]) -> None:
        await publish_all(self._publisher, await run_blocking(self.events_for, conversation_ids))


# agents' replies ----------------------------------------------------------------------------------------------
class AnnouncingGateway:
    """The conversation gateway, telling the consoles whenever an agent's reply was delivered or an attempt
    failed (the relay's retries included)."""

    def __init__(self, gateway: ConversationGateway, publisher: LivePublisher) -> None:
        self._gateway = gateway
        self._publisher = publisher

    async def say(self, conversation_id: str, text: str, agent_name: str, reply_id: Optional[int] = None) -> None:
        try:
            await self._gateway.say(conversation_id, text, agent_name, reply_id=reply_id)
        except Exception:
            if reply_id is not None:
                await self._publisher.publish(LiveEvent("reply", reply=reply_id, status="failed"))
            raise
        if reply_id is not None:
            await self._publisher.publish(LiveEvent("reply", reply=reply_id, status="delivered"))

    async def has_reply(self, conversation_id: str, reply_id: int) -> bool:
        return await self._gateway.has_reply(conversation_id, reply_id)

    async def pause_for_agent(self, conversation_id: str, agent_name: str) -> None:
        await self._gateway.pause_for_agent(conversation_id, agent_name)

    async def resume_bot(self, conversation_id: str) -> None:
        await self._gateway.resume_bot(conversation_id)

    async def return_to_queue(self, conversation_id: str) -> None:
        await self._gateway.return_to_queue(conversation_id)

    async def execute(self, conversation_id: str, action: str) -> None:
        await self._gateway.execute(conversation_id, action)
