"""The web chat across replicas (cluster mode, issue #13): two web-chat servers in this test process, each
with its own socket.io server, its own Redis client manager and its own HTTP port, on the machine's Redis,
and real socket.io clients. An agent's reply executed on the replica without the customer's connection
reaches the customer's browser; a browser that reconnects to the other replica resumes its conversation;
the per-address limit counts both replicas together. Without Redis (the embedded default) one server still
delivers as before."""
import asyncio
import uuid

import pytest
import redis
import socketio
from sanic import Sanic

from bot.channels.web_chat import VerifiedSocketIOInput
from bot.identity.customer_tokens import CustomerTokens
from tests.support.processes import free_port
from tests.support.services import fresh_redis_prefix, require_redis

SECRET = "s" * 40


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def cluster_settings(tmp_settings):
    url = require_redis()
    prefix = fresh_redis_prefix()
    yield tmp_settings.with_overrides(redis_url=url, redis_prefix=prefix, customer_token_secret=SECRET)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


class Replica:
    """One web-chat server (what one Rasa replica serves on /socket.io), answering "echo: …"."""

    def __init__(self, settings):
        self.channel = VerifiedSocketIOInput(settings)
        self.heard = []
        self.server = None
        self.url = ""

    async def start(self):
        async def bot(message):
            self.heard.append((message.sender_id, message.text))
            await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

        app = Sanic(f"replica-{uuid.uuid4().hex[:8]}")
        app.blueprint(self.channel.blueprint(bot))
        port = free_port()
        self.server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await self.server.startup()
        await self.server.after_start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def agent_says(self, conversation, text, agent="小王"):
        """What Rasa does with an agent's reply (output_channel=latest): the channel's output, on this replica."""
        await self.channel.get_output_channel().send_text_message(conversation, text, agent=agent)

    async def stop(self):
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()


class Browser:
    """A socket.io client as the widget uses it: session_request, session_confirm, user_uttered, bot_uttered."""

    def __init__(self, token=None):
        self.client = socketio.AsyncClient(reconnection=False)
        self.events = asyncio.Queue()
        self.token = token
        for name in ("session_confirm", "bot_uttered"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name):
        async def record(data=None):
            await self.events.put((name, data))
        return record

    async def open(self, replica, session_id=None):
        await self.client.connect(replica.url, socketio_path="/socket.io", transports=["websocket"],
                                  auth={"token": self.token} if self.token else None, wait_timeout=5)
        await self.client.emit("session_request", {"session_id": session_id})
        name, session = await self.next()
        assert name == "session_confirm"
        return session

    async def next(self, timeout=5):
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self):
        await self.client.disconnect()


def conversation_of(session):
    return "web:" + session.split(".")[0]


def test_an_agents_reply_made_on_one_replica_reaches_a_customer_connected_to_the_other(cluster_settings):
    async def scenario():
        a, b = await Replica(cluster_settings).start(), await Replica(cluster_settings).start()
        browser = Browser()
        try:
            session = await browser.open(a)
            conversation = conversation_of(session)
            await b.agent_says(conversation, "您好，我是客服小王，马上为您查询。")  # executed on replica B
            name, data = await browser.next()
            assert name == "bot_uttered" and data["text"] == "您好，我是客服小王，马上为您查询。"
            assert data["customCss"]["agent"] == "小王"  # the widget names the agent
            await browser.client.emit("user_uttered", {"message": "好的，谢谢", "customData": {"language": "zh"}})
            assert await browser.next() == ("bot_uttered", {"text": "echo: 好的，谢谢"})  # the bot's own answer
            assert a.heard == [(conversation, "好的，谢谢")] and b.heard == []
        finally:
            await browser.close()
            await a.stop()
            await b.stop()

    asyncio.run(scenario())


def test_a_browser_that_reconnects_to_the_other_replica_resumes_its_conversation(cluster_settings):
    token = CustomerTokens(SECRET).issue("C1001")  # a signed-in customer, two tabs on two replicas

    async def scenario():
        a, b = await Replica(cluster_settings).start(), await Replica(cluster_settings).start()
        first, second = Browser(token), Browser(token)
        try:
            session = await first.open(a)
            assert await second.open(b, session) == session  # resumed on B, from the signature alone
            await second.client.emit("user_uttered", {"message": "我的订单到哪了", "customData": {"language": "zh"}})
            # the answer, sent on B to the conversation's room, reaches both tabs
            assert await second.next() == ("bot_uttered", {"text": "echo: 我的订单到哪了"})
            assert await first.next() == ("bot_uttered", {"text": "echo: 我的订单到哪了"})
            assert b.heard == [(conversation_of(session), "我的订单到哪了")]
            stranger = Browser()  # a guest presenting the customer's session id gets a new conversation
            try:
                assert conversation_of(await stranger.open(b, session)) != conversation_of(session)
            finally:
                await stranger.close()
        finally:
            await first.close()
            await second.close()
            await a.stop()
            await b.stop()

    asyncio.run(scenario())


def test_the_per_address_limit_counts_connections_to_every_replica_together(cluster_settings):
    settings = cluster_settings.with_overrides(rate_per_address=4)

    async def scenario():
        a, b = await Replica(settings).start(), await Replica(settings).start()
        browsers = [Browser(), Browser()]
        try:
            await browsers[0].open(a)  # a connection and a session: 2
            await browsers[1].open(b)  # on the other replica: 4
            late = Browser()
            with pytest.raises(socketio.exceptions.ConnectionError):
                await late.client.connect(a.url, socketio_path="/socket.io", transports=["websocket"],
                                          wait_timeout=5)
        finally:
            for browser in browsers:
                await browser.close()
            await a.stop()
            await b.stop()

    asyncio.run(scenario())


def test_without_redis_one_server_delivers_an_agents_reply_as_before(tmp_settings):
    settings = tmp_settings.with_overrides(customer_token_secret=SECRET)
    assert not settings.cluster

    async def scenario():
        replica = await Replica(settings).start()
        browser = Browser()
        try:
            conversation = conversation_of(await browser.open(replica))
            await replica.agent_says(conversation, "Hello, this is Wang from customer service.", agent="Wang")
            name, data = await browser.next()
            assert name == "bot_uttered" and data["text"] == "Hello, this is Wang from customer service."
        finally:
            await browser.close()
            await replica.stop()

    asyncio.run(scenario())
