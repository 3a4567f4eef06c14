"""One conversation spread over two Rasa servers of the real cluster (`python -m bot run --replicas 2`
on PostgreSQL, Redis and RabbitMQ behind nginx): it keeps its slots and form wherever a message lands, two
messages arriving at once are answered one after the other (Rasa's Redis lock store), and a replica killed
with `kill -9` mid-complaint costs the customer nothing."""
import re
import threading
import time
import uuid

import pytest

from tests.support.cluster import running_cluster

TICKET = re.compile(r"TK\d{10}")
DELIVERY = '/inform{"complaint_category":"delivery"}'


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster-conversations")) as running:
        yield running


def joined(messages):
    return "\n".join(m.get("text", "") for m in messages)


def tickets_of(cluster, conversation):
    return cluster.rows("select number, category, order_number, phone, callback_time from tickets "
                        "where conversation_id = :conversation", conversation=conversation)


def test_a_complaint_alternating_between_replicas_keeps_its_form_and_ends_with_one_ticket(cluster):
    sender = f"alternate-{uuid.uuid4().hex[:8]}"
    replicas = [cluster.rasa_url(0), cluster.rasa_url(1)]

    def li(turn, text):  # 李强 (C1002), owner of GD2611200003, signed in on the store's side
        return joined(cluster.say(replicas[turn % 2], sender, text, customer="C1002"))

    li(0, "我要投诉")
    assert "订单号" in li(1, DELIVERY)  # the category chosen on replica 0 is known on replica 1
    assert "具体" in li(2, "GD2611200003")
    asked = li(3, "买的手环下单五天了还没发货")
    assert "手机号" in asked or "电话" in asked
    assert "时间" in li(4, "13923456789")
    done = li(5, "明天上午")
    number = TICKET.search(done).group(0)
    conversation = cluster.conversation_id(sender, "C1002")
    assert tickets_of(cluster, conversation) == [
        {"number": number, "category": "delivery", "order_number": "GD2611200003", "phone": "13923456789",
         "callback_time": "明天上午"}]
    # Both servers read one tracker: the whole conversation, in order, on either.
    said = [[e.get("text") for e in cluster.tracker(conversation, index)["events"] if e["event"] == "user"]
            for index in (0, 1)]
    assert said[0] == said[1] == ["我要投诉", DELIVERY, "GD2611200003", "买的手环下单五天了还没发货", "13923456789",
                                  "明天上午"]


def test_two_messages_at_once_on_two_replicas_are_answered_one_after_the_other(cluster):
    sender = f"at-once-{uuid.uuid4().hex[:8]}"
    conversation = cluster.conversation_id(sender)
    pairs = [("你好", "退货运费谁出？"), ("发货要多久？", "可以开发票吗？"), ("支持哪些付款方式？", "谢谢")]
    for first, second in pairs:
        start = threading.Barrier(2)
        results = {}

        def send(index, text):
            start.wait()
            results[index] = cluster.post_message(cluster.rasa_url(index), sender, text)

        threads = [threading.Thread(target=send, args=(0, first)), threading.Thread(target=send, args=(1, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert results[0][0] == 200 and results[1][0] == 200, results
        assert results[0][1] and results[1][1], results  # each customer message got an answer

    events = [e for e in cluster.tracker(conversation)["events"] if e["event"] in ("user", "bot")]
    kinds = "".join("U" if e["event"] == "user" else "B" for e in events)
    # Each message is followed by its own answer before the next message is taken up: never U U.
    assert kinds.count("U") == 2 * len(pairs), kinds
    assert "UU" not in kinds and kinds.startswith("U") and kinds.endswith("B"), kinds
    said = [e.get("text") for e in events if e["event"] == "user"]
    assert sorted(said) == sorted(t for pair in pairs for t in pair)


def test_kill_9_of_a_replica_mid_complaint_loses_nothing_and_makes_one_ticket(cluster):
    sender = f"killed-{uuid.uuid4().hex[:8]}"
    public = cluster.public_url

    def li(text):  # through nginx, as a real integration would call
        return joined(cluster.say(public, sender, text, customer="C1002"))

    li("我要投诉")
    assert "订单号" in li(DELIVERY)  # the form asks for something: now one replica dies
    killed = cluster.kill_rasa(0)
    time.sleep(0.5)
    assert not cluster.answers(cluster.rasa_url(0) + "/")
    assert "具体" in li("GD2611200003")
    asked = li("买的手环下单五天了还没发货")
    assert "手机号" in asked or "电话" in asked
    assert "时间" in li("13923456789")
    done = li("明天上午")
    number = TICKET.search(done).group(0)
    conversation = cluster.conversation_id(sender, "C1002")
    assert [t["number"] for t in tickets_of(cluster, conversation)] == [number]
    said = [e.get("text") for e in cluster.tracker(conversation, 1)["events"] if e["event"] == "user"]
    assert said == ["我要投诉", DELIVERY, "GD2611200003", "买的手环下单五天了还没发货", "13923456789", "明天上午"]
    # The supervisor brings the killed replica back; it then serves the same conversation.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not cluster.answers(cluster.rasa_url(0) + "/"):
        time.sleep(2)
    assert cluster.rasa_pids(0) and set(cluster.rasa_pids(0)).isdisjoint(killed)
    assert number in joined(cluster.say(cluster.rasa_url(0), sender, "我的投诉处理得怎么样了", customer="C1002"))
