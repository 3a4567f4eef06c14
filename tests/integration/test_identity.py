"""Verified identity against the real servers (issue #11, "anyone can be anyone"): a caller who claims
another customer's sender id, customer id or session learns nothing about that customer; a customer the
store vouches for (a signed token) is recognised; a guest proves an order with the phone's last four digits."""
import json
import time
from datetime import datetime, timedelta, timezone
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from bot.identity.customer_tokens import CustomerTokens
from bot.settings import load_settings
from tests.support.processes import PROJECT_ROOT, AssistantProcess
from tests.support.socket_customer import SocketCustomer
from tools.wechat.simulator import WeChatSimulator, message_xml

WANG_ORDER = "GD2610150001"  # 王芳 (C1001, VIP): iPhone 16 Pro, delivered; her phone ends in 5678
WANG_ITEMS = "iPhone 16 Pro"
WANG_OPENID = "oGalaxyVipWangFang0001"


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("identity-var"),
                               extra_env={"BOT_SERVICE_HOURS": "00:00-24:00"})
    process.start()
    yield process
    process.stop()


def responses(name):
    """Every variation of a response in domain.yml (the bot picks one at random)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {variation["text"] for variation in domain["responses"][name]}


def joined(messages):
    return "\n".join(m.get("text", "") for m in messages)


def sender():
    return f"id-{uuid.uuid4().hex[:8]}"


def post(assistant, body, token="default", raw=None):
    """A raw call to the REST webhook: (status, parsed JSON)."""
    headers = {"Content-Type": "application/json"}
    token = assistant.rest_token if token == "default" else token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(f"{assistant.url}/webhooks/rest/webhook", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def slots(assistant, who, customer=None):
    return assistant.tracker(who, customer)["slots"]


def user_texts(assistant, who, customer=None):
    return [e.get("text") for e in assistant.tracker(who, customer)["events"] if e.get("event") == "user"]


def asks_for_digits(text, order=WANG_ORDER):
    return text in {t.replace("{order_number}", order) for t in responses("utter_verify_ask_order_digits")}


# (a) REST sender spoof -------------------------------------------------------------------------------

def test_the_vip_customers_sender_id_is_no_identity(assistant):
    reply = joined(assistant.say("demo-vip-wang", f"帮我查下订单 {WANG_ORDER}"))
    assert WANG_ITEMS not in reply and "SF1402938475610" not in reply
    assert asks_for_digits(reply), reply
    state = slots(assistant, "demo-vip-wang")
    assert state["customer_id"] is None and state["customer_tier"] is None and state["customer_name"] is None
    assert "没有投诉工单" in joined(assistant.say("demo-vip-wang", "我的投诉处理得怎么样了"))


# (b) metadata spoof, forged and expired tokens; a valid token ------------------------------------------

@pytest.mark.parametrize("metadata", [
    {"customer_id": "C1001"},
    {"verified_identity": {"channel": "rest", "customer_id": "C1001", "external_id": None}},
    {"verified_identity": {"channel": "wechat", "customer_id": None, "external_id": WANG_OPENID}},
    {"customer_token": CustomerTokens("x" * 40).issue("C1001")},  # signed with another secret
    {"customer_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJDMTAwMSJ9."},  # alg "none"
])
def test_claims_in_the_metadata_are_ignored(assistant, metadata):
    who = sender()
    status, messages = post(assistant, {"sender": who, "message": WANG_ORDER, "metadata": metadata})
    assert status == 200 and asks_for_digits(joined(messages)), messages
    assert WANG_ITEMS not in joined(messages)
    state = slots(assistant, who)
    assert state["customer_id"] is None and state["customer_tier"] is None


def test_an_expired_token_names_nobody(assistant):
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    expired = CustomerTokens(assistant.customer_secret).issue("C1001", 600, now=old)
    who = sender()
    status, messages = post(assistant, {"sender": who, "message": WANG_ORDER, "metadata": {"customer_token": expired}})
    assert status == 200 and WANG_ITEMS not in joined(messages)
    assert slots(assistant, who)["customer_id"] is None


def test_a_customer_the_store_vouches_for_is_recognised(assistant):
    who = sender()
    reply = joined(assistant.say(who, f"帮我查下订单 {WANG_ORDER}", customer="C1001"))
    assert WANG_ITEMS in reply, reply
    state = slots(assistant, who, "C1001")
    assert (state["customer_id"], state["customer_tier"], state["customer_name"]) == ("C1001", "vip", "王芳")
    # The token is checked and dropped: it is not kept in the conversation for anyone to replay.
    assert assistant.customer_token("C1001")[:20] not in json.dumps(assistant.tracker(who, "C1001"))
    assert "customer_token" not in json.dumps(assistant.tracker(who, "C1001"))
    # Another customer's order is still not shown to her.
    assert "不在您当前的账户下" in joined(assistant.say(who, "GD2611190007", customer="C1001"))


def test_the_same_sender_without_the_token_or_with_another_customers_is_not_her(assistant):
    """Identity is not fixed when a conversation starts: a later message of the same sender with no token,
    or with another customer's, is another conversation, which is not hers."""
    who = sender()
    assert WANG_ITEMS in joined(assistant.say(who, f"帮我查下订单 {WANG_ORDER}", customer="C1001"))
    for customer in (None, "C1004"):
        reply = joined(assistant.say(who, f"帮我查下订单 {WANG_ORDER}", customer=customer))
        assert WANG_ITEMS not in reply and "SF1402938475610" not in reply, (customer, reply)
        assert slots(assistant, who, customer)["customer_id"] == customer
        assert user_texts(assistant, who, customer) == [f"帮我查下订单 {WANG_ORDER}"]
    assert slots(assistant, who, "C1001")["customer_id"] == "C1001"  # hers is still hers, untouched
    assert len(user_texts(assistant, who, "C1001")) == 1


# (c) REST without or with a wrong bearer token; malformed requests ----------------------------------

def test_rest_calls_need_an_integrations_token(assistant):
    body = {"sender": sender(), "message": "你好"}
    for token in (None, "wrong-token-of-some-length", "Bearer"):
        status, answer = post(assistant, body, token=token)
        assert status == 401 and "Bearer" in answer["error"], answer
    assert post(assistant, body, raw=b"{not json")[0] == 400
    status, answer = post(assistant, {"sender": sender()})
    assert status == 400 and "message" in answer["error"]
    assert post(assistant, {"message": "hi"})[0] == 400
    assert post(assistant, {"sender": sender(), "message": "hi", "metadata": []})[0] == 400
    assert assistant.say(sender(), "你好")  # and the channel still answers


# (d) cross-channel ------------------------------------------------------------------------------------

def test_a_rest_caller_cannot_reach_a_wechat_or_web_conversation(assistant):
    wechat = WeChatSimulator(load_settings(assistant.environment()), f"{assistant.url}/webhooks/wechat/webhook")
    assert wechat.post(message_xml(WANG_OPENID, "text", "你好")).status == 200
    before = user_texts(assistant, f"wechat:{WANG_OPENID}")
    assert slots(assistant, f"wechat:{WANG_OPENID}")["customer_id"] == "C1001"  # WeChat's openid is her identity

    reply = joined(assistant.say(f"wechat:{WANG_OPENID}", WANG_ORDER))
    assert WANG_ITEMS not in reply and asks_for_digits(reply)
    assert user_texts(assistant, f"wechat:{WANG_OPENID}") == before
    assert user_texts(assistant, f"rest:tests:guest:wechat:{WANG_OPENID}") == [WANG_ORDER]
    assert slots(assistant, f"rest:tests:guest:wechat:{WANG_OPENID}")["customer_id"] is None

    with SocketCustomer(assistant.url) as visitor:
        visitor.say("你好")
        visitor.wait_for(lambda m: "小星" in m.get("text", ""))
        mark = visitor.count()
        assistant.say(visitor.conversation_id, "转人工")
        time.sleep(2)
        assert visitor.messages()[mark:] == []
    assert user_texts(assistant, visitor.conversation_id) == ["你好"]
    assert user_texts(assistant, f"rest:tests:guest:{visitor.conversation_id}") == ["转人工"]


# (e) socket.io session hijack -------------------------------------------------------------------------

def test_a_web_session_cannot_be_taken_over(assistant):
    with SocketCustomer(assistant.url, token=assistant.customer_token("C1001")) as wang:
        wang.say(WANG_ORDER)
        wang.wait_for(lambda m: WANG_ITEMS in m.get("text", ""))  # recognised on the web chat
        assert slots(assistant, wang.conversation_id)["customer_id"] == "C1001"
        tries = [wang.session_id, wang.session_id.split(".")[0], wang.conversation_id]
        for presented in tries:  # her signed session id, its bare part, her conversation id
            with SocketCustomer(assistant.url, resume=presented) as attacker:
                assert attacker.session_id != wang.session_id
                assert attacker.conversation_id != wang.conversation_id
                # A message naming her session in its payload lands in the attacker's own conversation.
                attacker.say(WANG_ORDER, session_id=wang.session_id)
                answer = attacker.wait_for(lambda m: m.get("text"))
                assert asks_for_digits(answer["text"]) and WANG_ITEMS not in answer["text"]
                # Her next messages and their answers never reach the attacker.
                mark = wang.count()
                wang.say("GD2611180002")
                wang.wait_for(lambda m: "AirPods" in m.get("text", ""), since=mark)
                time.sleep(1)
                assert not any("AirPods" in m.get("text", "") for m in attacker.messages())
        assert WANG_ORDER in user_texts(assistant, wang.conversation_id)
        assert user_texts(assistant, wang.conversation_id).count(WANG_ORDER) == 1

        # Another customer's token does not open her session either; her own (a reload) does.
        with SocketCustomer(assistant.url, token=assistant.customer_token("C1004"), resume=wang.session_id) as zhang:
            assert zhang.conversation_id != wang.conversation_id
        with SocketCustomer(assistant.url, token=assistant.customer_token("C1001"), resume=wang.session_id) as again:
            assert again.session_id == wang.session_id


def test_a_guests_session_is_refused_to_a_signed_in_customer_and_guests_get_no_details(assistant):
    with SocketCustomer(assistant.url) as guest:
        guest.say(WANG_ORDER)
        answer = guest.wait_for(lambda m: m.get("text"))
        assert asks_for_digits(answer["text"]) and WANG_ITEMS not in answer["text"]
        with SocketCustomer(assistant.url, token=assistant.customer_token("C1001"), resume=guest.session_id) as wang:
            assert wang.conversation_id != guest.conversation_id
        with SocketCustomer(assistant.url, resume=guest.session_id) as same_browser:  # the guest's own reload
            assert same_browser.session_id == guest.session_id
    assert slots(assistant, guest.conversation_id)["customer_id"] is None
    with SocketCustomer(assistant.url, token="not-a-token") as forged:
        forged.say(WANG_ORDER)
        assert WANG_ITEMS not in forged.wait_for(lambda m: m.get("text"))["text"]


# (f) a guest's order status: the phone's last four digits ------------------------------------------------

def test_a_guest_gets_an_orders_status_with_the_right_last_four_digits(assistant):
    who = sender()
    assert asks_for_digits(joined(assistant.say(who, f"查一下订单 {WANG_ORDER}")))
    wrong = joined(assistant.say(who, "1234"))
    assert wrong in responses("utter_verify_failed"), wrong
    right = joined(assistant.say(who, "尾号5678"))
    assert "已签收" in right and WANG_ORDER in right, right
    assert WANG_ITEMS not in right and "SF1402938475610" not in right  # the status alone
    assert slots(assistant, who)["customer_id"] is None


def test_a_made_up_order_is_refused_like_a_wrong_guess_and_tries_run_out(assistant):
    who = sender()
    assert asks_for_digits(joined(assistant.say(who, "GD2699999999")), "GD2699999999")
    assert joined(assistant.say(who, "5678")) in responses("utter_verify_failed")  # reveals nothing
    assert asks_for_digits(joined(assistant.say(who, WANG_ORDER)))
    assert joined(assistant.say(who, "0000")) in responses("utter_verify_failed")
    locked = assistant.say(who, "1111")
    assert joined(locked) in responses("utter_verify_locked")
    assert "/request_human" in [b["payload"] for m in locked for b in m.get("buttons", [])]
    # No more guesses in this conversation, not even the right one.
    again = joined(assistant.say(who, WANG_ORDER))
    assert again in responses("utter_verify_locked")
    assert "已签收" not in joined(assistant.say(who, "5678"))


def test_a_guest_who_opens_new_conversations_still_runs_out_of_tries_for_the_number(assistant):
    """Three tries per conversation, and five per order number a day whatever the conversation: after those,
    even the right digits get the offer of a person."""
    order, wrong = "GD2611160011", iter(["1111", "2222", "3333", "4444", "5555"])  # C1007, phone ends in 0123
    for tries in (3, 2):  # a first conversation used up, then a new one
        who = sender()
        assert asks_for_digits(joined(assistant.say(who, f"查一下订单 {order}")), order)
        for _ in range(tries):
            answer = joined(assistant.say(who, next(wrong)))
        assert answer in responses("utter_verify_locked"), answer
    who = sender()  # a third conversation, with the right digits
    assert asks_for_digits(joined(assistant.say(who, f"查一下订单 {order}")), order)
    right = assistant.say(who, "0123")
    assert joined(right) in responses("utter_verify_locked"), right
    assert "/request_human" in [b["payload"] for m in right for b in m.get("buttons", [])]


def test_english_guests_are_asked_in_english(assistant):
    who = sender()
    asked = joined(assistant.say(who, f"where is my order {WANG_ORDER}?"))
    assert "last four digits" in asked, asked
    right = joined(assistant.say(who, "it's 5678"))
    assert "delivered" in right and WANG_ITEMS not in right
