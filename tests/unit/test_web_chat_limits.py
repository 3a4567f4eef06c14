"""The web chat's per-address limit, with the channel in a Sanic server of the test process (no Rasa model):
a new socket.io connection and a new session cost nothing, so connections, session requests and messages
together are limited per client address (BOT_RATE_PER_ADDRESS a minute); behind a proxy on this machine the
address is its X-Forwarded-For entry."""
import asyncio
import json
import uuid

import pytest
import websockets
from sanic import Sanic

from bot.channels.web_chat import VerifiedSocketIOInput
from tests.support.processes import free_port

LIMIT = 6


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


class Client:
    """A raw socket.io v5 client over a websocket, with the headers a proxy would add."""

    def __init__(self, url, headers=None):
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.headers = headers or {}
        self.ws = None

    async def connect(self):
        """True when the namespace was joined, False when the server refused the connection."""
        self.ws = await websockets.connect(self.url, extra_headers=self.headers)
        assert str(await asyncio.wait_for(self.ws.recv(), 5)).startswith("0")
        await self.ws.send("40")
        packet = str(await asyncio.wait_for(self.ws.recv(), 5))
        return packet.startswith("40")

    async def emit(self, name, data):
        await self.ws.send("42" + json.dumps([name, data], ensure_ascii=False))

    async def next_event(self, timeout=2):
        """(name, data) of the next event, or None when the server closed the connection or said nothing."""
        try:
            while True:
                packet = str(await asyncio.wait_for(self.ws.recv(), timeout))
                if packet.startswith("42"):
                    name, *args = json.loads(packet[2:])
                    return name, (args[0] if args else None)
                if packet.startswith("41"):
                    return None
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            return None

    async def close(self):
        await self.ws.close()


async def serve(settings, heard):
    async def bot(message):
        heard.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    app = Sanic(f"webchat-test-{uuid.uuid4().hex[:8]}")
    channel = VerifiedSocketIOInput(settings)
    app.blueprint(channel.blueprint(bot))
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    return server, f"http://127.0.0.1:{port}"


def settings_for(tmp_settings):
    return tmp_settings.with_overrides(customer_token_secret="s" * 40, rate_per_address=LIMIT)


def test_connections_sessions_and_messages_from_one_address_are_limited(tmp_settings):
    heard = []

    async def scenario():
        server, url = await serve(settings_for(tmp_settings), heard)
        clients = []
        try:
            first = Client(url)
            clients.append(first)
            assert await first.connect()  # 1
            await first.emit("session_request", {"session_id": None})  # 2
            assert (await first.next_event())[0] == "session_confirm"
            for n in range(3):  # 3, 4, 5
                await first.emit("user_uttered", {"message": f"m{n}", "customData": {"language": "zh"}})
                assert await first.next_event() == ("bot_uttered", {"text": f"echo: m{n}"})
            second = Client(url)
            clients.append(second)
            assert await second.connect()  # 6: the last one this minute
            await first.emit("user_uttered", {"message": "over", "customData": {"language": "en"}})
            name, data = await first.next_event()
            assert name == "bot_uttered" and "moment" in data["text"]  # asked to slow down, in English
            await second.emit("session_request", {"session_id": None})
            assert await second.next_event() is None  # the connection is ended, no session issued
            for _ in range(3):  # new connections from the address are refused: no new sessions for free
                rotating = Client(url)
                clients.append(rotating)
                assert not await rotating.connect()
            proxied = Client(url, {"X-Forwarded-For": "203.0.113.7"})  # another client behind our proxy
            clients.append(proxied)
            assert await proxied.connect()
            await proxied.emit("session_request", {"session_id": None})
            assert (await proxied.next_event())[0] == "session_confirm"
        finally:
            for client in clients:
                if client.ws is not None:
                    await client.close()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    assert heard == ["m0", "m1", "m2"]  # the message over the limit went no further
