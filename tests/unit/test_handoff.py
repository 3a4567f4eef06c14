"""Handoff logic: priority, triggers, business hours, context, the queue, claims, the outbox, the survey,
agents and the dialogue state."""
import asyncio
import threading
from datetime import datetime, timedelta

import pytest

from bot.handoff.agents import AgentDirectory, AgentError
from bot.handoff.claims import HandoffClaims
from bot.handoff.context import CustomerFacts, KbAnswer, TicketFacts, build_context
from bot.handoff.conversation import next_action
from bot.handoff.hours import parse_service_hours
from bot.handoff.outbox import ReplyDelivery, ReplyOutbox
from bot.handoff.passwords import WeakPasswordError, hash_password, verify_password
from bot.handoff.priority import base_priority, current_priority, estimated_wait_minutes
from bot.handoff.queue import HandoffError, HandoffQueue, HandoffRequest
from bot.handoff.survey import SatisfactionSurvey
from bot.handoff.triggers import handoff_reason
from bot.settings import SettingsError, load_settings

NOW = datetime(2026, 11, 23, 4, 0)  # naive UTC = 12:00 in Shanghai, a Monday


def request(conversation="c1", tier="regular", emotion="calm", reason="explicit"):
    return HandoffRequest(conversation_id=conversation, channel="socketio", customer_id=None, language="zh",
                          tier=tier, emotion=emotion, reason=reason, context={"summary": {"zh": "客户要求转人工"}})


class RecordingGateway:
    """Rasa's side of a handoff, kept in memory: every call succeeds and is recorded."""

    def __init__(self):
        self.calls = []

    async def say(self, conversation_id, text, agent_name, reply_id=None):
        self.calls.append(("say", conversation_id, text))

    async def pause_for_agent(self, conversation_id, agent_name):
        self.calls.append(("pause", conversation_id, agent_name))

    async def resume_bot(self, conversation_id):
        self.calls.append(("resume", conversation_id))

    async def execute(self, conversation_id, action):
        self.calls.append(("execute", conversation_id, action))


def claims_for(database, gateway):
    agents = AgentDirectory(database)
    return HandoffClaims(database, agents, ReplyDelivery(ReplyOutbox(database), agents, gateway), gateway)


# priority ------------------------------------------------------------------------------------
def test_vip_angry_and_safety_come_first_but_waiting_counts_too():
    assert base_priority("vip", "calm", "explicit") > base_priority("regular", "calm", "explicit")
    assert base_priority("regular", "angry", "angry") > base_priority("regular", "upset", "explicit")
    assert base_priority("regular", "calm", "safety") > base_priority("vip", "calm", "explicit")
    vip_now = current_priority(base_priority("vip", "calm", "explicit"), NOW, NOW)
    regular_waited = current_priority(base_priority("regular", "calm", "explicit"), NOW - timedelta(minutes=20), NOW)
    assert regular_waited > vip_now  # fairness: a long wait overtakes a newly arrived VIP


def test_wait_estimate_shares_the_queue_among_agents():
    assert estimated_wait_minutes(0, 1, 4.0) == 4
    assert estimated_wait_minutes(3, 2, 4.0) == 8
    assert estimated_wait_minutes(3, 0, 4.0) == 16  # nobody online: counted as one


# triggers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("intent,tier,emotion,misses,escalation,expected", [
    ("request_human", "regular", "calm", 0, None, "explicit"),
    ("request_human", "vip", "calm", 0, None, "vip"),
    ("request_human", "regular", "angry", 0, None, "angry"),
    ("nlu_fallback", "regular", "calm", 2, None, "misunderstood"),
    ("nlu_fallback", "regular", "calm", 1, None, None),
    ("inform", "regular", "calm", 0, "safety", "safety"),
    ("greet", "vip", "calm", 0, None, None),
])
def test_handoff_triggers(intent, tier, emotion, misses, escalation, expected):
    assert handoff_reason(intent, tier, emotion, misses, escalation) == expected


# business hours ------------------------------------------------------------------------------
def test_business_hours_in_the_configured_zone():
    hours = parse_service_hours("09:00-21:00", "1-5")
    assert hours.is_open(NOW, "Asia/Shanghai")  # Monday 12:00 Shanghai
    assert not hours.is_open(datetime(2026, 11, 23, 14, 0), "Asia/Shanghai")  # 22:00 Shanghai
    assert not hours.is_open(datetime(2026, 11, 22, 4, 0), "Asia/Shanghai")  # Sunday
    opening = hours.next_opening(datetime(2026, 11, 27, 14, 0), "Asia/Shanghai")  # Friday 22:00
    assert (opening.isoweekday(), opening.hour) == (1, 9)  # Monday 09:00


def test_hours_past_midnight_and_all_day():
    night = parse_service_hours("20:00-02:00", "1-7")
    assert night.is_open(datetime(2026, 11, 23, 17, 30), "Asia/Shanghai")  # 01:30
    assert not night.is_open(datetime(2026, 11, 23, 4, 0), "Asia/Shanghai")
    assert parse_service_hours("00:00-24:00", "1-7").is_open(NOW, "UTC")


@pytest.mark.parametrize("hours,days", [("9-21", "1-7"), ("09:00-25:00", "1-7"), ("09:00-21:00", "0-6"),
                                        ("09:00-21:00", "mon"), ("10:00-10:00", "1-7")])
def test_malformed_hours_are_named(hours, days):
    with pytest.raises(SettingsError, match="BOT_SERVICE"):
        parse_service_hours(hours, days)
    with pytest.raises(SettingsError):
        load_settings({"BOT_SERVICE_HOURS": hours, "BOT_SERVICE_DAYS": days})


# context -------------------------------------------------------------------------------------
def test_context_has_the_transcript_emotions_tickets_and_a_summary_with_phones_masked():
    events = [
        {"event": "user", "timestamp": 1763870400.0, "text": "耳机坏了，我的电话 13812345678",
         "parse_data": {"intent": {"name": "complain", "confidence": 0.93},
                        "entities": [{"entity": "phone_number", "value": "13812345678"}]}},
        {"event": "slot", "name": "complaint_phone", "value": "13812345678"},
        {"event": "bot", "timestamp": 1763870401.0, "text": "很抱歉", "data": {"buttons": [{"title": "转人工"}]}},
        {"event": "user", "timestamp": 1763870460.0, "text": "转人工",
         "parse_data": {"intent": {"name": "request_human", "confidence": 0.99}, "entities": []}},
        {"event": "bot", "timestamp": 1763870470.0, "text": "您好", "metadata": {"agent": "小李"}},
    ]
    customer = CustomerFacts("C1001", "王芳", "vip", "13900001111", "socketio", "zh")
    ticket = TicketFacts("TK2611230001", "quality", "high", "open", "GD2611180002", "耳机左耳没声音", "vip")
    context = build_context("vip", customer, events, {"language": "zh", "emotion_history": []},
                            [{"level": "upset", "score": 0.3}, {"level": "angry", "score": 0.7}], [ticket],
                            [KbAnswer("保修多久", "answered", "warranty-period", False)]).as_dict()
    first = context["transcript"][0]
    assert first["intent"] == "complain" and first["confidence"] == 0.93 and first["at"].startswith("2025-")
    assert "13812345678" not in str(context) and "138****5678" in first["text"]
    assert first["slots"] == {"complaint_phone": "138****5678"}
    assert context["transcript"][-1]["who"] == "agent" and context["transcript"][-1]["agent"] == "小李"
    assert context["customer"]["phone"] == "139****1111"
    assert [e["level"] for e in context["emotions"]] == ["upset", "angry"]
    assert "VIP" in context["summary"]["zh"] and "生气" in context["summary"]["zh"]
    assert "TK2611230001" in context["summary"]["zh"] and "1 次没帮上" in context["summary"]["zh"]
    assert "耳机坏了" in context["summary"]["zh"]  # the problem, not the request for a person
    assert context["kb_answers"][0]["helpful"] is False


# queue ---------------------------------------------------------------------------------------
def test_request_is_idempotent_and_queue_order_is_priority_then_waiting(database):
    queue = HandoffQueue(database)
    first = queue.request(request("a"), available=True, now=NOW)
    assert queue.request(request("a"), available=True, now=NOW).id == first.id
    vip = queue.request(request("b", tier="vip"), available=True, now=NOW + timedelta(minutes=1))
    queue.request(request("c"), available=True, now=NOW + timedelta(minutes=2))
    order = [h.conversation_id for h in queue.queued(NOW + timedelta(minutes=2))]
    assert order == ["b", "a", "c"]
    place = queue.place_of(first.id, agents_online=1, now=NOW + timedelta(minutes=2))
    assert place.ahead == 1 and first.number.startswith("HD261123")
    assert vip.number != first.number


def test_exactly_one_of_two_agents_claims(database):
    agents = AgentDirectory(database)
    one = agents.create("li", "小李", "password-1")
    two = agents.create("wang", "小王", "password-2")
    queue = HandoffQueue(database)
    handoff = queue.request(request(), available=True, now=NOW)
    gateway = RecordingGateway()
    claims = claims_for(database, gateway)
    barrier = threading.Barrier(2)
    results = {}

    def claim(agent_id):
        barrier.wait()
        results[agent_id] = asyncio.run(claims.claim(handoff.id, agent_id)).claimed

    threads = [threading.Thread(target=claim, args=(a.id,)) for a in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False, True]
    winner = next(a for a, won in results.items() if won)
    assert queue.get(handoff.id).agent_id == winner
    assert [c[0] for c in gateway.calls] == ["pause", "execute"]  # the customer hears of one agent only


def test_only_the_owner_replies_and_closes_and_replies_wait_in_the_outbox(database):
    agents = AgentDirectory(database)
    owner, other = agents.create("li", "小李", "password-1"), agents.create("wang", "小王", "password-2")
    queue, outbox = HandoffQueue(database), ReplyOutbox(database)
    handoff = queue.request(request(), available=True, now=NOW)

    async def scenario():
        claims = claims_for(database, RecordingGateway())
        with pytest.raises(HandoffError):
            outbox.add_reply(handoff.id, owner.id, "您好")  # not claimed yet
        assert (await claims.claim(handoff.id, owner.id)).claimed
        with pytest.raises(HandoffError):
            outbox.add_reply(handoff.id, other.id, "我来")
        reply = outbox.add_reply(handoff.id, owner.id, "您好，我是小李")
        assert [r.id for r in outbox.undelivered()] == [reply.id]
        outbox.mark_failed(reply.id, "Rasa down")
        outbox.mark_delivered(reply.id)
        assert outbox.undelivered() == []
        with pytest.raises(HandoffError):
            await claims.close(handoff.id, other.id, "resolved")
        assert (await claims.close(handoff.id, owner.id, "resolved")).handoff.status == "resolved"

    asyncio.run(scenario())
    assert queue.open_for("c1") is None


def test_callbacks_take_a_message_and_can_be_cancelled_before_one(database):
    queue = HandoffQueue(database)
    callback = queue.request(request("late"), available=False, now=NOW)
    assert callback.status == "callback"
    assert queue.attach_callback_message("late", "请明天上午给我回电").callback_message == "请明天上午给我回电"
    assert queue.cancel_by_customer("late") is None  # a message was left: the callback stands
    queue.request(request("late2"), available=False, now=NOW)
    assert queue.cancel_by_customer("late2").status == "cancelled"


def test_ratings_and_comments(database):
    queue = HandoffQueue(database)
    survey = SatisfactionSurvey(database, queue)
    queue.request(request(), available=True, now=NOW)
    survey.record_rating("c1", 5)
    assert survey.record_comment("c1", "很耐心")
    assert survey.summary() == {"ratings": 1, "average": 5.0}
    with pytest.raises(HandoffError):
        survey.record_rating("c1", 6)


# agents --------------------------------------------------------------------------------------
def test_passwords_are_salted_hashes():
    stored = hash_password("correct horse")
    assert "correct horse" not in stored and stored != hash_password("correct horse")
    assert verify_password("correct horse", stored) and not verify_password("wrong horse", stored)
    with pytest.raises(WeakPasswordError):
        hash_password("short")


def test_sessions_expire_and_presence_times_out(database):
    agents = AgentDirectory(database, session_hours=8, presence_timeout_s=60)
    agent = agents.create("li", "小李", "password-1")
    with pytest.raises(AgentError):
        agents.create("li", "又一个", "password-2")
    assert agents.sign_in("li", "wrong-password", now=NOW) is None
    token = agents.sign_in("li", "password-1", now=NOW)
    assert agents.agent_for(token, now=NOW + timedelta(hours=7)).id == agent.id
    assert agents.agent_for(token, now=NOW + timedelta(hours=9)) is None
    agents.set_presence(agent.id, "online", now=NOW)
    assert agents.online_count(now=NOW + timedelta(seconds=30)) == 1
    assert agents.online_count(now=NOW + timedelta(seconds=90)) == 0  # console closed: no heartbeat
    agents.set_presence(agent.id, "away", now=NOW)
    assert agents.online_count(now=NOW) == 0


# the dialogue while a handoff is under way ----------------------------------------------------
@pytest.mark.parametrize("state,intent,latest,expected", [
    ("queued", "ask_question", "action_listen", "action_handoff_waiting"),
    ("queued", "cancel", "action_listen", "action_cancel_handoff"),
    ("callback", "inform", "action_listen", "action_leave_message"),
    ("callback", "cancel", "action_listen", "action_cancel_handoff"),
    ("comment", "chitchat", "action_listen", "action_record_survey_comment"),
    ("comment", "rate_service", "action_listen", None),
    ("queued", "ask_question", "action_handoff_waiting", "action_listen"),
    (None, "ask_question", "action_listen", None),
    ("queued", "restart", "action_listen", None),
])
def test_handoff_dialogue_state(state, intent, latest, expected):
    assert next_action(state, intent, latest) == expected


def test_a_clear_request_for_something_else_is_not_taken_as_the_message_left():
    from bot.handoff.conversation import LEAVE_STATE

    assert next_action("callback", "check_ticket_status", "action_listen", 0.95, "我的投诉处理得怎么样了") == LEAVE_STATE
    assert next_action("comment", "check_ticket_status", "action_listen", 0.9, "投诉进度呢") == LEAVE_STATE
    assert next_action("comment", "thanks", "action_listen", 0.95, "小李很耐心，谢谢") == "action_record_survey_comment"
    assert next_action("callback", "check_ticket_status", "action_listen", 0.6, "投诉") == "action_leave_message"
    assert next_action("queued", "check_ticket_status", "action_listen", 0.95, "投诉进度") == "action_handoff_waiting"


def test_only_a_short_clear_cancel_leaves_the_queue():
    left = "换了充电线也不行，请明天上午联系我，谢谢"
    assert next_action("callback", "cancel", "action_listen", 0.9, left) == "action_leave_message"
    assert next_action("queued", "cancel", "action_listen", 0.95, "不等了") == "action_cancel_handoff"
    assert next_action("queued", "cancel", "action_listen", 0.5, "算了吧") == "action_handoff_waiting"


def test_misunderstandings_in_a_row_are_read_from_the_responses_given():
    from bot.handoff.triggers import misses_before_this_message

    def turn(*responses):
        return [{"event": "user"}] + [{"event": "bot", "metadata": {"utter_action": r}} for r in responses]

    assert misses_before_this_message(turn("utter_default") + [{"event": "user"}]) == 1
    assert misses_before_this_message(turn("utter_default") + turn("utter_kb_no_answer") + [{"event": "user"}]) == 2
    assert misses_before_this_message(turn("utter_default") + turn("utter_greet") + [{"event": "user"}]) == 0
    assert misses_before_this_message([{"event": "user"}]) == 0
