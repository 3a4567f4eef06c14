"""Handoff over the real servers: Rasa, the action server and the web server with the console API,
a customer on REST or socket.io, agents on the console API, and the SQLite database."""
import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.support.console_client import ConsoleClient
from tests.support.processes import PROJECT_ROOT, AssistantProcess
from tests.support.socket_customer import SocketCustomer

ALWAYS_OPEN = {"BOT_SERVICE_HOURS": "00:00-24:00", "BOT_SERVICE_DAYS": "1-7"}


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("handoff-var"), extra_env=ALWAYS_OPEN)
    process.start()
    for username, name in (("li", "小李"), ("wang", "小王")):
        subprocess.run([sys.executable, "-m", "bot", "agents", "add", username, "--name", name, "--password-stdin"],
                       input=f"pass-{username}-123\n", text=True, check=True, cwd=PROJECT_ROOT,
                       env=process.environment(), capture_output=True)
    yield process
    process.stop()


def rows(assistant, sql):
    engine = create_engine(f"sqlite:///{assistant.var_dir / 'assistant.db'}")
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(sql))]


def joined(messages):
    return "\n".join(m.get("text", "") for m in messages)


def shown_to(agent, handoff_id, *texts, timeout=10.0):
    """The agent's transcript once it shows `texts` (or after `timeout`): messages reach it through the
    conversation feed (Rasa's event broker), a moment after the customer was answered."""
    deadline = time.monotonic() + timeout
    while True:
        shown = joined(agent.messages(handoff_id))
        if all(text in shown for text in texts) or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def sign_in(assistant, username):
    agent = ConsoleClient(assistant.web_url)
    agent.login(username, f"pass-{username}-123")
    return agent


def queued_for(agent, conversation_id):
    for _ in range(50):
        for handoff in agent.overview()["queue"]:
            if handoff["conversation_id"] == conversation_id:
                return handoff
        time.sleep(0.2)
    raise AssertionError(f"{conversation_id} never reached the queue")


def test_nobody_online_customer_leaves_a_message_for_a_callback(assistant):
    sender = f"late-{uuid.uuid4().hex[:6]}"
    assistant.say(sender, "新买的手环充不进电")
    offer = joined(assistant.say(sender, "转人工"))
    assert "留言" in offer and "HD" in offer
    taken = joined(assistant.say(sender, "换了充电线也不行，请明天上午联系我"))
    assert "留言已收到" in taken or "留言记好了" in taken
    conversation = assistant.conversation_id(sender)
    row = rows(assistant, f"select * from handoffs where conversation_id = '{conversation}'")[0]
    assert row["status"] == "callback" and "明天上午" in row["callback_message"]
    assert "手环" in row["context_json"]  # the context travels with the callback
    agent = sign_in(assistant, "li")
    assert conversation in [h["conversation_id"] for h in agent.overview()["callbacks"]]


def test_handoff_with_context_claim_race_silence_reply_and_hand_back(assistant):
    li, wang = sign_in(assistant, "li"), sign_in(assistant, "wang")
    sender = f"rest-{uuid.uuid4().hex[:6]}"
    assistant.say(sender, "退货运费谁出？")
    queued_reply = assistant.say(sender, "我要转人工")
    assert "人工客服" in joined(queued_reply)  # every variation names it; the way back is a button
    assert "/cancel" in [b["payload"] for m in queued_reply for b in m.get("buttons", [])]
    waiting = joined(assistant.say(sender, "订单号是 GD2611200003"))
    assert "转给客服" in waiting or "同事接入后" in waiting

    handoff = queued_for(li, assistant.conversation_id(sender))
    status, detail = li.call("GET", f"/api/handoffs/{handoff['id']}")
    context = detail["context"]
    assert context["kb_answers"] and context["kb_answers"][0]["question"] == "退货运费谁出？"
    assert "退货运费谁出" in context["summary"]["zh"]
    assert any(t["who"] == "customer" and t["intent"] for t in context["transcript"])
    assert "GD2611200003" in shown_to(li, handoff["id"], "GD2611200003")  # written while waiting: reaches the agent

    results = {}
    barrier = threading.Barrier(2)

    def claim(name, agent):
        barrier.wait()
        results[name] = agent.call("POST", f"/api/handoffs/{handoff['id']}/claim")[0]

    threads = [threading.Thread(target=claim, args=pair) for pair in (("li", li), ("wang", wang))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results.values()) == [200, 409]
    owner = li if results["li"] == 200 else wang
    other = wang if owner is li else li
    assert other.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": "我来"})[0] == 403

    assert assistant.say(sender, "你好，还在吗？") == []  # paused: the bot stays silent
    assert "还在吗" in shown_to(owner, handoff["id"], "还在吗")
    assert owner.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": "在的，我来帮您看运费"})[0] == 201
    assert owner.call("POST", f"/api/handoffs/{handoff['id']}/note", {"text": "老客户，语气平和"})[0] == 201
    tracker = assistant.tracker(sender)
    assert tracker["paused"] and "在的，我来帮您看运费" in [e.get("text") for e in tracker["events"]]

    assert owner.call("POST", f"/api/handoffs/{handoff['id']}/return")[0] == 200
    assert not assistant.tracker(sender)["paused"]
    assert joined(assistant.say(sender, "你好"))  # the bot answers again
    row = rows(assistant, f"select status from handoffs where id = {handoff['id']}")[0]
    assert row["status"] == "returned"


def test_agent_reply_reaches_a_socketio_customer_live_then_survey(assistant):
    agent = sign_in(assistant, "li")
    with SocketCustomer(assistant.url) as customer:
        customer.say("/greet")
        customer.wait_for(lambda m: "小星" in m.get("text", ""))
        customer.say("我要找人工客服")
        customer.wait_for(lambda m: "人工客服" in m.get("text", "") and m.get("quick_replies"))
        handoff = queued_for(agent, customer.conversation_id)
        assert agent.call("POST", f"/api/handoffs/{handoff['id']}/claim")[0] == 200
        customer.wait_for(lambda m: "小李" in m.get("text", ""))  # the agent introduces themselves
        mark = customer.count()
        assert agent.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": "您好，订单我查到了"})[0] == 201
        customer.wait_for(lambda m: m.get("text") == "您好，订单我查到了", timeout=10, since=mark)
        assert agent.call("POST", f"/api/handoffs/{handoff['id']}/resolve")[0] == 200
        survey = customer.wait_for(lambda m: m.get("quick_replies") or m.get("buttons"), since=mark)
        buttons = survey.get("quick_replies") or survey.get("buttons")
        assert len(buttons) == 5 and buttons[0]["payload"] == '/rate_service{"satisfaction_score":"5"}'
        customer.say(buttons[0]["payload"])
        customer.wait_for(lambda m: "好评" in m.get("text", ""), since=mark)
        customer.say("小李很耐心，谢谢")
        customer.wait_for(lambda m: "转给服务团队" in m.get("text", ""), since=mark)
    conversation = customer.conversation_id
    rating = rows(assistant, f"select * from satisfaction_ratings where conversation_id = '{conversation}'")
    assert rating[0]["score"] == 5 and rating[0]["comment"] == "小李很耐心，谢谢"


def test_customer_cancels_while_waiting_and_two_misunderstandings_bring_a_person(assistant):
    sign_in(assistant, "li")
    sender = f"cancel-{uuid.uuid4().hex[:6]}"
    assistant.say(sender, "转人工")
    back = joined(assistant.say(sender, "/cancel"))
    assert "取消" in back or "不排队" in back
    conversation = assistant.conversation_id(sender)
    cancelled = rows(assistant, f"select status from handoffs where conversation_id = '{conversation}'")
    assert cancelled[0]["status"] == "cancelled"
    answer = assistant.say(sender, "运费怎么算？包邮吗？")  # the bot answers again
    shown = joined(answer) + " ".join(b["title"] for m in answer for b in m.get("buttons", []))
    assert "包邮" in shown and "转给客服" not in shown

    lost = f"lost-{uuid.uuid4().hex[:6]}"
    first = joined(assistant.say(lost, "asdkjh qwe zxc"))  # both garbled: NLU falls back on each
    assert "HD" not in first
    second = joined(assistant.say(lost, "咕噜咕噜叽里呱啦"))
    assert "两次" in second or "没听懂" in second
    row = rows(assistant, f"select reason from handoffs where conversation_id = '{assistant.conversation_id(lost)}'")[0]
    assert row["reason"] == "misunderstood"


def test_restart_in_the_middle_of_a_handoff_loses_nothing(assistant):
    agent = sign_in(assistant, "li")
    sender = f"restart-{uuid.uuid4().hex[:6]}"
    assistant.say(sender, "耳机左耳没声音了")
    assistant.say(sender, "转人工")
    handoff = queued_for(agent, assistant.conversation_id(sender))
    assert agent.call("POST", f"/api/handoffs/{handoff['id']}/claim")[0] == 200
    assert agent.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": "收到，我看一下"})[0] == 201

    assert assistant.stop() == 0
    assistant.start()

    assert assistant.say(sender, "重启后我还在") == []  # still with the agent, so the bot stays silent
    again = ConsoleClient(assistant.web_url)
    again._opener = agent._opener  # the same browser: the session survived the restart
    mine = again.overview()["mine"]
    assert handoff["id"] in [h["id"] for h in mine]
    texts = shown_to(again, handoff["id"], "耳机左耳没声音了", "收到，我看一下", "重启后我还在")
    assert "耳机左耳没声音了" in texts and "收到，我看一下" in texts and "重启后我还在" in texts
    assert again.call("POST", f"/api/handoffs/{handoff['id']}/resolve")[0] == 200
