"""WeChat's access_token shared by the replicas (cluster mode, issue #13). WeChat keeps one valid token per
account, so replicas that each fetched their own would invalidate each other's. Two API clients built as two
replicas build them (`WeChatApi.from_settings`, the machine's Redis, a prefix of the test's own) talk to the
local fake of WeChat's server, which counts the token fetches."""
import asyncio
import logging

import pytest
import redis

from bot.channels.wechat.api import WeChatApi
from bot.runtime.ports import free_port
from tests.support.services import fresh_redis_prefix, require_redis
from tools.wechat.fake_server import FakeWeChatServer

APP_ID, SECRET = "wx-app", "s3cret"


@pytest.fixture
def fake():
    with FakeWeChatServer(APP_ID, SECRET) as server:
        yield server


@pytest.fixture
def cluster_settings(tmp_settings, fake):
    url = require_redis()
    prefix = fresh_redis_prefix()
    yield tmp_settings.with_overrides(redis_url=url, redis_prefix=prefix, wechat_api_base=fake.url,
                                      wechat_app_id=APP_ID, wechat_app_secret=SECRET)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_replicas_fetch_one_token_and_share_it(cluster_settings, fake):
    async def scenario():
        a, b = WeChatApi.from_settings(cluster_settings), WeChatApi.from_settings(cluster_settings)
        try:
            # both start at once, several messages each: one of them fetches, the other waits for its token
            await asyncio.gather(*(api.send_text("o1", f"第{n}条") for n, api in enumerate([a, b] * 3)))
            await a.send_text("o2", "您好")
            await b.send_text("o2", "再见")
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())
    assert fake.token_requests == 1
    assert sorted(fake.messages_to("o1")) == sorted(f"第{n}条" for n in range(6))
    assert fake.messages_to("o2") == ["您好", "再见"]


def test_a_rejected_token_is_replaced_once_for_both_replicas(cluster_settings, fake):
    async def scenario():
        a, b = WeChatApi.from_settings(cluster_settings), WeChatApi.from_settings(cluster_settings)
        try:
            await a.send_text("o1", "第一条")
            await b.send_text("o1", "第二条")
            fake.revoke_tokens()  # as when WeChat no longer takes the token
            # both get 40001 with the same token: one fetches a new one, the other takes it from Redis
            await asyncio.gather(a.send_text("o1", "第三条"), b.send_text("o1", "第四条"))
            await b.send_text("o1", "第五条")
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())
    assert fake.token_requests == 2
    assert sorted(fake.messages_to("o1")) == sorted(["第一条", "第二条", "第三条", "第四条", "第五条"])


def test_messages_still_go_out_when_redis_cannot_be_reached(tmp_settings, fake, caplog):
    settings = tmp_settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0", wechat_api_base=fake.url,
                                           wechat_app_id=APP_ID, wechat_app_secret=SECRET)

    async def scenario():
        api = WeChatApi.from_settings(settings)
        try:
            await api.send_text("o1", "您的退款已经到账")
        finally:
            await api.close()

    with caplog.at_level(logging.ERROR, logger="bot.channels.wechat.api"):
        asyncio.run(scenario())
    assert fake.messages_to("o1") == ["您的退款已经到账"]
    assert "shared store is unavailable" in caplog.text
