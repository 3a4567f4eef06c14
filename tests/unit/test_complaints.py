from datetime import datetime, timedelta

import pytest

from bot.complaints.rules import assess, infer_category
from bot.complaints.tickets import ComplaintDraft, TicketError, TicketService
from bot.complaints.validation import is_description_turn, is_meaningful_description, is_skip, normalize_phone
from bot.complaints.wording import pick, variations_for
from bot.storage.database import create_database
from bot.storage.migrations import migrate

HOURS = {"critical": 2, "high": 4, "normal": 24}


@pytest.fixture
def service(tmp_settings):
    database = create_database(tmp_settings.database_url)
    migrate(database.engine)
    return TicketService(database, HOURS)


def draft(**overrides):
    values = dict(conversation_id="conv-1", customer_id="C1002", category="delivery",
                  description="快递一个星期了还没到，物流也不更新", emotion_level="upset", emotion_score=0.5,
                  language="zh", order_number="GD2611200003", phone="13923456789")
    values.update(overrides)
    return ComplaintDraft(**values)


@pytest.mark.parametrize(
    "raw, expected",
    [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("我的电话是138-1234-5678", "13812345678"),
     ("+44 7700 900123", "+447700900123"), ("12345", None), ("23812345678", None), ("", None)],
)
def test_phone_validation(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("text", ["没有", "跳过", "不知道", "skip", "none", "N/A", "no"])
def test_skipping_an_optional_answer(text):
    assert is_skip(text)


def test_descriptions_must_say_what_happened():
    assert not is_meaningful_description("我要投诉")
    assert not is_meaningful_description("I want to complain")
    assert is_meaningful_description("耳机左边没有声音")


@pytest.mark.parametrize(
    "text, category",
    [("快递一周还没到", "delivery"), ("耳机有杂音", "quality"), ("维修了三次还是坏", "after_sales"),
     ("重复扣款了", "billing"), ("客服态度太差", "staff"), ("you charged me twice", "billing"),
     ("the courier was rude to me", "staff"), ("my parcel never arrived", "delivery"), ("天气不好", None)],
)
def test_category_from_the_description(text, category):
    assert infer_category(text) == category


def test_severity_and_escalation_rules():
    assert assess("充电器冒烟了", "calm", False, False) == assess("it started smoking", "calm", False, False)
    assert assess("充电器冒烟了", "calm", False, False).severity == "critical"
    assert assess("慢", "angry", False, False).reason == "angry"
    assert assess("慢", "calm", False, True).reason == "repeat"
    assert assess("慢", "calm", True, False).reason == "vip"
    calm = assess("慢", "calm", False, False)
    assert calm.severity == "normal" and not calm.escalate


def test_ticket_number_format_sequence_and_sla(service):
    now = datetime(2026, 11, 23, 8, 0)
    first = service.submit(draft(), now=now)
    second = service.submit(draft(description="另一件事：发票一直没开", category="billing", order_number=None), now=now)
    assert first.number == "TK2611230001" and second.number == "TK2611230002"
    assert first.created_now and first.sla_due_at == now + timedelta(hours=24)
    tomorrow = service.submit(draft(conversation_id="conv-2"), now=now + timedelta(days=1))
    assert tomorrow.number == "TK2611240001"


def test_the_same_complaint_twice_is_one_ticket(service):
    first = service.submit(draft())
    again = service.submit(draft(description="快递一个星期了还没到，物流也不更新 "))  # double tap, trailing space
    assert again.number == first.number and not again.created_now
    assert len(service.list()) == 1


def test_a_repeat_complaint_on_the_same_order_is_escalated(service):
    service.submit(draft())
    repeat = service.submit(draft(conversation_id="conv-9", description="又出问题了，还是没收到"))
    assert repeat.escalated and repeat.escalation_reason == "repeat" and repeat.severity == "high"
    assert repeat.sla_due_at - repeat.created_at == timedelta(hours=4)


def test_tickets_are_only_visible_to_their_customer(service):
    ticket = service.submit(draft())
    assert service.visible_to(ticket.number, "conv-1", "C1002") is not None
    assert service.visible_to(ticket.number, "other-conversation", "C1002") is not None
    assert service.visible_to(ticket.number, "other-conversation", "C1001") is None
    assert service.visible_to(ticket.number, "stranger", None) is None
    assert service.visible_to(ticket.number.lower(), "conv-1", None) is not None


def test_status_changes_are_recorded_in_history(service):
    ticket = service.submit(draft())
    service.set_status(ticket.number, "in_progress", "called the customer", "agent-li")
    service.set_status(ticket.number, "resolved", "courier found the parcel", "agent-li")
    history = service.history(ticket.number)
    assert [h.status for h in history] == ["open", "in_progress", "resolved"]
    assert service.list(status="resolved")[0].number == ticket.number
    with pytest.raises(TicketError, match="status must be one of"):
        service.set_status(ticket.number, "lost", None, "x")
    with pytest.raises(TicketError, match="no ticket"):
        service.set_status("TK0000000000", "resolved", None, "x")


RESPONSES = {
    "utter_x": [
        {"text": "一"}, {"text": "二"}, {"text": "三"},
        {"condition": [{"type": "slot", "name": "language", "value": "en"}], "text": "one"},
        {"condition": [{"type": "slot", "name": "language", "value": "en"}], "text": "two"},
    ]
}


def test_variations_never_repeat_until_all_were_used():
    used = []
    for _ in range(3):
        key, text = pick(RESPONSES, "utter_x", "zh", used)
        assert key not in used
        used.append(key)
    assert {t for _, t in variations_for(RESPONSES, "utter_x", "en")} == {"one", "two"}
    key, _ = pick(RESPONSES, "utter_x", "zh", used)
    assert key == used[0]  # all used: the least recent comes back first


def test_complaint_order_check_accepts_only_the_customers_own_orders(tmp_settings):
    from bot.customers.demo_loader import load_demo_store
    from bot.customers.directory import CustomerDirectory
    from bot.complaints.validation import SKIPPED, check_complaint_order

    database = create_database(tmp_settings.database_url)
    migrate(database.engine)
    load_demo_store(database, tmp_settings.demo_store_file)
    directory = CustomerDirectory(database)
    assert check_complaint_order("订单号 gd 2611200003", directory, "C1002").value == "GD2611200003"
    assert check_complaint_order("没有", directory, "C1002").value == SKIPPED
    invalid = check_complaint_order("就是上周那个", directory, "C1002")
    assert invalid.value is None and invalid.response == "utter_complaint_order_invalid"
    others = check_complaint_order("GD2611180002", directory, "C1002")  # 王芳's order
    unknown = check_complaint_order("GD0000000000", directory, "C1002")
    assert others.response == unknown.response == "utter_complaint_order_not_found"
    assert others.value is None and others.order_number == "GD2611180002"


def test_peak_emotion_over_the_recent_trajectory():
    from bot.emotion.trajectory import peak_level

    history = [{"level": "angry", "score": 0.8}] + [{"level": "calm", "score": 0.0}] * 3
    assert peak_level("calm", history) == "angry"
    assert peak_level("calm", history, window=3) == "calm"
    assert peak_level(None, None) == "calm"


def test_an_account_that_reads_like_a_question_is_the_description_when_asked_for_one():
    account = "快递三天了还没到，这是怎么回事？"
    for intent in ("ask_question", "check_ticket_status", "complain", "nlu_fallback"):
        assert is_description_turn("complaint_form", "complaint_description", intent, account)
    # Any other moment, it is a question for the knowledge base.
    assert not is_description_turn("complaint_form", "complaint_order_number", "ask_question", account)
    assert not is_description_turn(None, None, "ask_question", account)
    # Leaving, asking for a person, a button, or too little to be an account: not taken.
    assert not is_description_turn("complaint_form", "complaint_description", "cancel", "算了算了，不想投诉了")
    assert not is_description_turn("complaint_form", "complaint_description", "request_human", "帮我转人工客服好吗")
    assert not is_description_turn("complaint_form", "complaint_description", "ask_question", "/ask_question")
    assert not is_description_turn("complaint_form", "complaint_description", "inform", "投诉")
