"""WeChat's checks without a server: signatures in constant time (and the ciphertext's own signature),
the timestamp window, the inbox's recovery of messages a crash cut off, and a customer out of reach."""
import asyncio
from datetime import timedelta

import pytest

from bot.channels.wechat import protocol
from bot.channels.wechat.api import WeChatApi, WeChatApiError
from bot.channels.wechat.inbox import WeChatInbox
from bot.handoff.gateway import UNDELIVERABLE_MARK
from bot.storage.models import utcnow
from tools.wechat.fake_server import FakeWeChatServer
from tools.wechat.simulator import WeChatSimulator, message_xml, sign


def test_signatures_are_compared_in_constant_time(monkeypatch, project_settings):
    token = project_settings.wechat_token
    compared = []
    real = protocol.hmac.compare_digest
    monkeypatch.setattr(protocol.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    good = sign(token, "1700000000", "abc")
    assert protocol.signature_ok(token, good, "1700000000", "abc")
    assert not protocol.signature_ok(token, good[:-1] + "0", "1700000000", "abc")
    assert not protocol.signature_ok(token, "签名", "1700000000", "abc")  # not even ASCII: refused, no error
    assert len(compared) == 3


def test_an_encrypted_messages_own_signature_covers_the_ciphertext(project_settings):
    simulator = WeChatSimulator(project_settings, "http://unused", mode="safe")
    query, body = simulator.request_for(message_xml("o1", "text", "你好", msg_id=1), timestamp="1700000000",
                                        nonce="n0nce")
    encrypt = protocol.encrypted_part(body)
    token = project_settings.wechat_token
    assert protocol.message_signature_ok(token, query["msg_signature"], "1700000000", "n0nce", encrypt)
    assert not protocol.message_signature_ok(token, query["msg_signature"], "1700000000", "n0nce", encrypt + "A")


@pytest.mark.parametrize("timestamp, fresh", [
    ("1700000000", True), ("1699999700", True), ("1699999699", False), ("1700000301", False), ("", False),
    ("abc", False), ("1e9", False),
])
def test_the_timestamp_window(timestamp, fresh):
    assert protocol.timestamp_fresh(timestamp, now=1700000000.0, max_age_s=300) is fresh


def test_messages_cut_off_are_taken_once_and_the_text_is_kept_only_until_answered(database):
    inbox = WeChatInbox(database)
    assert inbox.first_time("msg:1", "o1", "text", "你好")
    assert inbox.first_time("msg:2", "o2", "text", "在吗")
    later = utcnow() + timedelta(seconds=1)
    taken = inbox.take_stuck(later, utcnow() - timedelta(hours=48))
    assert [(m.dedupe_key, m.openid, m.text) for m in taken] == [("msg:1", "o1", "你好"), ("msg:2", "o2", "在吗")]
    assert inbox.take_stuck(later, utcnow() - timedelta(hours=48)) == []  # nobody takes them again
    inbox.mark("msg:1", "api")
    assert inbox.state("msg:1") == "api" and inbox.state("msg:2") == "recovering"
    # A crash while recovering: the next start leaves it rather than risk answering twice.
    assert inbox.take_stuck(later, utcnow() - timedelta(hours=48)) == []
    inbox.mark("msg:2", "api")
    from sqlalchemy import select

    from bot.storage.models import WeChatInbound

    with database.session() as session:
        assert session.execute(select(WeChatInbound.text)).scalars().all() == [None, None]


def test_a_customer_past_the_48_hour_window_is_reported_undeliverable():
    with FakeWeChatServer("wx-app", "s3cret") as fake:
        fake.out_of_window.add("o-silent")

        async def scenario():
            api = WeChatApi(fake.url, "wx-app", "s3cret")
            try:
                with pytest.raises(WeChatApiError) as refused:
                    await api.send_text("o-silent", "您好")
                assert UNDELIVERABLE_MARK in str(refused.value) and "45015" in str(refused.value)
                await api.send_text("o-talking", "您好")
            finally:
                await api.close()

        asyncio.run(scenario())
        assert fake.messages_to("o-talking") == ["您好"]
