"""The WeChat channel against the running Rasa server, with a faithful local fake of WeChat's API server."""
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tools.wechat.simulator import WeChatSimulator, message_xml
from bot.settings import load_settings
from tests.support.console_client import ConsoleClient
from tools.wechat.fake_server import FakeWeChatServer
from tests.support.processes import PROJECT_ROOT, AssistantProcess

APP_ID, SECRET = "wxd0e1a2b3c4d5e6f7", "test-app-secret"


def start(tmp_path_factory, fake, name, **extra):
    env = {"BOT_WECHAT_API_BASE": fake.url, "BOT_WECHAT_APP_ID": APP_ID, "BOT_WECHAT_APP_SECRET": SECRET,
           "BOT_WECHAT_MODE": "safe", "BOT_SERVICE_HOURS": "00:00-24:00", **extra}
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp(name), extra_env=env)
    process.start()
    return process


@pytest.fixture(scope="module")
def fake():
    with FakeWeChatServer(APP_ID, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory, fake):
    process = start(tmp_path_factory, fake, "wechat-var")
    yield process
    process.stop()


def simulator_for(assistant, mode="safe"):
    settings = load_settings(assistant.environment())
    return WeChatSimulator(settings, f"{assistant.url}/webhooks/wechat/webhook", mode)


def openid():
    return f"o-{uuid.uuid4().hex[:12]}"


def user_messages(assistant, openid):
    """What the customer said, from their conversation ("wechat:<openid>": ids are namespaced by channel)."""
    return [e["text"] for e in assistant.tracker(f"wechat:{openid}")["events"] if e["event"] == "user"]


def test_url_verification_and_forged_signatures(assistant):
    wechat = simulator_for(assistant)
    assert wechat.verify_url() == (200, "echo-check")
    forged = wechat.post(message_xml(openid(), "text", "你好"), forge=True)
    assert forged.status == 403


def test_chinese_faq_in_safe_mode_with_numbered_options(assistant):
    wechat, customer = simulator_for(assistant), openid()
    answer = wechat.post(message_xml(customer, "text", "运费怎么算？包邮吗？"))
    assert answer.status == 200 and "<Encrypt>" in answer.body  # the reply is encrypted too
    assert "包邮" in answer.reply and answer.seconds < 4.5
    assert "1. 有帮助" in answer.reply  # the feedback buttons, as numbered options
    thanks = wechat.post(message_xml(customer, "text", "1"))
    assert "谢谢" in thanks.reply or "帮上忙" in thanks.reply
    assert "/kb_helpful" in user_messages(assistant, customer)


@pytest.mark.parametrize("mode", ["plaintext", "compatible"])
def test_other_modes_are_refused_by_a_safe_mode_account_unless_encrypted(assistant, mode):
    wechat = simulator_for(assistant, mode)
    delivery = wechat.post(message_xml(openid(), "text", "你好"))
    assert delivery.status == (400 if mode == "plaintext" else 200)


def test_voice_image_subscribe_and_menu(assistant):
    wechat, customer = simulator_for(assistant), openid()
    assert "小星" in wechat.post(message_xml(customer, "event", event="subscribe")).reply
    assert "包邮" in wechat.post(message_xml(customer, "voice", "运费怎么算？包邮吗？")).reply
    assert "图片" in wechat.post(message_xml(customer, "image")).reply
    assert "包邮" in wechat.post(message_xml(customer, "event", event="CLICK", event_key="FAQ_SHIPPING")).reply


def test_three_retries_of_one_msgid_are_processed_once(assistant):
    wechat, customer = simulator_for(assistant), openid()
    xml = message_xml(customer, "text", "保修期是多久？", msg_id=int(time.time() * 1000))
    with ThreadPoolExecutor(3) as pool:
        deliveries = list(pool.map(lambda _: wechat.post(xml), range(3)))
    assert [d.status for d in deliveries] == [200, 200, 200]
    assert sum(1 for d in deliveries if d.reply) == 1  # one answer; the retries get "success"
    assert user_messages(assistant, customer) == ["保修期是多久？"]


def test_xml_bomb_gets_400_and_the_next_message_is_answered(assistant):
    wechat, customer = simulator_for(assistant), openid()
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;</Content></xml>')
    query, _ = wechat.request_for(message_xml(customer, "text", "x"))
    assert wechat.post_raw({k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")},
                           bomb.encode()).status == 400
    assert wechat.post_raw(query, b"<xml><Encrypt>broken").status == 400
    assert "包邮" in wechat.post(message_xml(customer, "text", "运费怎么算？包邮吗？")).reply


def test_agent_replies_reach_a_wechat_customer_through_the_api(assistant, fake):
    subprocess.run([sys.executable, "-m", "bot", "agents", "add", "qian", "--name", "小钱", "--password-stdin"],
                   input="qian-password-1\n", text=True, check=True, cwd=PROJECT_ROOT,
                   env=assistant.environment(), capture_output=True)
    agent = ConsoleClient(assistant.web_url)
    agent.login("qian", "qian-password-1")
    wechat, customer = simulator_for(assistant), openid()
    assert "人工客服" in wechat.post(message_xml(customer, "text", "转人工")).reply
    handoff = next(h for h in agent.overview()["queue"] if h["conversation_id"] == f"wechat:{customer}")
    assert handoff["channel"] == "wechat"
    assert agent.call("POST", f"/api/handoffs/{handoff['id']}/claim")[0] == 200
    assert agent.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": "您好，我是小钱"})[0] == 201
    messages = fake.wait_for_message(customer, count=2)
    assert "小钱" in messages[0] and messages[1] == "您好，我是小钱"


def test_a_slow_answer_says_success_then_arrives_through_the_api(trained_model, tmp_path_factory, fake):
    slow = start(tmp_path_factory, fake, "wechat-slow-var", BOT_DEBUG_ANSWER_DELAY="6")
    try:
        wechat, customer = simulator_for(slow), openid()
        xml = message_xml(customer, "text", "运费怎么算？包邮吗？", msg_id=int(time.time() * 1000) + 1)
        first = wechat.post(xml)
        assert first.status == 200 and first.body == "success" and first.seconds < 5
        retry = wechat.post(xml)  # WeChat retries after 5 s: recognised, not processed again
        assert retry.body == "success"
        messages = fake.wait_for_message(customer, timeout=30)
        assert "包邮" in messages[0]
        assert user_messages(slow, customer) == ["运费怎么算？包邮吗？"]
    finally:
        slow.stop()
