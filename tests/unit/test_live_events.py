"""The console's live events: the in-process broadcaster, what the conversation feed announces, and the
console's event stream (GET /api/stream) in the web app with its feed reader, as an agent's browser reads it."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import aiohttp
from aiohttp.test_utils import TestServer

from bot.handoff.agents import AgentDirectory
from bot.handoff.live_events import RESYNC, FeedAnnouncer, LiveEvent, LocalBroadcaster, NoPublisher
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.rasa.event_feed import event_broker_endpoint
from bot.services import Services
from bot.storage.models import utcnow
from bot.web.app import create_app
from tests.support.fake_rasa import fake_rasa


def request(conversation_id: str) -> HandoffRequest:
    return HandoffRequest(conversation_id, "socketio", None, "zh", "regular", "neutral", "explicit",
                          {"summary": {"zh": "要找人工"}})


# the broadcaster ------------------------------------------------------------------------------------------
def test_every_subscriber_hears_each_event_in_order_until_it_leaves():
    async def scenario():
        hub = LocalBroadcaster()
        first, second = hub.subscribe(), hub.subscribe()
        await hub.publish(LiveEvent("queue"))
        await hub.publish(LiveEvent("messages", handoff=3))
        assert [await first.get(), await first.get()] == [LiveEvent("queue"), LiveEvent("messages", handoff=3)]
        second.close()
        assert await second.get() == LiveEvent("queue")  # what it had already received
        assert await second.get() == LiveEvent("messages", handoff=3)
        assert await second.get() is None and hub.subscribers == 1
        await hub.close()
        assert await first.get() is None and await first.get() is None

    asyncio.run(scenario())


def test_a_subscriber_too_far_behind_is_told_to_resync_instead():
    async def scenario():
        hub = LocalBroadcaster(backlog=3)
        slow = hub.subscribe()
        for number in range(10):
            await hub.publish(LiveEvent("messages", handoff=number))
        assert await slow.get() == RESYNC
        await hub.publish(LiveEvent("queue"))
        assert await slow.get() == LiveEvent("queue")

    asyncio.run(scenario())


def test_an_event_from_another_server_is_read_only_when_well_formed():
    event = LiveEvent("reply", reply=7, status="delivered")
    assert LiveEvent.from_json(event.to_json()) == event
    assert event.as_dict() == {"kind": "reply", "reply": 7, "status": "delivered"}
    for raw in (b"nonsense", "[]", '{"kind": "explode"}', '{"handoff": 1}', None):
        assert LiveEvent.from_json(raw) is None
    assert LiveEvent.from_json('{"kind": "messages", "handoff": "1; drop"}') == LiveEvent("messages")


# what the feed announces ------------------------------------------------------------------------------------
def test_new_messages_announce_their_handoff_and_the_queue_only_while_it_waits(database):
    queue = HandoffQueue(database)
    waiting = queue.request(request("web:waiting"), available=True)
    claimed = queue.request(request("web:claimed"), available=True)
    cancelled = queue.request(request("web:cancelled"), available=True)
    old = queue.request(request("web:old"), available=True)
    from sqlalchemy import update

    from bot.storage.models import Handoff

    with database.session() as session, session.begin():
        session.execute(update(Handoff).where(Handoff.id == claimed.id).values(status="claimed"))
        session.execute(update(Handoff).where(Handoff.id == old.id)
                        .values(status="resolved", closed_at=utcnow() - timedelta(hours=1)))
    queue.cancel_by_customer("web:cancelled")
    announcer = FeedAnnouncer(database, NoPublisher())
    assert announcer.events_for(["web:waiting"]) == [LiveEvent("queue"), LiveEvent("messages", handoff=waiting.id)]
    assert announcer.events_for(["web:claimed", "web:nobody"]) == [LiveEvent("messages", handoff=claimed.id)]
    assert announcer.events_for(["web:cancelled"]) == [LiveEvent("queue"), LiveEvent("messages", handoff=cancelled.id)]
    assert announcer.events_for(["web:old"]) == [LiveEvent("messages", handoff=old.id)]


# the console's stream, in the web app ------------------------------------------------------------------------
class Browser:
    def __init__(self, server: TestServer) -> None:
        self._server = server
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, method, path, body=None):
        headers = {"Origin": str(self._server.make_url("/").origin())}
        async with self.http.request(method, self._server.make_url(path), json=(body or {}) if method == "POST" else None,
                                     headers=headers) as response:
            return response.status, await response.json(content_type=None)


class EventSource:
    """Reads a text/event-stream response the way a browser's EventSource does: (event, data) pairs."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 10.0):
        kind, data = "message", None
        while True:
            line = (await asyncio.wait_for(self.response.content.readline(), timeout)).decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                return kind, data

    async def until(self, wanted, timeout: float = 10.0):
        """The events up to the first that `wanted` accepts (which is the last one)."""
        seen = []
        deadline = asyncio.get_running_loop().time() + timeout
        while not seen or not wanted(*seen[-1]):
            seen.append(await self.next(max(0.1, deadline - asyncio.get_running_loop().time())))
        return seen


def test_an_agents_stream_hears_a_customer_ask_for_a_person_and_another_agent_claim(database, tmp_settings):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    agents = AgentDirectory(database)
    agents.create("li", "小李", "password-1")
    agents.create("wang", "小王", "password-2")
    calls, state = [], {"down": False}

    async def scenario():
        rasa, url = await fake_rasa(calls, state)
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1])))
        server = TestServer(create_app(services))
        await server.start_server()
        li, wang, stranger = Browser(server), Browser(server), Browser(server)
        try:
            async with stranger.http.get(server.make_url("/api/stream")) as refused:
                assert refused.status == 401
            assert (await li.call("POST", "/api/login", {"username": "li", "password": "password-1"}))[0] == 200
            assert (await wang.call("POST", "/api/login", {"username": "wang", "password": "password-2"}))[0] == 200
            async with li.http.get(server.make_url("/api/stream")) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/event-stream")
                stream = EventSource(response)
                assert await stream.next() == ("ready", {})

                # the customer asks for a person: the action server queues the handoff, Rasa publishes the turn
                handoff = HandoffQueue(database).request(request("web:s9"), available=True)
                broker = await EventBroker.create(EndpointConfig.from_dict(event_broker_endpoint(tmp_settings)))
                broker.publish({"sender_id": "web:s9", "event": "user", "timestamp": 1.0, "text": "转人工"})
                broker.publish({"sender_id": "web:s9", "event": "bot", "timestamp": 1.1, "text": "正在为您转接"})
                seen = await stream.until(lambda kind, data: kind == "messages")
                assert ("queue", {"kind": "queue"}) in seen
                assert seen[-1] == ("messages", {"kind": "messages", "handoff": handoff.id})
                status, body = await li.call("GET", f"/api/handoffs/{handoff.id}/messages")
                assert [m["text"] for m in body["messages"]] == ["转人工", "正在为您转接"]

                # another agent takes it: the queue changed, and so did the handoff
                assert (await wang.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200
                seen = await stream.until(lambda kind, data: kind == "handoff")
                assert seen[-1] == ("handoff", {"kind": "handoff", "handoff": handoff.id})
                assert ("queue", {"kind": "queue"}) in seen

                # the agent's reply is delivered through Rasa
                status, reply = await wang.call("POST", f"/api/handoffs/{handoff.id}/reply", {"text": "您好，我是小王"})
                assert status == 201
                seen = await stream.until(lambda kind, data: kind == "reply")
                assert seen[-1] == ("reply", {"kind": "reply", "reply": reply["id"], "status": "delivered"})
        finally:
            for browser in (li, wang, stranger):
                await browser.http.close()
            await server.close()
            await rasa.cleanup()

    asyncio.run(scenario())
