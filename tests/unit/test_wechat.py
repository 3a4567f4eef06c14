"""WeChat protocol pieces: signatures, XML in and out, AES against wechatpy, dedupe, the API client."""
import asyncio

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.inbox import WeChatInbox
from bot.channels.wechat.protocol import (
    GREET,
    UNSUPPORTED,
    BadRequest,
    check_xml,
    option_payload,
    read_message,
    signature_ok,
    split_text,
    with_numbered_options,
)
from tools.wechat.simulator import WeChatSimulator, message_xml, sign
from bot.storage.database import create_database
from bot.storage.migrations import migrate
from tools.wechat.fake_server import FakeWeChatServer

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>"""


def test_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce(project_settings):
    token = project_settings.wechat_token
    good = sign(token, "1700000000", "abc123")
    assert signature_ok(token, good, "1700000000", "abc123")
    assert not signature_ok(token, good, "1700000001", "abc123")
    assert not signature_ok(token, "", "1700000000", "abc123")


@pytest.mark.parametrize("body", [BOMB, XXE, b"<xml><Content>unclosed</xml>", b"not xml", b"<root/>",
                                  b"<xml>" + b"a" * 70_000 + b"</xml>"])
def test_unsafe_or_malformed_xml_is_refused(body):
    with pytest.raises(BadRequest):
        check_xml(body)


def test_messages_are_read_as_the_bot_should_hear_them():
    menu = {"FAQ_SHIPPING": "运费怎么算？"}
    text = read_message(message_xml("o1", "text", "你好", msg_id=42), menu)
    assert (text.openid, text.text, text.dedupe_key, text.account) == ("o1", "你好", "msg:42", "gh_galaxy_demo")
    assert read_message(message_xml("o1", "voice", "我的订单到哪了", msg_id=43), menu).text == "我的订单到哪了"
    assert read_message(message_xml("o1", "voice", "", msg_id=44), menu).text == UNSUPPORTED
    assert read_message(message_xml("o1", "image", msg_id=45), menu).text == UNSUPPORTED
    subscribe = read_message(message_xml("o1", "event", event="subscribe", create_time=1700000000), menu)
    assert subscribe.text == GREET and subscribe.dedupe_key == "event:o1:1700000000:subscribe:"
    same_second_click = read_message(message_xml("o1", "event", event="CLICK", event_key="FAQ_SHIPPING",
                                                 create_time=1700000000), menu)
    assert same_second_click.dedupe_key != subscribe.dedupe_key
    click = read_message(message_xml("o1", "event", event="CLICK", event_key="FAQ_SHIPPING"), menu)
    assert click.text == "运费怎么算？"
    assert read_message(message_xml("o1", "event", event="unsubscribe"), menu).text is None


def test_buttons_become_numbered_options_answered_by_number():
    text, payloads = with_numbered_options([
        {"text": "这个回答有帮助吗？", "buttons": [{"title": "有帮助", "payload": "/kb_helpful"},
                                               {"title": "没解决", "payload": "/kb_not_helpful"}]}])
    assert text == "这个回答有帮助吗？\n1. 有帮助\n2. 没解决"
    assert option_payload("2", payloads) == "/kb_not_helpful"
    assert option_payload("１", payloads) == "/kb_helpful"  # full-width digits from a Chinese keyboard
    assert option_payload("3", payloads) is None and option_payload("2 个", payloads) is None


def test_long_replies_are_split_within_the_byte_limit_at_sentence_ends():
    text = "。".join(["退货需要在签收后七天内申请"] * 200) + "。"
    parts = split_text(text, 2000)
    assert len(parts) > 1 and all(len(p.encode("utf-8")) <= 2000 for p in parts)
    assert all(p.endswith("。") for p in parts[:-1]) and "".join(parts) == text


def test_aes_round_trip_matches_wechatpy(project_settings):
    xml = message_xml("o1", "text", "退货运费谁出？", msg_id=7)
    simulator = WeChatSimulator(project_settings, "http://unused", mode="safe")
    query, body = simulator.request_for(xml, timestamp="1700000000", nonce="n0nce")
    crypto = WeChatCrypto(project_settings.wechat_token, project_settings.wechat_aes_key,
                          project_settings.wechat_app_id)
    assert crypto.decrypt_message(body.decode(), query["msg_signature"], "1700000000", "n0nce") == xml
    reply = crypto.encrypt_message("<xml><Content><![CDATA[卖家承担]]></Content></xml>", "n0nce", "1700000000")
    assert simulator.read_reply(reply) == "卖家承担"


def test_a_message_is_processed_once_even_after_a_restart(tmp_settings):
    database = create_database(tmp_settings.database_url)
    migrate(database.engine)
    assert WeChatInbox(database).first_time("msg:1", "o1", "text")
    assert not WeChatInbox(database).first_time("msg:1", "o1", "text")
    database.engine.dispose()
    restarted = create_database(tmp_settings.database_url)
    assert not WeChatInbox(restarted).first_time("msg:1", "o1", "text")
    assert WeChatInbox(restarted).first_time("event:o1:1700000000", "o1", "event")


def test_access_token_is_cached_and_refreshed_when_wechat_rejects_it():
    with FakeWeChatServer("wx-app", "s3cret") as fake:
        async def scenario():
            api = WeChatApi(fake.url, "wx-app", "s3cret")
            await api.send_text("o1", "第一条")
            await api.send_text("o1", "第二条")
            assert fake.token_requests == 1  # cached
            fake.revoke_tokens()
            await api.send_text("o1", "第三条")  # 40001 → a new token, then sent
            await api.close()

        asyncio.run(scenario())
        assert fake.messages_to("o1") == ["第一条", "第二条", "第三条"] and fake.token_requests == 2
