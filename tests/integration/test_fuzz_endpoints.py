"""Property-based fuzzing of the public doors (REST, socket.io, WeChat) of the real assistant: random
Unicode and random bytes never get a 500 or hang a request, and afterwards a normal message is still
answered on each channel. Examples are few and fixed by a seed so the run stays short and repeatable."""
import json
import urllib.error
import urllib.request
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bot.settings import load_settings
from tests.support.processes import AssistantProcess
from tests.support.socket_customer import SocketCustomer
from tools.wechat.fake_server import FakeWeChatServer
from tools.wechat.simulator import WeChatSimulator, message_xml

APP_ID, SECRET = "wxd0e1a2b3c4d5e6f7", "fuzz-app-secret"
# No shrinking: each example is a round trip to a real server, and a failure's example is printed anyway.
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TIMEOUT_S = 30  # a request that takes longer than this counts as a hang


@pytest.fixture(scope="module")
def fake_wechat():
    with FakeWeChatServer(APP_ID, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory, fake_wechat):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("fuzz-var"), extra_env={
        "BOT_WECHAT_API_BASE": fake_wechat.url, "BOT_WECHAT_APP_ID": APP_ID, "BOT_WECHAT_APP_SECRET": SECRET,
        "BOT_WECHAT_MODE": "safe"})
    process.start()
    yield process
    process.stop()


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def rest_headers(assistant) -> dict:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {assistant.rest_token}"}


def wechat(assistant) -> WeChatSimulator:
    return WeChatSimulator(load_settings(assistant.environment()), f"{assistant.url}/webhooks/wechat/webhook")


def about_shipping(message: dict) -> bool:
    """An answer (or a choice of answers) about shipping costs, as a customer would read it."""
    choices = (message.get("buttons") or []) + (message.get("quick_replies") or [])  # REST / socket.io
    words = [message.get("text") or ""] + [str(b.get("title", "")) for b in choices if isinstance(b, dict)]
    return any(term in word for word in words for term in ("运费", "包邮", "邮费"))


@FUZZ
@seed(11)
@given(text=st.text(max_size=400))
def test_rest_takes_any_unicode_text(assistant, text):
    body = json.dumps({"sender": f"fuzz-{uuid.uuid4().hex[:10]}", "message": text}).encode()
    assert post(f"{assistant.url}/webhooks/rest/webhook", body, rest_headers(assistant)) < 500


@FUZZ
@seed(12)
@given(body=st.binary(max_size=3000))
def test_rest_takes_any_bytes(assistant, body):
    assert post(f"{assistant.url}/webhooks/rest/webhook", body, rest_headers(assistant)) < 500


@FUZZ
@seed(13)
@given(text=st.text(max_size=400))
def test_wechat_takes_any_unicode_in_a_signed_message(assistant, text):
    delivery = wechat(assistant).post(message_xml(f"o-fuzz-{uuid.uuid4().hex[:10]}", "text", text),
                                      timeout_s=TIMEOUT_S)
    assert delivery.status < 500, delivery


@FUZZ
@seed(14)
@given(body=st.binary(max_size=3000))
def test_wechat_takes_any_bytes_with_a_valid_signature(assistant, body):
    simulator = wechat(assistant)
    query, _ = simulator.request_for(message_xml("o-fuzz-bytes", "text", "x"))
    assert simulator.post_raw(query, body, timeout_s=TIMEOUT_S).status < 500


@settings(max_examples=1, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=200), min_size=15, max_size=15))
def test_socketio_takes_any_unicode_and_keeps_the_connection(assistant, texts):
    with SocketCustomer(assistant.url) as customer:
        for text in texts:
            customer.say(text)
        with SocketCustomer(assistant.url) as other:
            other.say("运费怎么算？")
            other.wait_for(about_shipping)


def test_socketio_takes_non_text_payloads(assistant):
    with SocketCustomer(assistant.url) as customer:
        client = customer._client  # the raw socket.io client: payloads the widget would never send
        for payload in ({"message": 12345}, {"message": None}, {"message": ["a", {"b": 1}]}, {}, "text",
                        {"message": "x" * 5000, "customData": "not json"}, {"message": "hi", "customData": [1]}):
            customer._call(client.emit("user_uttered", payload), 10)
        customer.say("运费怎么算？")
        customer.wait_for(about_shipping)


def test_every_channel_still_answers_after_the_fuzzing(assistant):
    replies = assistant.say(f"after-fuzz-{uuid.uuid4().hex[:8]}", "运费怎么算？")
    assert any(about_shipping(r) for r in replies), replies
    delivery = wechat(assistant).post(message_xml(f"o-{uuid.uuid4().hex[:10]}", "text", "运费怎么算？"))
    assert delivery.status == 200 and delivery.reply and any(t in delivery.reply for t in ("运费", "包邮", "邮费"))
    # Sanic logs this line for every request that ended in a 500: none may have. (python-socketio's
    # websocket handler returns nothing when a socket.io client disconnects, which Sanic logs the same
    # way: those lines are not failures of ours.)
    failures = [line for line in assistant.log_tail(100_000).splitlines()
                if "Exception occurred while handling uri" in line and "transport=websocket" not in line]
    assert failures == []
