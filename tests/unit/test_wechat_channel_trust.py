"""The WeChat channel's own checks, with the channel in a Sanic server of the test process (no Rasa model):
the bot is a stand-in that echoes, WeChat is the simulator and the local fake of WeChat's API server.

- a request signed correctly but with a timestamp outside BOT_WECHAT_MAX_AGE (a replay) gets 403 and is
  never processed;
- a message a crash left "processing" is answered through the customer-service API after the restart,
  exactly once (a second restart, and WeChat's retry of it, send nothing more)."""
import asyncio
import time
import uuid
from datetime import timedelta

import aiohttp
import pytest
from sanic import Sanic

from bot.channels.wechat.channel import WeChatInput
from bot.channels.wechat.inbox import WeChatInbox
from bot.services import Services
from bot.storage.models import utcnow
from tests.support.processes import free_port
from tools.wechat.fake_server import FakeWeChatServer
from tools.wechat.simulator import WeChatSimulator, message_xml

APP_ID, SECRET = "wxd0e1a2b3c4d5e6f7", "test-app-secret"


def settings_for(tmp_settings, fake):
    return tmp_settings.with_overrides(wechat_api_base=fake.url, wechat_app_id=APP_ID, wechat_app_secret=SECRET,
                                       wechat_mode="safe", wechat_passive_timeout_s=0.3)


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Several Sanic apps in one process, as sanic-testing allows (start-up rewrites are made once)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


class EchoBot:
    """Stands in for Rasa: answers every message with its text, and remembers what it was told."""

    def __init__(self):
        self.heard = []

    async def __call__(self, message):
        self.heard.append((message.sender_id, message.text))
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def serve_channel(settings, bot):
    """The channel in a Sanic server on a free port, its start-up listeners run; returns (server, url)."""
    app = Sanic(f"wechat-test-{uuid.uuid4().hex[:8]}")
    channel = WeChatInput(Services(settings))
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/wechat")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.after_start()
    return server, channel, f"http://127.0.0.1:{port}/webhooks/wechat/webhook"


async def stop(server, channel):
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()
    await channel._api.close()


async def post(url, query, body):
    async with aiohttp.ClientSession() as http:
        async with http.post(url, params=query, data=body, headers={"Content-Type": "text/xml"}) as response:
            return response.status, await response.text()


def test_a_replayed_request_outside_the_time_window_is_refused(tmp_settings, database):
    with FakeWeChatServer(APP_ID, SECRET) as fake:
        settings = settings_for(tmp_settings, fake)
        bot = EchoBot()

        async def scenario():
            server, channel, url = await serve_channel(settings, bot)
            try:
                wechat = WeChatSimulator(settings, url, "safe")
                xml = message_xml("o-replayed", "text", "你好", msg_id=101)
                old = str(int(time.time()) - settings.wechat_max_age_s - 60)
                ahead = str(int(time.time()) + settings.wechat_max_age_s + 60)
                for timestamp in (old, ahead, "not-a-time"):
                    status, _ = await post(url, *wechat.request_for(xml, timestamp=timestamp))
                    assert status == 403
                fresh_status, fresh = await post(url, *wechat.request_for(xml))
                assert fresh_status == 200 and wechat.read_reply(fresh) == "echo: 你好"
                # URL verification is held to the same window
                query, _ = wechat.request_for(xml, timestamp=old)
                async with aiohttp.ClientSession() as http:
                    async with http.get(url, params={**query, "echostr": "e"}) as response:
                        assert response.status == 403
            finally:
                await stop(server, channel)

        asyncio.run(scenario())
        assert bot.heard == [("wechat:o-replayed", "你好")]  # the stale ones never reached the bot


def test_a_message_cut_off_by_a_crash_is_answered_once_after_the_restart(tmp_settings, database):
    with FakeWeChatServer(APP_ID, SECRET) as fake:
        settings = settings_for(tmp_settings, fake)
        inbox = WeChatInbox(database)
        # What a crash leaves behind: received and being processed, never answered.
        assert inbox.first_time("msg:7001", "o-crashed", "text", "运费怎么算？")
        assert inbox.first_time("msg:7002", "o-ancient", "text", "还在吗？")
        assert inbox.first_time("msg:7003", "o-no-text", "text")
        from sqlalchemy import update

        from bot.storage.models import WeChatInbound

        with database.session() as session, session.begin():
            session.execute(update(WeChatInbound).values(received_at=utcnow() - timedelta(seconds=30)))
            session.execute(update(WeChatInbound).where(WeChatInbound.dedupe_key == "msg:7002")
                            .values(received_at=utcnow() - timedelta(days=3)))  # past WeChat's 48 hours
        bot = EchoBot()

        async def restart_and_wait():
            server, channel, url = await serve_channel(settings, bot)
            try:
                await asyncio.wait_for(channel._recovery, timeout=10)
            finally:
                await stop(server, channel)
            return url

        async def scenario():
            url = await restart_and_wait()
            assert fake.messages_to("o-crashed") == ["echo: 运费怎么算？"]
            assert inbox.state("msg:7001") == "api"
            await restart_and_wait()  # a second restart finds nothing left to do
            # and WeChat's retry of the message is recognised
            server, channel, url = await serve_channel(settings, bot)
            try:
                wechat = WeChatSimulator(settings, url, "safe")
                status, body = await post(url, *wechat.request_for(
                    message_xml("o-crashed", "text", "运费怎么算？", msg_id=7001)))
                assert (status, body) == (200, "success")
            finally:
                await stop(server, channel)

        asyncio.run(scenario())
        assert fake.messages_to("o-crashed") == ["echo: 运费怎么算？"]  # exactly once
        assert bot.heard == [("wechat:o-crashed", "运费怎么算？")]
        assert fake.messages_to("o-ancient") == [] and inbox.state("msg:7002") == "failed"
        assert inbox.state("msg:7003") == "failed"


class SlowBot(EchoBot):
    """Answers after WeChat's passive deadline, so the answer goes through the customer-service API."""

    async def __call__(self, message):
        await asyncio.sleep(0.5)
        await super().__call__(message)


@pytest.mark.parametrize("failure", [asyncio.TimeoutError(), RuntimeError("unexpected 13812345678"),
                                     KeyError("errcode")])
def test_a_delivery_that_fails_in_any_way_is_marked_failed_not_left_processing(tmp_settings, database, failure,
                                                                                caplog):
    with FakeWeChatServer(APP_ID, SECRET) as fake:
        settings = settings_for(tmp_settings, fake)
        inbox = WeChatInbox(database)

        async def scenario():
            server, channel, url = await serve_channel(settings, SlowBot())

            async def broken(openid, text):
                raise failure

            channel._api.send_text = broken
            try:
                wechat = WeChatSimulator(settings, url, "safe")
                status, body = await post(url, *wechat.request_for(message_xml("o-slow", "text", "在吗", msg_id=9001)))
                assert (status, body) == (200, "success")
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if inbox.state("msg:9001") != "processing":
                        break
            finally:
                await stop(server, channel)

        asyncio.run(scenario())
        # "processing" would be answered a second time after a restart
        assert inbox.state("msg:9001") == "failed"
        assert fake.messages_to("o-slow") == []
        logged = "\n".join(r.getMessage() for r in caplog.records if "not delivered" in r.getMessage())
        assert type(failure).__name__ in logged
