"""The real assistant (`python -m bot run`) on free ports, talked to over REST."""
import re
import uuid

import pytest

from tests.support.processes import AssistantProcess

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("assistant-var"))
    process.start()
    yield process
    if process.process.poll() is None:
        process.stop()


def texts(messages):
    return [m.get("text", "") for m in messages]


def is_chinese(text):
    return len(HAN.findall(text)) > 5


def test_chinese_then_english_conversation(assistant):
    sender = f"it-{uuid.uuid4().hex[:8]}"
    welcome = texts(assistant.say(sender, "你好"))
    assert welcome and is_chinese(welcome[0]) and "小星" in welcome[0]

    bot = texts(assistant.say(sender, "你是机器人吗"))
    assert is_chinese(bot[0]) and "机器人" in bot[0] or "AI" in bot[0]

    english = texts(assistant.say(sender, "hello, are you a bot?"))
    assert english and not HAN.search(english[0])

    bye = texts(assistant.say(sender, "ok thanks, bye"))
    assert bye and not HAN.search(bye[0])


def test_english_first_message_gets_an_english_welcome(assistant):
    welcome = texts(assistant.say(f"it-{uuid.uuid4().hex[:8]}", "hi there"))
    assert welcome and "Galaxy Digital" in welcome[0] and not HAN.search(welcome[0])


def test_fallback_is_honest_and_offers_a_person(assistant):
    sender = f"it-{uuid.uuid4().hex[:8]}"
    reply = assistant.say(sender, "asdkjh qwe zxc")[0]
    assert "request_human" in [b["payload"].lstrip("/") for b in reply["buttons"]]
    assert "Talk to a person" in [b["title"] for b in reply["buttons"]]


def test_a_signed_in_customer_is_recognised_and_sees_their_order(assistant):
    # Recognised by the store's signed token (the sender id alone is no identity: tests/integration/test_identity.py).
    reply = texts(assistant.say("wang-shop-session", "帮我查下订单 GD2611180002", customer="C1001"))
    assert any("SF1402938479921" in t for t in reply), reply
    tracker = assistant.tracker("wang-shop-session", customer="C1001")
    assert tracker["slots"]["customer_tier"] == "vip"
    assert tracker["slots"]["language"] == "zh"


def test_an_order_of_another_customer_is_not_shown(assistant):
    reply = texts(assistant.say("li-shop-session", "GD2611180002", customer="C1002"))
    assert reply and "SF1402938479921" not in reply[0] and "GD2611180002" in reply[0]
    assert "不在您当前的账户下" in reply[0]


def test_conversations_survive_a_restart_and_stop_leaves_no_process(trained_model, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("restart-var")
    first = AssistantProcess(var_dir=var_dir)
    first.start()
    try:
        first.say("restart-customer", "您好")
        first.say("restart-customer", "GD2611200003")
        first.say("restart-customer", "气死了！！！耳机用了两天就坏了，太垃圾了")
        filed = " ".join(m.get("text", "") for m in first.say("restart-customer", "13812345678"))
        ticket = re.search(r"TK\d{10}", filed).group(0)
    finally:
        assert first.stop() == 0
    assert first.child_processes() == []

    second = AssistantProcess(var_dir=var_dir)
    second.start()
    try:
        events = second.tracker("restart-customer")["events"]
        said = [e.get("text") for e in events if e.get("event") == "user"]
        assert said[:2] == ["您好", "GD2611200003"]
        status = " ".join(m.get("text", "") for m in second.say("restart-customer", "我的投诉处理得怎么样了"))
        assert ticket in status
    finally:
        second.stop()
    assert second.child_processes() == []


def test_socketio_customer_with_session_persistence_gets_replies(assistant):
    """The web widget's channel: Rasa 3.6 needs python-socketio 5.8 for this (see requirements/base.in)."""
    import asyncio
    import time

    from benchmarks.loadgen import _SocketIO

    async def converse():
        client = _SocketIO(assistant.url)
        await client.connect()
        await client.emit("session_request", {"session_id": None})
        session, _at = await client.wait_for_event("session_confirm", 10)  # issued and signed by the server
        started = time.perf_counter()
        await client.emit("user_uttered", {"message": "你好", "session_id": session})
        while True:
            name, data, _at = await asyncio.wait_for(client.events.get(), 30)
            if name == "bot_uttered":
                await client.close()
                return data, time.perf_counter() - started

    data, _seconds = asyncio.run(converse())
    assert is_chinese(data["text"]) and "小星" in data["text"]
