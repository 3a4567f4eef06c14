"""What the agent reads (issue #16): the customer's phone from the complaint, their last real message in the
summary, the button they tapped instead of its payload, the agent's name on the agent's messages, the mood
of each message with its time and kept up to date while the customer waits, words for codes, and orders
put on tickets."""
import json
from datetime import datetime

import pytest

from bot.complaints.order_choices import NO_ORDER, no_order_choice, recent_order_choices
from bot.complaints.rules import CATEGORIES, SEVERITIES
from bot.complaints.tickets import ComplaintDraft, TicketService
from bot.complaints.validation import SKIPPED, check_complaint_order
from bot.customers.demo_loader import load_demo_store
from bot.customers.directory import CustomerDirectory
from bot.handoff.context import CustomerFacts, build_context, is_real_message, transcript_from_events
from bot.handoff.queue import HandoffQueue
from bot.handoff.records import HandoffError
from bot.handoff.request_builder import build_request, channel_kind
from bot.handoff.ticket_orders import TicketOrders
from bot.web.console_labels import ticket_labels

NOW = datetime(2026, 11, 23, 4, 0)
T0 = 1795406400.0  # 2026-11-23 04:00 UTC
RATING = '/rate_service{"satisfaction_score":"5"}'


def user(text, intent="inform", at=T0, emotion=None, score=0.0, entities=(), confidence=None):
    """A customer's message as Rasa stores it; a payload is read with certainty, like Rasa does."""
    found = [dict(e) for e in entities]
    if emotion:
        found += [{"entity": "emotion", "value": emotion}, {"entity": "emotion_score", "value": score}]
    confidence = confidence if confidence is not None else 1.0 if text.startswith("/") else 0.9
    return {"event": "user", "timestamp": at, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": found}}


def bot(text, at=T0, buttons=(), agent=None):
    event = {"event": "bot", "timestamp": at, "text": text, "data": {"buttons": [dict(b) for b in buttons]}}
    if agent:
        event["metadata"] = {"agent": agent, "reply_id": 1}
    return event


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


RATINGS = [{"title": "5 非常满意", "payload": RATING}, {"title": "1 很不满意", "payload": RATING.replace("5", "1")}]


# the transcript ----------------------------------------------------------------------------------------------
def test_the_transcript_shows_the_button_tapped_the_opening_and_the_agents_name_never_a_payload():
    turns = transcript_from_events([
        user("/greet", intent="greet"),
        bot("您好，我是小星"),
        bot("这次服务您满意吗？", buttons=RATINGS),
        bot("（补充）"),  # a second message: the buttons above still stand
        user(RATING, intent="rate_service"),
        bot("您好，我是客服小赵", agent="小赵"),
        user("/request_human", intent="request_human"),  # a payload no button offered
        user("/help me", intent="chitchat", confidence=0.6),  # typed, read as text (bot.rasa.message_guard)
    ])
    customer = [t for t in turns if t["who"] == "customer"]
    assert customer[0]["opened"] is True and customer[0]["text"] == ""
    assert customer[1]["text"] == "5 非常满意" and customer[1]["tapped"] is True
    assert customer[2]["text"] == "" and customer[2]["tapped"] is True
    assert customer[3]["text"] == "/help me" and "tapped" not in customer[3]  # as the customer typed it
    assert not any(t["text"].startswith("/") for t in turns[:-1])
    agent = [t for t in turns if t["who"] == "agent"]
    assert agent == [{**agent[0], "who": "agent", "agent": "小赵", "text": "您好，我是客服小赵"}]
    assert [t["who"] for t in turns].count("bot") == 3


def test_each_customer_message_carries_its_mood():
    turns = transcript_from_events([user("快递怎么还没到", emotion="upset", score=0.41),
                                    user("😡😡😡", emotion="angry", score=0.918, at=T0 + 60)])
    assert [t["emotion"] for t in turns] == [{"level": "upset", "score": 0.41}, {"level": "angry", "score": 0.92}]
    assert all("emotion" not in [e["entity"] for e in t["entities"]] for t in turns)


@pytest.mark.parametrize("turn,real", [
    ({"who": "customer", "text": "耳机左耳没有声音", "intent": "complain", "slots": {}}, True),
    ({"who": "customer", "text": "138****8000", "intent": "inform", "slots": {"complaint_phone": "138****8000"}}, False),
    ({"who": "customer", "text": "138****8000", "intent": "inform", "slots": {}}, False),
    ({"who": "customer", "text": "GD2611180002 。", "intent": "inform", "slots": {}}, False),
    ({"who": "customer", "text": "明天上午", "intent": "inform", "slots": {"complaint_callback_time": "明天上午"}}, False),
    ({"who": "customer", "text": "耳机坏了，电话 138****5678", "intent": "complain",
      "slots": {"complaint_phone": "138****5678"}}, True),
    ({"who": "customer", "text": "5 非常满意", "intent": "rate_service", "slots": {}, "tapped": True}, False),
    ({"who": "customer", "text": "转人工", "intent": "request_human", "slots": {}}, False),
    ({"who": "bot", "text": "您好", "slots": {}}, False),
])
def test_a_real_message_says_something_about_the_problem(turn, real):
    assert is_real_message(turn) is real


def test_the_summary_quotes_the_last_real_message_not_the_phone_given_last():
    events = [user("快递一周了还没到，太气人了", intent="complain", emotion="angry", score=0.7),
              bot("请留一个手机号"), user("13800138000", intent="inform"), slot("complaint_phone", "13800138000")]
    facts = CustomerFacts(None, None, "regular", "13800138000", "web", "zh")
    context = build_context("angry", facts, events, {}, [], [], []).as_dict()
    assert "快递一周了还没到" in context["summary"]["zh"] and "138****8000" not in context["summary"]["zh"]
    assert context["emotions"] == [{"at": "2026-11-23T04:00:00+00:00", "level": "angry", "score": 0.7}]


# the request: phone, channel, knowledge-base titles, live refresh --------------------------------------------
@pytest.fixture
def store(database, tmp_settings):
    load_demo_store(database, tmp_settings.demo_store_file)
    return database


def test_the_phone_given_in_the_complaint_shows_after_the_form_cleared_it(store, tmp_settings):
    TicketService(store, tmp_settings.sla_hours).submit(ComplaintDraft(
        conversation_id="web:s1", customer_id=None, category="delivery", description="快递一周了还没到",
        emotion_level="angry", emotion_score=0.8, language="zh", phone="13800138000"))
    events = [user("快递一周了还没到", intent="complain", emotion="angry", score=0.8)]
    built = build_request(tmp_settings, store, "web:s1", "socketio", {"complaint_phone": None}, events, "angry")
    assert built.context["customer"]["phone"] == "138****8000"
    assert built.context["customer"]["channel"] == "web"
    assert built.context["tickets"][0]["category"] == "delivery"


def test_knowledge_base_answers_carry_the_entrys_question(store, tmp_settings):
    from bot.kb.records import KbRecords

    KbRecords(store).record_query("web:s2", "包邮吗", "zh", "answered", "delivery-fee", 0.9)
    titles = {"delivery-fee": {"zh": "运费怎么算？包邮吗？", "en": "How much is shipping? Is it free?"}}
    built = build_request(tmp_settings, store, "web:s2", "socketio", {}, [], "explicit", titles.get)
    assert built.context["kb_answers"][0]["entry_title"]["zh"] == "运费怎么算？包邮吗？"


@pytest.mark.parametrize("conversation,channel,kind", [
    ("web:abc", "socketio", "web"), ("wechat:o1", "wechat", "wechat"), ("rest:shop:42", "rest", "rest"),
    ("legacy-id", "socketio", "web"), ("legacy-id", None, "unknown"),
])
def test_the_channel_is_where_the_customer_writes_from(conversation, channel, kind):
    assert channel_kind(conversation, channel) == kind


def test_what_the_customer_writes_while_waiting_updates_mood_priority_and_summary(store, tmp_settings):
    queue = HandoffQueue(store)
    calm = [user("我想问下保修", intent="ask_question", emotion="calm")]
    first = build_request(tmp_settings, store, "web:s3", "socketio", {}, calm, "explicit")
    handoff = queue.request(first, available=True, now=NOW)
    angry = calm + [user("/request_human", intent="request_human"),
                    user("怎么还没人理我 😡😡😡", intent="chitchat", emotion="angry", score=0.95, at=T0 + 120)]
    again = build_request(tmp_settings, store, "web:s3", "socketio", {}, angry, handoff.reason)
    refreshed = queue.refresh(handoff.id, again)
    assert refreshed.base_priority > handoff.base_priority
    assert "怎么还没人理我" in refreshed.summary and "生气" in refreshed.summary
    assert "问题：「我想问下保修」" in refreshed.summary  # what they asked first stays
    assert [e["level"] for e in queue.context(handoff.id)["emotions"]] == ["calm", "angry"]


# words for codes ------------------------------------------------------------------------------------------
def test_ticket_categories_and_severities_have_names_in_both_languages():
    labels = ticket_labels()
    assert set(labels["categories"]) == set(CATEGORIES) and set(labels["severities"]) == set(SEVERITIES)
    assert labels["categories"]["delivery"] == {"zh": "物流配送", "en": "delivery"}
    assert labels["severities"]["high"]["zh"] == "高"
    for kind in labels.values():
        for code, names in kind.items():
            assert names["zh"] != code and not names["zh"].isascii()  # a word, not the code
            assert names["en"].isascii()


# orders: buttons in the complaint form, attached from the console ------------------------------------------
def test_a_signed_in_customer_is_offered_their_recent_orders_as_buttons(store):
    directory = CustomerDirectory(store)
    choices = recent_order_choices(directory, "C1001", 3)
    assert [c.order_number for c in choices] == ["GD2611180002", "GD2610150001"]
    assert choices[0].title.startswith("GD2611180002 · 11-18 · AirPods Pro 2")
    assert json.loads(choices[0].payload[len("/inform"):]) == {"order_number": "GD2611180002"}
    assert recent_order_choices(directory, None, 3) == [] and recent_order_choices(directory, "C1001", 0) == []
    # what the form makes of a tap: the order, or no order
    assert check_complaint_order("GD2611180002", directory, "C1001").value == "GD2611180002"
    assert check_complaint_order(no_order_choice("与订单无关").order_number, directory, "C1001").value == SKIPPED
    assert NO_ORDER == "none"


def test_the_angry_short_path_asks_a_known_customer_which_order(monkeypatch):
    import asyncio

    import actions.complaints as complaints

    class Tracker:
        def __init__(self, customer):
            self.slots = {"customer_id": customer, "emotion": "angry"}
            self.events = []

        def get_slot(self, name):
            return self.slots.get(name)

    async def choices(tracker):
        return ["an order"] if tracker.get_slot("customer_id") else []

    monkeypatch.setattr(complaints, "order_choices", choices)
    form = complaints.ValidateComplaintForm()
    known = asyncio.run(form.required_slots([], None, Tracker("C1001"), {}))
    guest = asyncio.run(form.required_slots([], None, Tracker(None), {}))
    assert known == ["complaint_description", "complaint_order_number", "complaint_phone"]
    assert guest == ["complaint_description", "complaint_phone"]


def handoff_for(store, conversation, customer_id, tickets):
    queue = HandoffQueue(store)
    context = {"tickets": [{"number": t.number, "order_number": t.order_number} for t in tickets]}
    from bot.handoff.queue import HandoffRequest

    return queue, queue.request(HandoffRequest(conversation, "socketio", customer_id, "zh", "regular", "angry",
                                               "angry", context), available=True, now=NOW)


def test_an_agent_attaches_only_the_customers_own_order(store, tmp_settings):
    tickets = TicketService(store, tmp_settings.sla_hours)
    ticket = tickets.submit(ComplaintDraft("web:s4", "C1001", "quality", "耳机坏了，没声音", "angry", 0.8, "zh",
                                           phone="13812345678"))
    queue, handoff = handoff_for(store, "web:s4", "C1001", [ticket])
    orders = TicketOrders(queue, tickets, CustomerDirectory(store))
    assert [o.order_number for o in orders.options(handoff)] == ["GD2611180002", "GD2610150001"]
    with pytest.raises(HandoffError, match="not this customer's"):
        orders.attach(handoff, ticket.number, "GD2611200003", "agent:li")  # 李强's
    with pytest.raises(HandoffError, match="GD followed by 10 digits"):
        orders.attach(handoff, ticket.number, "12345", "agent:li")
    with pytest.raises(HandoffError, match="no such ticket"):
        orders.attach(handoff, "TK0000000000", "GD2611180002", "agent:li")
    attached = orders.attach(handoff, ticket.number, " gd2611180002 ", "agent:li")
    assert attached.order_number == "GD2611180002"
    assert queue.context(handoff.id)["tickets"][0]["order_number"] == "GD2611180002"
    assert tickets.history(ticket.number)[-1].actor == "agent:li"


def test_a_guests_ticket_takes_an_order_placed_with_the_phone_on_the_ticket(store, tmp_settings):
    tickets = TicketService(store, tmp_settings.sla_hours)
    ticket = tickets.submit(ComplaintDraft("web:s5", None, "delivery", "快递丢了，一直没到", "angry", 0.8, "zh",
                                           phone="13812345678"))  # 王芳's phone
    queue, handoff = handoff_for(store, "web:s5", None, [ticket])
    orders = TicketOrders(queue, tickets, CustomerDirectory(store))
    assert orders.options(handoff) == []
    with pytest.raises(HandoffError):
        orders.attach(handoff, ticket.number, "GD2611200003", "agent:li")
    assert orders.attach(handoff, ticket.number, "GD2611180002", "agent:li").order_number == "GD2611180002"


# the console's live transcript reads the buttons offered before the messages it is asked for ---------------
def test_the_summary_does_not_quote_the_complaint_twice():
    from bot.handoff.context import TicketFacts

    said = "快递一周了还没到，物流一直不更新，打电话也没人接，你们到底管不管，我已经等了整整七天了，买来送人的礼物全耽误了，真的很生气"
    events = [user(said, intent="complain", emotion="angry", score=0.8)]
    ticket = TicketFacts("TK2611230001", "delivery", "high", "open", None, said, "angry")
    summary = build_context("angry", CustomerFacts(None, None, "regular", None, "web", "zh"), events, {},
                            [{"level": "angry", "score": 0.8}], [ticket], []).as_dict()["summary"]["zh"]
    assert summary.count("快递一周了还没到") == 1 and "最后一句" not in summary
    assert "…" in summary and "情绪生气" not in summary  # cut with an ellipsis; "情绪激动" says the mood
