"""The web server's reader of Rasa's event broker: stores the messages of every conversation in our table
(`bot.rasa.feed_store`) and then tells whoever follows them (the console's live events) which conversations
moved.

Nothing is lost or stored twice across restarts: RabbitMQ's messages are acknowledged only after the
transaction that stored them committed (a crash before that redelivers them, and their keys make the second
copy a no-op); the SQL broker's position is stored in the same transaction as its events. One web server reads
at a time (RabbitMQ: an exclusive consumer; the others wait and take over when it goes), so the table's ids
follow the order Rasa published in."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, List, Optional, Protocol, Tuple

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.concurrency import run_blocking
from bot.rasa.event_feed import BrokerAddress, FeedEvent, is_followed, parse_feed_event
from bot.rasa.feed_store import FeedStore
from bot.storage.database import sqlite_engine

logger = logging.getLogger(__name__)

Acknowledge = Callable[[], Awaitable[None]]
OnStored = Callable[[List[str]], Awaitable[None]]  # the conversation ids of a stored batch, in order


async def _nothing_to_acknowledge() -> None:
    return None


@dataclass
class FeedBatch:
    """Events read together; `cursor` (name, position) is stored with them; `acknowledge` after they are."""

    events: List[FeedEvent]
    cursor: Optional[Tuple[str, int]] = None
    acknowledge: Acknowledge = _nothing_to_acknowledge


class FeedSource(Protocol):
    def batches(self, store: FeedStore) -> AsyncIterator[FeedBatch]:
        """Batches in the order Rasa published them; the next is read once the previous one was handled."""


class FeedConsumer:
    """Reads `source` into `store` until cancelled, and calls `on_stored` after each stored batch."""

    def __init__(self, source: FeedSource, store: FeedStore, on_stored: Optional[OnStored] = None,
                 retry_s: float = 2.0) -> None:
        self._source = source
        self._store = store
        self._on_stored = on_stored
        self._retry_s = retry_s

    async def run(self) -> None:
        """Until cancelled; a source that fails is started again (from what was stored)."""
        while True:
            try:
                async for batch in self._source.batches(self._store):
                    await self.handle(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The conversation feed stopped; starting it again")
            await asyncio.sleep(self._retry_s)

    async def handle(self, batch: FeedBatch) -> None:
        """Stores the batch (retrying while the database is away: nothing is acknowledged before), then
        acknowledges it and announces its conversations."""
        followed = [event for event in batch.events if is_followed(event)]
        while True:
            try:
                await run_blocking(self._store.store, followed, batch.cursor)
                break
            except Exception:  # the database is away or busy: the batch waits, unacknowledged
                logger.exception("Could not store %d events of the conversation feed; retrying", len(followed))
                await asyncio.sleep(self._retry_s)
        try:
            await batch.acknowledge()
        except Exception as error:  # the broker will deliver them again: their keys make that harmless
            logger.warning("Could not acknowledge %d feed events (%s)", len(batch.events), error)
        conversations = list(dict.fromkeys(event.conversation_id for event in followed))
        if conversations and self._on_stored is not None:
            try:
                await self._on_stored(conversations)
            except Exception:  # the console's notice is a nicety: its polling shows the messages anyway
                logger.exception("Could not announce new messages of %d conversations", len(conversations))


# Rasa's SQL broker (the embedded default) ------------------------------------------------------------------
class SqlBrokerSource:
    """Rasa's SQL event broker's table read by increasing id. The file carries a token of its own, so a new
    file (var/ wiped) starts a new cursor; rows already stored are pruned, all but the newest (SQLite would
    otherwise hand its id out again)."""

    def __init__(self, path: Path, poll_s: float = 0.1, batch_size: int = 500, prune_every_s: float = 60.0) -> None:
        self._path = path
        self._poll_s = poll_s
        self._batch_size = batch_size
        self._prune_every_s = prune_every_s

    async def batches(self, store: FeedStore) -> AsyncIterator[FeedBatch]:
        engine = sqlite_engine(f"sqlite:///{self._path}")
        try:
            name = f"rasa-sql-broker:{await run_blocking(_file_token, engine)}"
            position = await run_blocking(store.position, name)
            loop = asyncio.get_running_loop()
            pruned_at = loop.time()
            while True:
                rows = await run_blocking(_rows_after, engine, position, self._batch_size)
                if not rows:
                    if loop.time() - pruned_at >= self._prune_every_s:
                        await run_blocking(_prune, engine, position)
                        pruned_at = loop.time()
                    await asyncio.sleep(self._poll_s)
                    continue
                events = [event for event in (parse_feed_event(data) for _, data in rows) if event is not None]
                position = int(rows[-1][0])
                yield FeedBatch(events, (name, position))
        finally:
            engine.dispose()


def _file_token(engine: Engine) -> str:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS feed_identity (token VARCHAR(64) NOT NULL)"))
        token = connection.execute(text("SELECT token FROM feed_identity")).scalar()
        if token is None:
            token = uuid.uuid4().hex
            connection.execute(text("INSERT INTO feed_identity (token) VALUES (:token)"), {"token": token})
    return str(token)


def _rows_after(engine: Engine, position: int, limit: int) -> List[Tuple[int, str]]:
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "events"):  # Rasa has not started with the broker yet
            return []
        return [(int(r[0]), r[1]) for r in connection.execute(
            text("SELECT id, data FROM events WHERE id > :position ORDER BY id LIMIT :limit"),
            {"position": position, "limit": limit}).all()]


def _prune(engine: Engine, position: int) -> None:
    with engine.begin() as connection:
        if engine.dialect.has_table(connection, "events"):
            connection.execute(text("DELETE FROM events WHERE id <= :position "
                                    "AND id < (SELECT MAX(id) FROM events)"), {"position": position})


# Rasa's Pika broker (the cluster) --------------------------------------------------------------------------
class RabbitSource:
    """The broker's durable queue, consumed exclusively (one web server at a time; the others retry every
    `retry_s` and take over when its connection goes). Messages are acknowledged after they were stored."""

    def __init__(self, address: BrokerAddress, batch_size: int = 200, retry_s: float = 5.0) -> None:
        self._address = address
        self._batch_size = batch_size
        self._retry_s = retry_s

    async def batches(self, store: FeedStore) -> AsyncIterator[FeedBatch]:
        import aio_pika

        while True:
            try:
                connection = await aio_pika.connect(self._address.connection_url)
            except Exception as error:  # RabbitMQ is away: the events wait in its queue
                logger.warning("Cannot reach the event broker at %s (%s); retrying", self._address.url, error)
                await asyncio.sleep(self._retry_s)
                continue
            try:
                async for batch in self._consume(connection):
                    yield batch
            except Exception as error:
                logger.info("Not reading the conversation feed (%s); retrying in %.0f s", error, self._retry_s)
            finally:
                await _close_quietly(connection)
            await asyncio.sleep(self._retry_s)

    async def _consume(self, connection) -> AsyncIterator[FeedBatch]:  # type: ignore[no-untyped-def]
        import aio_pika

        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._batch_size)
        # Declared as Rasa's PikaEventBroker declares them, whichever of the two starts first.
        exchange = await channel.declare_exchange(self._address.exchange, type=aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(self._address.queue, durable=True)
        await queue.bind(exchange, "")
        inbox: asyncio.Queue = asyncio.Queue()
        channel.close_callbacks.add(lambda *_: inbox.put_nowait(None))
        await queue.consume(inbox.put, exclusive=True)
        logger.info("Reading the conversation feed from queue %s", self._address.queue)
        while True:
            messages = [await inbox.get()]
            while len(messages) < self._batch_size and not inbox.empty():
                messages.append(inbox.get_nowait())
            if messages[-1] is None or any(m is None for m in messages):
                raise ConnectionError("the channel to the event broker closed")
            events = [event for event in (parse_feed_event(m.body) for m in messages) if event is not None]
            last = messages[-1]
            yield FeedBatch(events, None, lambda last=last: last.ack(multiple=True))


async def _close_quietly(connection) -> None:  # type: ignore[no-untyped-def]
    try:
        await connection.close()
    except Exception:  # already gone
        pass
