"""The cluster's conversation feed on the machine's RabbitMQ and PostgreSQL: Rasa's own PikaEventBroker, built
from the endpoint the Rasa servers get, publishes; our consumer stores each event once and in order, also when
it stops after storing and before acknowledging, and when two web servers read the same queue."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import select

from bot.rasa.event_feed import broker_address, event_broker_endpoint, is_followed
from bot.rasa.feed_consumer import FeedConsumer, RabbitSource
from bot.rasa.feed_store import FeedStore
from bot.settings import load_settings
from bot.storage.database import create_database
from bot.storage.feed_models import ConversationEvent
from bot.storage.migrations import migrate
from tests.support.services import fresh_postgres_database, fresh_redis_prefix, require_rabbitmq


@pytest.fixture
def cluster(tmp_path):
    """Settings with the machine's broker, a queue of this test's own, and a fresh PostgreSQL database."""
    broker_url = require_rabbitmq()
    with fresh_postgres_database() as database_url:
        settings = load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_DATABASE_URL": database_url,
                                  "BOT_BROKER_URL": broker_url, "BOT_REDIS_PREFIX": fresh_redis_prefix()})
        database = create_database(database_url)
        migrate(database.engine)
        yield settings, database
        database.engine.dispose()
        asyncio.run(_delete_queue(settings))


async def _delete_queue(settings) -> None:
    import aio_pika

    address = broker_address(settings)
    connection = await aio_pika.connect(address.connection_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(address.queue)
        await channel.exchange_delete(address.exchange)


async def rasas_broker(settings):
    """Rasa's PikaEventBroker exactly as a Rasa server builds it from its endpoints file."""
    import rasa.shared.core.events  # noqa: F401  (the broker uses it unimported, as a Rasa server has it loaded)
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    broker = await EventBroker.create(EndpointConfig.from_dict(event_broker_endpoint(settings)))
    assert broker is not None and broker.is_ready()
    return broker


def event(conversation: str, number: int) -> dict:
    kind = "user" if number % 2 else "bot"
    return {"sender_id": conversation, "event": kind, "timestamp": 1700000000 + number / 10, "text": f"第{number}句"}


def texts(database, conversation=None):
    table = ConversationEvent.__table__
    query = select(table.c.data).order_by(table.c.id)
    if conversation:
        query = query.where(table.c.conversation_id == conversation)
    with database.engine.connect() as connection:
        return [json.loads(data)["text"] for data in connection.execute(query).scalars()]


async def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the feed did not arrive in time"
        await asyncio.sleep(0.05)


async def stop(*tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def test_rasas_events_arrive_once_in_order_also_after_a_crash_before_the_acknowledgement(cluster):
    settings, database = cluster
    address = broker_address(settings)

    async def scenario():
        broker = await rasas_broker(settings)
        try:
            for number in range(1, 7):
                broker.publish(event("web:c1", number))
            broker.publish({"sender_id": "web:c1", "event": "action", "timestamp": 1700000001.0, "name": "x"})

            # a web server reads a batch, stores it, and dies before acknowledging it
            batches = RabbitSource(address, batch_size=3).batches(FeedStore(database))
            first = await asyncio.wait_for(batches.__anext__(), 20)
            FeedStore(database).store([e for e in first.events if is_followed(e)])
            await batches.aclose()  # its connection closes: RabbitMQ hands the batch out again
            assert texts(database) == [e.data["text"] for e in first.events if is_followed(e)]

            for number in range(7, 11):  # Rasa goes on publishing meanwhile
                broker.publish(event("web:c1", number))
            consumer = FeedConsumer(RabbitSource(address, retry_s=0.2), FeedStore(database))
            task = asyncio.create_task(consumer.run())
            await wait_for(lambda: len(texts(database)) >= 10)
            await asyncio.sleep(0.5)  # nothing more arrives
            await stop(task)
            assert texts(database, "web:c1") == [f"第{n}句" for n in range(1, 11)]

            # a restart reads what was published while it was away
            broker.publish(event("web:c1", 11))
            task = asyncio.create_task(FeedConsumer(RabbitSource(address, retry_s=0.2), FeedStore(database)).run())
            await wait_for(lambda: len(texts(database)) == 11)
            await stop(task)
        finally:
            await broker.close()

    asyncio.run(scenario())


def test_two_web_servers_read_one_queue_one_at_a_time_and_the_other_takes_over(cluster):
    settings, database = cluster
    address = broker_address(settings)
    announced = {"a": [], "b": []}

    def consumer(name: str) -> FeedConsumer:
        async def on_stored(conversations):
            announced[name].extend(conversations)

        # each web server has its own engine, as two processes would
        return FeedConsumer(RabbitSource(address, retry_s=0.3), FeedStore(create_database(settings.database_url)),
                            on_stored)

    async def scenario():
        broker = await rasas_broker(settings)
        a = asyncio.create_task(consumer("a").run())
        await asyncio.sleep(0.5)
        b = asyncio.create_task(consumer("b").run())
        try:
            for number in range(1, 41):
                broker.publish(event(f"web:c{number % 4}", number))
            await wait_for(lambda: len(texts(database)) == 40)
            assert announced["b"] == []  # the second waits while the first reads
            await stop(a)  # the first web server goes
            for number in range(41, 61):
                broker.publish(event(f"web:c{number % 4}", number))
            await wait_for(lambda: len(texts(database)) == 60)
            assert announced["b"]
            await asyncio.sleep(0.5)
            for conversation in range(4):
                expected = [f"第{n}句" for n in range(1, 61) if n % 4 == conversation]
                assert texts(database, f"web:c{conversation}") == expected
        finally:
            await stop(a, b)
            await broker.close()

    asyncio.run(scenario())
