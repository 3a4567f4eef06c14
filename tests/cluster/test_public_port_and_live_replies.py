"""The cluster's one public port (nginx) and the customer's live chat across replicas: Rasa's HTTP API is not
reachable from outside while the channels, the store page and the console are; an agent's reply reaches a
website customer whose socket.io connection is on another Rasa server than the one that sent it."""
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support.cluster import running_cluster
from tests.support.console_client import ConsoleClient
from tests.support.socket_customer import SocketCustomer

ALWAYS_OPEN = {"BOT_SERVICE_HOURS": "00:00-24:00", "BOT_SERVICE_DAYS": "1-7"}
AGENT_PASSWORD = "pass-li-cluster-123"


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster-doors"), extra_env=ALWAYS_OPEN) as running:
        running.add_agent("li", "小李", AGENT_PASSWORD)
        yield running


def status_of(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_rasa_http_api_is_refused_on_the_public_port(cluster):
    token = cluster.rasa_token
    for path in ("/status", f"/status?token={token}", "/version", "/model", f"/conversations/x/tracker?token={token}",
                 "/domain"):
        status, _ = status_of(cluster.public_url + path)
        assert status in (403, 404), (path, status)
    for path in ("/model/parse", "/conversations/x/tracker/events", "/conversations/x/trigger_intent"):
        status, _ = status_of(f"{cluster.public_url}{path}?token={token}", "POST", {"text": "你好", "event": "user"})
        assert status in (403, 404), (path, status)
    # Inside, the web servers' door still reaches the API (with its token).
    status, body = status_of(f"{cluster.internal_url}/status?token={token}")
    assert status == 200 and "model_file" in body


def test_store_page_console_and_channels_answer_on_the_public_port(cluster):
    status, page = status_of(cluster.public_url + "/")
    assert status == 200 and "<html" in page.lower()
    status, console = status_of(cluster.public_url + "/console/")
    assert status == 200 and "<html" in console.lower()
    agent = ConsoleClient(cluster.public_url)
    assert agent.login("li", AGENT_PASSWORD)["username"] == "li"
    assert "queue" in agent.overview()
    answer = cluster.say(cluster.public_url, "door-test", "你好")
    assert answer and answer[0].get("text")
    status, handshake = status_of(cluster.public_url + "/socket.io/?EIO=4&transport=polling")
    assert status == 200 and '"sid"' in handshake


def queued_for(agent, conversation_id):
    for _ in range(100):
        for handoff in agent.overview()["queue"]:
            if handoff["conversation_id"] == conversation_id:
                return handoff
        time.sleep(0.2)
    raise AssertionError(f"{conversation_id} never reached the queue")


def test_an_agents_reply_reaches_a_customer_connected_to_the_other_replica(cluster):
    agent = ConsoleClient(cluster.public_url)
    agent.login("li", AGENT_PASSWORD)
    with SocketCustomer(cluster.rasa_url(1)) as customer:  # this customer's socket is on Rasa server 1
        customer.say("我要找人工客服")
        customer.wait_for(lambda m: "人工客服" in m.get("text", ""), timeout=60)
        handoff = queued_for(agent, customer.conversation_id)
        assert agent.call("POST", f"/api/handoffs/{handoff['id']}/claim")[0] == 200
        customer.wait_for(lambda m: "小李" in m.get("text", ""), timeout=30)
        replies = ["您好，订单我查到了", "明天就能发货", "还有别的需要帮忙吗？"]
        for text in replies:  # the web servers hand replies to Rasa through nginx, round-robin
            mark = customer.count()
            assert agent.call("POST", f"/api/handoffs/{handoff['id']}/reply", {"text": text})[0] == 201
            customer.wait_for(lambda m, text=text: m.get("text") == text, timeout=20, since=mark)
    # At least one of those replies was sent by Rasa server 0, the one the customer is not connected to.
    time.sleep(1.5)  # nginx writes its access log every second
    used = cluster.upstreams_for(customer.conversation_id.replace(":", "%3A")) + \
        cluster.upstreams_for(customer.conversation_id)
    assert f"127.0.0.1:{cluster.rasa_port(0)}" in used, used
