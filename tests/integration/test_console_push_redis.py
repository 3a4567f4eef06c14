"""The console's live events across web servers, on the machine's Redis: an event raised on one web server
reaches the consoles connected to another (Redis pub/sub), each exactly once."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.handoff.agents import AgentDirectory
from bot.handoff.live_events import LiveEvent
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.services import Services
from bot.settings import load_settings
from bot.storage.database import create_database
from bot.storage.migrations import migrate
from bot.web.app import create_app
from bot.web.event_stream import LIVE_HUB
from bot.web.live_redis import RedisLiveHub
from tests.support.fake_rasa import fake_rasa
from tests.support.services import fresh_redis_prefix, require_redis
from tests.unit.test_live_events import Browser, EventSource


def test_an_event_published_on_one_server_reaches_the_subscribers_of_both_once():
    redis_url = require_redis()
    channel = f"{fresh_redis_prefix()}console-events"

    async def scenario():
        a, b = RedisLiveHub(redis_url, channel), RedisLiveHub(redis_url, channel)
        await a.start()
        await b.start()
        try:
            await a.wait_subscribed()
            await b.wait_subscribed()
            on_a, on_b = a.subscribe(), b.subscribe()
            await a.publish(LiveEvent("queue"))
            await b.publish(LiveEvent("messages", handoff=12))
            for subscription in (on_a, on_b):
                assert await asyncio.wait_for(subscription.get(), 5) == LiveEvent("queue")
                assert await asyncio.wait_for(subscription.get(), 5) == LiveEvent("messages", handoff=12)
                with pytest.raises(asyncio.TimeoutError):  # each once
                    await asyncio.wait_for(subscription.get(), 0.3)
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_an_agent_streaming_from_one_web_server_hears_a_claim_made_on_another(tmp_path):
    redis_url = require_redis()
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
                              "BOT_REDIS_URL": redis_url, "BOT_REDIS_PREFIX": fresh_redis_prefix()})
    database = create_database(settings.database_url)
    migrate(database.engine)
    agents = AgentDirectory(database)
    agents.create("li", "小李", "password-1")
    agents.create("wang", "小王", "password-2")
    handoff = HandoffQueue(database).request(
        HandoffRequest("web:s1", "socketio", None, "zh", "regular", "neutral", "explicit", {}), available=True)
    database.engine.dispose()

    async def scenario():
        rasa, url = await fake_rasa([], {"down": False})
        replica = settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1]))
        server_a, server_b = TestServer(create_app(Services(replica))), TestServer(create_app(Services(replica)))
        await server_a.start_server()
        await server_b.start_server()
        li, wang = Browser(server_b), Browser(server_a)
        try:
            assert (await li.call("POST", "/api/login", {"username": "li", "password": "password-1"}))[0] == 200
            assert (await wang.call("POST", "/api/login", {"username": "wang", "password": "password-2"}))[0] == 200
            async with li.http.get(server_b.make_url("/api/stream")) as response:
                stream = EventSource(response)
                assert await stream.next() == ("ready", {})
                for server in (server_a, server_b):  # both hear the channel (they subscribe as they start)
                    await server.app[LIVE_HUB].wait_subscribed()
                assert (await wang.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200  # on server A
                seen = await stream.until(lambda kind, data: kind == "handoff")
                assert seen[-1] == ("handoff", {"kind": "handoff", "handoff": handoff.id})
                assert ("queue", {"kind": "queue"}) in seen
        finally:
            for browser in (li, wang):
                await browser.http.close()
            await server_a.close()
            await server_b.close()
            await rasa.cleanup()

    asyncio.run(scenario())
