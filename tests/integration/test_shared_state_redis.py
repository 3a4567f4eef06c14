"""Shared state in Redis (cluster mode, issue #13), as two replicas see it: each "replica" here has its own
client and its own objects, on the machine's Redis with a key prefix of the test's own. A count made through
one applies through the other, values and locks are seen alike, everything expires, and a Redis that cannot be
reached admits customers' messages (fail open) but refuses sign-ins for a moment (fail closed)."""
import asyncio
import logging
import time

import pytest
import redis
import redis.asyncio
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.login_throttle import UNAVAILABLE_WAIT_S
from bot.rasa.message_guard import MessageGuard
from bot.runtime.ports import free_port
from bot.services import Services
from bot.shared_state.redis_store import RedisStore
from bot.shared_state.redis_windows import AsyncRedisWindows, RedisWindows
from tests.support.services import fresh_redis_prefix, require_redis


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def redis_url():
    return require_redis()


@pytest.fixture
def prefix(redis_url):
    """A prefix of the test's own; its keys are removed afterwards."""
    prefix = fresh_redis_prefix()
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def cluster_settings(tmp_settings, redis_url, prefix):
    return tmp_settings.with_overrides(redis_url=redis_url, redis_prefix=prefix, customer_token_secret="s" * 40)


def replica_client(url):
    return redis.Redis.from_url(url)


def unreachable_url():
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


# -- windows -------------------------------------------------------------------------------------------


def test_a_limit_reached_through_one_replica_applies_through_the_other(redis_url, prefix):
    clock = Clock()
    a = RedisWindows(replica_client(redis_url), prefix + "rate:", 3, 60, clock=clock)
    b = RedisWindows(replica_client(redis_url), prefix + "rate:", 3, 60, clock=clock)
    assert a.admit("203.0.113.9") is None
    assert b.admit("203.0.113.9") is None
    assert a.admit("203.0.113.9") is None
    assert b.admit("203.0.113.9") == 60  # the fourth, on the other replica: refused
    assert a.retry_after("203.0.113.9") == 60 and b.retry_after("198.51.100.1") is None
    clock.now += 20
    assert a.admit("203.0.113.9") == 40  # refused events are not counted
    clock.now += 40.5
    assert b.admit("203.0.113.9") is None  # the first three left the window


def test_an_event_under_several_keys_is_admitted_only_when_all_are_under_their_limit(redis_url, prefix):
    clock = Clock()
    client = replica_client(redis_url)
    a = RedisWindows(client, prefix + "login:", 2, 900, clock=clock)
    b = RedisWindows(replica_client(redis_url), prefix + "login:", 2, 900, clock=clock)
    assert a.admit("username:li", "address:10.0.0.1") is None
    clock.now += 100
    assert b.admit("username:wang", "address:10.0.0.1") is None
    assert a.admit("username:zhao", "address:10.0.0.1") == 800  # the address is full: zhao is not counted
    assert b.retry_after("username:zhao", "address:10.0.0.2") is None
    b.drop_latest("address:10.0.0.1")  # wang's attempt was right after all
    assert a.admit("username:zhao", "address:10.0.0.1") is None
    a.clear("username:li")
    b.add("username:li", "address:10.0.0.3")
    b.add("username:li", "address:10.0.0.3")
    b.add("username:li", "address:10.0.0.3")  # beyond the limit: the oldest is forgotten
    assert a.retry_after("username:li") == 900
    assert client.zcard(prefix + "login:username:li") == 2  # a flood of failures keeps `limit` of them


def test_counts_expire_with_their_window_in_redis(redis_url, prefix):
    client = replica_client(redis_url)
    window = RedisWindows(client, prefix + "rate:", 1, 0.3)
    assert window.admit("k") is None
    assert window.admit("k") == 1  # whole seconds, at least one
    key = prefix + "rate:k"
    assert 0 < client.pttl(key) <= 300
    time.sleep(0.4)
    assert not client.exists(key) and window.admit("k") is None


def test_a_long_key_is_stored_as_its_hash(redis_url, prefix):
    client = replica_client(redis_url)
    window = RedisWindows(client, prefix + "rate:", 2, 60)
    window.admit("x" * 10_000)
    keys = [k.decode() for k in client.scan_iter(match=prefix + "*")]
    assert len(keys) == 1 and len(keys[0]) < len(prefix) + 100


def test_replicas_admitting_at_the_same_moment_never_both_take_the_last_place(redis_url, prefix):
    async def scenario():
        clients = [redis.asyncio.Redis.from_url(redis_url) for _ in range(2)]
        replicas = [AsyncRedisWindows(c, prefix + "rate:", 5, 60) for c in clients]
        try:
            results = await asyncio.gather(*(replicas[n % 2].admit("web:abc") for n in range(40)))
        finally:
            for client in clients:
                await client.close()
        return results

    results = asyncio.run(scenario())
    assert results.count(None) == 5 and all(isinstance(wait, int) and wait > 0 for wait in results if wait)


def test_rate_limits_let_customers_through_when_redis_cannot_be_reached(caplog):
    async def scenario():
        client = redis.asyncio.Redis.from_url(unreachable_url(), socket_connect_timeout=0.5)
        window = AsyncRedisWindows(client, "bot:rate:", 1, 60)
        try:
            return [await window.admit("web:abc") for _ in range(3)]
        finally:
            await client.close()

    with caplog.at_level(logging.ERROR, logger="bot.shared_state.redis_windows"):
        assert asyncio.run(scenario()) == [None, None, None]
    assert "Redis unavailable" in caplog.text and "admitted" in caplog.text


# -- the console's sign-in throttle, as services build it ---------------------------------------------------


def test_failed_sign_ins_on_one_web_server_throttle_the_others(cluster_settings):
    settings = cluster_settings.with_overrides(login_max_failures=3)
    first, second = Services(settings).login_throttle(), Services(settings).login_throttle()
    assert first.begin("li", "10.0.0.1") is None
    assert second.begin("li", "10.0.0.2") is None
    assert first.begin("li", "10.0.0.3") is None
    assert second.begin("li", "10.0.0.4") is not None  # li's fourth try, on the other server
    assert second.begin("wang", "10.0.0.4") is None
    second.succeeded("wang", "10.0.0.4")
    assert first.retry_after("wang", "10.0.0.5") is None


def test_sign_ins_wait_when_redis_cannot_be_reached(tmp_settings, caplog):
    settings = tmp_settings.with_overrides(redis_url=unreachable_url())
    throttle = Services(settings).login_throttle()
    with caplog.at_level(logging.ERROR, logger="bot.shared_state.redis_windows"):
        assert throttle.begin("li", "10.0.0.1") == UNAVAILABLE_WAIT_S
    assert "Redis unavailable" in caplog.text


# -- the per-conversation rate limit of the Rasa server ---------------------------------------------------


class Store:
    def __init__(self, tracker):
        self.tracker = tracker

    async def retrieve(self, sender_id):
        return self.tracker


class Agent:
    def __init__(self):
        self.tracker_store = Store(DialogueStateTracker.from_events(
            "web:abc", [ActionExecuted("action_listen"), SlotSet("language", "en")]))
        self.handled = []


async def rasa_handles(agent, message):
    agent.handled.append(message.text)
    await message.output_channel.send_text_message(message.sender_id, "answer")
    return message.output_channel.messages


def test_a_conversations_messages_count_together_whichever_replica_they_reach(cluster_settings):
    settings = cluster_settings.with_overrides(rate_per_sender=3)
    agent = Agent()

    async def alternate():
        replicas = [MessageGuard(settings), MessageGuard(settings)]
        replies = []
        for n in range(5):
            channel = CollectingOutputChannel()
            replies.append(await replicas[n % 2].handle(rasa_handles, agent,
                                                        UserMessage(f"m{n}", channel, sender_id="web:abc")))
        return replies

    replies = asyncio.run(alternate())
    assert agent.handled == ["m0", "m1", "m2"]
    assert [r[0]["text"] for r in replies[:3]] == ["answer"] * 3
    assert all("moment" in r[0]["text"] for r in replies[3:])  # asked to slow down, in English


# -- the key-value store -------------------------------------------------------------------------------


def test_values_and_locks_are_seen_alike_by_every_replica_and_expire(redis_url, prefix):
    async def scenario():
        clients = [redis.asyncio.Redis.from_url(redis_url) for _ in range(2)]
        a, b = (RedisStore(c, prefix + "wechat:") for c in clients)
        try:
            await a.put("token", "t1", 60)
            assert await b.get("token") == "t1"
            assert await a.put_new("lock", "replica-a", 5)
            assert not await b.put_new("lock", "replica-b", 5)  # one holder at a time
            assert not await b.delete("lock", only_if="replica-b")  # not b's to release
            assert await b.get("lock") == "replica-a"
            assert await a.delete("lock", only_if="replica-a")
            assert await b.put_new("lock", "replica-b", 0.2)
            await asyncio.sleep(0.3)
            assert await a.get("lock") is None  # expired: a holder that died does not block the others
            assert await a.put_new("lock", "replica-a", 5)
        finally:
            for client in clients:
                await client.close()

    asyncio.run(scenario())


# -- the per-address limit of the Rasa server's webhooks ---------------------------------------------------


def test_an_address_is_limited_on_the_webhooks_of_every_replica_together(cluster_settings, monkeypatch):
    import aiohttp
    from sanic import Sanic, response

    from bot.rasa.request_limits import limit_requests

    monkeypatch.setattr(Sanic, "test_mode", True)
    settings = cluster_settings.with_overrides(rate_per_address=3)

    async def replica():
        app = Sanic(f"webhooks-{free_port()}")

        @app.post("/webhooks/rest/webhook")
        async def webhook(_request):
            return response.json([{"text": "您好"}])

        limit_requests(app, settings)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        return server, f"http://127.0.0.1:{port}/webhooks/rest/webhook"

    async def scenario():
        servers = [await replica(), await replica()]
        statuses, answer = [], None
        try:
            async with aiohttp.ClientSession() as http:
                for n in range(4):  # alternating between the replicas, as a load balancer would
                    async with http.post(servers[n % 2][1], json={"sender": "s", "message": "hi"}) as reply:
                        statuses.append(reply.status)
                        if reply.status == 429:
                            answer = (await reply.json(), reply.headers["Retry-After"])
        finally:
            for server, _ in servers:
                server.close()
                await server.wait_closed()
        return statuses, answer

    statuses, (body, retry_after) = asyncio.run(scenario())
    assert statuses == [200, 200, 200, 429]
    assert body["error"] == "too_many_requests" and int(retry_after) > 0
