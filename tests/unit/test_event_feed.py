"""The conversation feed: the event broker endpoint Rasa reads, and the consumer that copies Rasa's SQL broker
into our table once per event, in order, across restarts; the console's transcript read from that table."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.rasa.conversation_log import ConversationLog
from bot.rasa.event_feed import event_broker_endpoint, event_key, parse_feed_event, sql_broker_path
from bot.rasa.feed_consumer import FeedBatch, FeedConsumer, SqlBrokerSource
from bot.rasa.feed_store import FeedStore
from bot.settings import load_settings
from bot.storage.feed_models import ConversationEvent

ROOT = Path(__file__).resolve().parents[2]


def user(text_: str, at: float, intent: str = "greet") -> dict:
    return {"event": "user", "timestamp": at, "text": text_, "metadata": {},
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text_,
                           "intent_ranking": [{"name": intent, "confidence": 0.9}] * 10}}


def bot(text_: str, at: float, buttons=None) -> dict:
    return {"event": "bot", "timestamp": at, "text": text_, "metadata": {},
            "data": {"buttons": buttons} if buttons else {}}


def action(name: str, at: float) -> dict:
    return {"event": "action", "timestamp": at, "name": name}


def stored(database, conversation_id=None):
    table = ConversationEvent.__table__
    query = select(table.c.id, table.c.conversation_id, table.c.type_name, table.c.data).order_by(table.c.id)
    if conversation_id:
        query = query.where(table.c.conversation_id == conversation_id)
    with database.engine.connect() as connection:
        return connection.execute(query).all()


def texts(database, conversation_id):
    return [json.loads(row.data).get("text") for row in stored(database, conversation_id)]


# the endpoint ------------------------------------------------------------------------------------------------
def test_embedded_rasa_gets_an_sql_broker_on_a_file_of_its_own(tmp_settings):
    from rasa.core.brokers.sql import SQLEventBroker

    endpoint = event_broker_endpoint(tmp_settings)
    assert endpoint == {"type": "bot.rasa.feed_broker.SqliteFeedBroker", "dialect": "sqlite",
                        "db": str(tmp_settings.var_dir / "event_broker.db")}
    assert sql_broker_path(tmp_settings) != Path(tmp_settings.database_url.replace("sqlite:///", ""))
    broker = rasas_sql_broker(tmp_settings)  # as Rasa loads it from the endpoints file
    assert isinstance(broker, SQLEventBroker) and sql_broker_path(tmp_settings).exists()


def test_the_cluster_gets_rasas_pika_broker_with_a_prefixed_durable_queue(tmp_path):
    from rasa.core.brokers.pika import PikaEventBroker

    settings = load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_REDIS_PREFIX": "shop1:",
                              "BOT_BROKER_URL": "amqp://feed:p%40ss:w0rd@mq.internal:5673/shop%2Fprod"})
    endpoint = event_broker_endpoint(settings)
    assert endpoint["type"] == "pika"
    assert endpoint["queues"] == ["shop1:events"] and endpoint["exchange_name"] == "shop1:rasa-events"

    async def rasas_url() -> str:  # what Rasa's own broker makes of the section (it needs a running loop)
        kwargs = {k: v for k, v in endpoint.items() if k not in ("type", "url")}
        return PikaEventBroker(endpoint["url"], **kwargs)._configure_url()

    # the password's "@" and ":" and the vhost's "/" survive as percent escapes, which aio-pika decodes
    assert asyncio.run(rasas_url()) == "amqp://feed:p%40ss%3Aw0rd@mq.internal:5673/shop%2Fprod"


def test_a_broker_url_that_is_not_amqp_is_refused_with_the_setting_named(tmp_path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_BROKER_URL": "redis://127.0.0.1/0"})
    with pytest.raises(ValueError, match="BOT_BROKER_URL"):
        event_broker_endpoint(settings)


# the events -----------------------------------------------------------------------------------------------
def test_an_events_key_is_the_same_in_the_broker_and_in_the_tracker_store_and_in_the_migration():
    event = user("你好", 1700000000.123456)
    published = {"sender_id": "web:s1", **event}
    parsed = parse_feed_event(json.dumps(published).encode())
    assert parsed.key == event_key("web:s1", event)  # the tracker store's copy has no sender_id
    assert parse_feed_event(json.dumps({**published, "timestamp": 1700000000.2})).key != parsed.key
    assert parse_feed_event(json.dumps({**published, "sender_id": "web:s2"})).key != parsed.key
    assert "intent_ranking" not in parsed.data["parse_data"]  # what the console does not read is not kept
    spec = importlib.util.spec_from_file_location(
        "feed_revision", ROOT / "bot/storage/alembic/versions/0003_conversation_feed.py")
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert revision._key("web:s1", event) == parsed.key


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event": "user"}', b'{"sender_id": 5, "event": "x"}'])
def test_a_malformed_message_is_no_event(body):
    assert parse_feed_event(body) is None


# storing --------------------------------------------------------------------------------------------------
def test_an_event_stored_twice_is_kept_once_and_the_cursor_moves_with_the_events(database):
    store = FeedStore(database)
    events = [parse_feed_event({"sender_id": "web:a", **user("一", 1.0)}),
              parse_feed_event({"sender_id": "web:a", **bot("二", 2.0)})]
    store.store(events, ("test-feed", 7))
    store.store(events + [parse_feed_event({"sender_id": "web:a", **bot("三", 3.0)})], ("test-feed", 9))
    assert texts(database, "web:a") == ["一", "二", "三"]
    assert store.position("test-feed") == 9 and store.position("another") == 0


def test_a_batch_waits_unacknowledged_while_the_database_is_away(database):
    acknowledged = []

    class FlakyStore(FeedStore):  # the real store, after two refusals (as while PostgreSQL restarts)
        refusals = 2

        def store(self, events, cursor=None):
            if self.refusals:
                self.refusals -= 1
                raise OSError("database restarting")
            super().store(events, cursor)

    async def acknowledge():
        acknowledged.append(len(stored(database)))  # how many rows were stored when it was acknowledged

    consumer = FeedConsumer(source=None, store=FlakyStore(database), retry_s=0.01)
    batch = FeedBatch([parse_feed_event({"sender_id": "web:b", **user("在吗", 1.0)})], None, acknowledge)
    asyncio.run(consumer.handle(batch))
    assert acknowledged == [1]


# Rasa's own SQL broker, read by the consumer -----------------------------------------------------------------
def rasas_sql_broker(settings):
    """The broker as a Rasa server creates it from the endpoint (outside an event loop it writes at once)."""
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    return asyncio.run(EventBroker.create(EndpointConfig.from_dict(event_broker_endpoint(settings))))


def test_the_events_of_one_turn_are_written_together_in_order(tmp_settings):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    async def one_turn():
        broker = await EventBroker.create(EndpointConfig.from_dict(event_broker_endpoint(tmp_settings)))
        for event in (user("一", 1.0), action("utter_x", 1.1), bot("二", 1.2)):
            broker.publish({"sender_id": "web:t", **event})
        with sqlite3.connect(sql_broker_path(tmp_settings)) as broker_file:
            before = broker_file.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        await asyncio.sleep(0)  # Rasa's code yields
        await broker.close()
        return before

    assert asyncio.run(one_turn()) == 0
    with sqlite3.connect(sql_broker_path(tmp_settings)) as broker_file:
        rows = broker_file.execute("SELECT sender_id, data FROM events ORDER BY id").fetchall()
    assert [(sender, json.loads(data)["event"]) for sender, data in rows] == [
        ("web:t", "user"), ("web:t", "action"), ("web:t", "bot")]


async def consume_until(consumer: FeedConsumer, done, timeout: float = 10.0) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the consumer did not catch up"
            assert not task.done(), task
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_rasas_sql_broker_feeds_our_table_once_in_order_across_restarts(tmp_settings, database):
    broker = rasas_sql_broker(tmp_settings)
    announced = []

    async def on_stored(conversations):
        announced.append(conversations)

    def consumer(**options):
        source = SqlBrokerSource(sql_broker_path(tmp_settings), poll_s=0.02, **options)
        return FeedConsumer(source, FeedStore(database), on_stored)

    first = [user("你好", 1.0), action("utter_greet", 1.1), bot("您好！", 1.2), user("我要退货", 2.0),
             bot("好的", 2.1)]
    for event in first:
        broker.publish({"sender_id": "web:s1", **event})
    broker.publish({"sender_id": "web:s2", **user("hello", 1.5)})
    asyncio.run(consume_until(consumer(), lambda: len(stored(database)) == 5))
    assert texts(database, "web:s1") == ["你好", "您好！", "我要退货", "好的"]  # actions are not kept
    assert announced == [["web:s1", "web:s2"]]

    # a restart: nothing read twice, later events continue in order, also after the broker's table was pruned
    for event in (user("订单号 GD1", 3.0), bot("查到了", 3.1)):
        broker.publish({"sender_id": "web:s1", **event})
    asyncio.run(consume_until(consumer(batch_size=1, prune_every_s=0), lambda: len(stored(database)) == 7))
    broker.publish({"sender_id": "web:s1", **bot("还有别的吗？", 4.0)})
    asyncio.run(consume_until(consumer(), lambda: len(stored(database)) == 8))
    assert texts(database, "web:s1") == ["你好", "您好！", "我要退货", "好的", "订单号 GD1", "查到了", "还有别的吗？"]
    with sqlite3.connect(sql_broker_path(tmp_settings)) as broker_file:
        left = broker_file.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert left <= 2  # what was stored is pruned from Rasa's file (the newest row stays: its id is not reused)


def test_a_new_broker_file_is_read_from_its_start_and_what_was_stored_is_not_stored_again(tmp_settings, database):
    broker = rasas_sql_broker(tmp_settings)
    for event in (user("一", 1.0), bot("二", 1.1)):
        broker.publish({"sender_id": "web:s3", **event})
    consumer = FeedConsumer(SqlBrokerSource(sql_broker_path(tmp_settings), poll_s=0.02), FeedStore(database))
    asyncio.run(consume_until(consumer, lambda: len(stored(database)) == 2))
    asyncio.run(broker.close())
    sql_broker_path(tmp_settings).unlink()  # var/event_broker.db removed while the database stays
    broker = rasas_sql_broker(tmp_settings)
    for event in (user("一", 1.0), bot("二", 1.1), user("三", 2.0)):  # the first two published again
        broker.publish({"sender_id": "web:s3", **event})
    asyncio.run(consume_until(consumer, lambda: len(stored(database)) == 3))
    assert texts(database, "web:s3") == ["一", "二", "三"]


# the console's transcript --------------------------------------------------------------------------------
RATINGS = [{"title": "5 非常满意", "payload": '/rate_service{"rating": 5}'}]


def test_the_console_transcript_shows_a_tapped_title_across_polls(database):
    rating = user(RATINGS[0]["payload"], 4.0, intent="rate_service")
    rating["parse_data"]["intent"]["confidence"] = 1.0
    events = [user("/greet", 1.0), bot("满意吗？", 2.0, buttons=RATINGS), bot("（请点选）", 3.0), rating]
    FeedStore(database).store([parse_feed_event({"sender_id": "web:s6", **e}) for e in events])
    log = ConversationLog(database)
    everything = log.messages_after("web:s6", 0)
    assert [m.get("text") for m in everything][1:] == ["满意吗？", "（请点选）", "5 非常满意"]
    assert [m["text"] for m in log.messages_after("web:s6", everything[2]["id"])] == ["5 非常满意"]
    assert log.messages_after("web:other", 0) == []


def test_conversations_stored_before_the_feed_are_copied_by_the_migration(tmp_settings):
    """A database of the previous release with conversations in the tracker store's table: the console still
    shows them after `migrate`, and the feed publishing one of those events again stores nothing new."""
    from alembic import command

    from bot.storage.database import create_database
    from bot.storage.migrations import alembic_config, migrate

    database = create_database(tmp_settings.database_url)
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002_cluster")
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                                "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                                "action_name VARCHAR(255), data TEXT)"))
        for event in (user("早上好", 1.0), action("utter_greet", 1.1), bot("早上好！", 1.2)):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES ('web:old', :kind, :at, :data)"),
                               {"kind": event["event"], "at": event["timestamp"], "data": json.dumps(event)})
    migrate(database.engine)
    assert [m["text"] for m in ConversationLog(database).messages_after("web:old")] == ["早上好", "早上好！"]
    FeedStore(database).store([parse_feed_event({"sender_id": "web:old", **bot("早上好！", 1.2)})])
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ConversationEvent.__table__)).scalar() == 2
    database.engine.dispose()
