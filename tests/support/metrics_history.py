"""A known history for the service metrics: thirteen conversations over nine days on three channels in two
languages, as Rasa's tracker store keeps them (its `events` table), with the knowledge-base questions and
feedback, handoffs with their waits, ratings and complaint tickets they left in our tables.

`NOW` is Friday 2026-11-20 12:00 in Shanghai (04:00 UTC); the hand-computed figures are in
tests/unit/test_service_metrics.py, which explains each of them. Times below are Shanghai time."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from bot.handoff.agents import AgentDirectory
from bot.storage.database import Database
from bot.storage.models import (
    AgentReply, Customer, Handoff, KbFeedback, KbQuery, SatisfactionRating, Ticket, TicketEvent,
)

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 20, 4, 0)  # naive UTC, as stored
AGENT_PASSWORD = "metrics-password-1"

# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), without importing Rasa.
_metadata = sa.MetaData()
EVENTS = sa.Table(
    "events", _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def local(day: int, hour: int, minute: int = 0, second: float = 0.0, month: int = 11) -> datetime:
    """A Shanghai wall-clock time in November 2026, as an aware datetime."""
    whole = int(second)
    return datetime(2026, month, day, hour, minute, whole, int(round((second - whole) * 1e6)), tzinfo=SHANGHAI)


def utc(at: datetime) -> datetime:
    """An aware time as the database stores it (naive UTC)."""
    return at.astimezone(timezone.utc).replace(tzinfo=None)


class Conversation:
    """Builds one conversation's events, as Rasa would store them."""

    def __init__(self, sender: str, start: datetime) -> None:
        self.sender = sender
        self.at = start.timestamp()
        self.rows: List[Dict[str, Any]] = []
        self._event("action", {"event": "action", "name": "action_session_start"})
        self._event("session_started", {"event": "session_started"})
        self._event("action", {"event": "action", "name": "action_listen"})

    def _event(self, kind: str, data: Dict[str, Any], at: Optional[float] = None) -> None:
        data = {**data, "timestamp": self.at if at is None else at}
        intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
        self.rows.append({"sender_id": self.sender, "type_name": kind, "timestamp": data["timestamp"],
                          "intent_name": intent, "action_name": data.get("name"), "data": json.dumps(data)})

    def user(self, when: datetime, text: str, language: Optional[str], mood: str, intent: str = "ask") -> "Conversation":
        self.at = when.timestamp()
        entities = ([{"entity": "language", "value": language}] if language else []) + [
            {"entity": "emotion", "value": mood}, {"entity": "emotion_score", "value": 0.9 if mood == "angry" else 0.0}]
        self._event("user", {"event": "user", "text": text, "input_channel": self.sender.split(":")[0],
                             "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities}})
        return self

    def bot(self, after: float, response: str) -> "Conversation":
        """The bot's message `after` seconds after the last customer message (or event)."""
        self._event("action", {"event": "action", "name": response}, self.at + after)
        self._event("bot", {"event": "bot", "text": response, "metadata": {"utter_action": response}},
                    self.at + after)
        return self

    def agent(self, when: datetime, text: str, name: str) -> "Conversation":
        self._event("bot", {"event": "bot", "text": text, "metadata": {"agent": name, "reply_id": 1}},
                    when.timestamp())
        return self

    def slot(self, name: str, value: Any, when: Optional[datetime] = None) -> "Conversation":
        at = when.timestamp() if when else self.at + 0.05
        self._event("slot", {"event": "slot", "name": name, "value": value}, at)
        return self

    def pause(self, when: datetime) -> "Conversation":
        self._event("pause", {"event": "pause"}, when.timestamp())
        return self.slot("handoff_state", "claimed", when)

    def resume(self, when: datetime) -> "Conversation":
        self._event("resume", {"event": "resume"}, when.timestamp())
        self.slot("handoff_state", None, when)
        self._event("bot", {"event": "bot", "text": "rate us", "metadata": {"utter_action": "utter_ask_rating"}},
                    when.timestamp())
        return self


def conversations() -> List[Conversation]:
    """The events, conversation by conversation (C1…C13 as in the unit test's explanations)."""
    c12 = (Conversation("web:e12", local(14, 10))
           .user(local(14, 10, 0, 5), "我要投诉扣款", "zh", "upset").bot(1.2, "utter_ask_description")
           .user(local(14, 10, 1), "重复扣了两次钱", "zh", "upset").bot(2.5, "utter_complaint_filed"))
    c11 = (Conversation("wechat:o11", local(15, 22, 30))
           .user(local(15, 22, 30), "转人工", "zh", "calm", "request_human").bot(0.4, "utter_handoff_closed")
           .slot("handoff_state", "callback")
           .user(local(15, 22, 31), "请明天上午给我回电话", "zh", "calm").bot(0.3, "utter_handoff_message_taken")
           .slot("handoff_state", None)
           .pause(local(16, 10)).resume(local(16, 10, 20)))
    c1 = (Conversation("web:a1", local(16, 10))
          .user(local(16, 10), "你好", "zh", "calm", "greet").bot(0.3, "utter_greet")
          .user(local(16, 10, 0, 30), "运费多少", "zh", "calm").bot(0.8, "utter_kb_answer").bot(0.9, "utter_ask_helpful")
          .user(local(16, 10, 1), "有帮助", "zh", "calm", "affirm").bot(0.2, "utter_thanks_feedback"))
    c2 = (Conversation("wechat:o2", local(16, 21, 30))
          .user(local(16, 21, 30), "我的快递怎么还没到！", "zh", "upset").bot(1.5, "utter_kb_no_answer")
          .user(local(16, 21, 31), "物流查询", "zh", "calm").bot(2.5, "utter_kb_choices")
          .user(local(16, 21, 31, 30), "查物流", "zh", "calm").bot(0.6, "utter_kb_answer")
          .user(local(16, 21, 32), "没帮上", "zh", "calm", "deny").bot(0.4, "utter_kb_sorry"))
    c3 = (Conversation("wechat:o2", local(17, 9))
          .user(local(17, 9), "return policy?", "en", "calm").bot(0.7, "utter_kb_answer")
          .user(local(17, 9, 0, 10), "not helpful", "en", "calm", "deny").bot(0.3, "utter_kb_sorry")
          .user(local(17, 9, 0, 20), "this is useless, I want a person now!", "en", "angry", "request_human")
          .bot(0.5, "utter_handoff_queued").slot("handoff_state", "queued")
          .pause(local(17, 9, 2, 20)).agent(local(17, 9, 2, 50), "Hello, I am Li", "小李")
          .user(local(17, 9, 3), "ok", "en", "calm", "affirm")
          .agent(local(17, 9, 5), "Your refund is on its way", "小李").resume(local(17, 9, 12, 20)))
    c13 = (Conversation("rest:shop:u13", local(17, 16))
           .user(local(17, 16), "快递丢了", "zh", "upset").bot(3.5, "utter_ask_description")
           .user(local(17, 16, 0, 40), "订单 A1001 显示签收但没收到", "zh", "upset").bot(1.0, "utter_complaint_filed"))
    c4 = (Conversation("rest:shop:u4", local(18, 14))
          .user(local(18, 14), "怎么开发票", "zh", "calm").bot(0.6, "utter_kb_no_answer")
          .user(local(18, 14, 0, 30), "怎么开发票？", "zh", "calm").bot(0.6, "utter_default"))
    c5 = (Conversation("web:b5", local(18, 15))
          .user(local(18, 15), "My order never arrived, this is outrageous!", "en", "angry").bot(0.9, "utter_ask_description")
          .user(local(18, 15, 5), "Order A2002, two weeks late", "en", "angry").bot(1.8, "utter_complaint_filed")
          .user(local(18, 15, 15), "I still want to talk to someone", "en", "upset", "request_human")
          .bot(0.5, "utter_handoff_queued").slot("handoff_state", "queued")
          .pause(local(18, 15, 20)).agent(local(18, 15, 21), "Sorry for the wait", "小王").resume(local(18, 15, 40)))
    c6 = (Conversation("web:c6", local(19, 20))
          .user(local(19, 20), "转人工", "zh", "calm", "request_human").bot(0.4, "utter_handoff_queued_next")
          .slot("handoff_state", "queued")
          .user(local(19, 20, 1), "还要等多久", "zh", "upset").bot(0.5, "utter_handoff_still_waiting")
          .slot("handoff_state", "queued"))
    c10 = (Conversation("web:a1", local(19, 9))
           .user(local(19, 9), "shipping fee?", "en", "calm").bot(0.5, "utter_kb_answer")
           .user(local(19, 9, 0, 20), "helpful", "en", "calm", "affirm").bot(0.2, "utter_thanks_feedback")
           .user(local(19, 9, 1), "I'm VIP, get me a person", "en", "calm", "request_human")
           .bot(0.6, "utter_handoff_no_agent").slot("handoff_state", "callback")
           .user(local(19, 9, 2), "Please call me back after 5pm", "en", "calm").bot(0.4, "utter_handoff_message_taken_open")
           .slot("handoff_state", None))
    c7 = (Conversation("wechat:o7", local(20, 11, 30))
          .user(local(20, 11, 30), "手机充电时冒烟了！太危险了", "zh", "angry").bot(4.0, "utter_ask_description")
          .user(local(20, 11, 31), "型号 X10，昨天买的", "zh", "angry").bot(2.0, "utter_complaint_filed"))
    c8 = (Conversation("rest:shop:u8", local(12, 10))
          .user(local(12, 10), "保修多久", "zh", "calm").bot(0.5, "utter_kb_answer"))
    c9 = Conversation("web:d9", local(17, 12)).bot(0.1, "utter_greet")  # the widget opened; nobody wrote
    return [c8, c12, c11, c1, c2, c9, c3, c13, c4, c5, c6, c10, c7]


def build(database: Database) -> Dict[str, int]:
    """Writes the history; returns the ids of the agents (li, wang) and the handoffs (H1…H5)."""
    agents = AgentDirectory(database)
    li = agents.create("li", "小李", AGENT_PASSWORD)
    wang = agents.create("wang", "小王", AGENT_PASSWORD)
    boss = agents.create("boss", "经理", AGENT_PASSWORD, role="admin")
    with database.engine.begin() as connection:
        EVENTS.create(connection, checkfirst=True)
        rows = [row for conversation in conversations() for row in conversation.rows]
        connection.execute(EVENTS.insert(), rows)
    ids: Dict[str, int] = {"li": li.id, "wang": wang.id, "boss": boss.id}
    with database.session() as session, session.begin():
        session.add(Customer(id="c-li", name="李雷", tier="regular", language="zh"))
        handoffs = {
            "H1": Handoff(number="HD2611170001", conversation_id="wechat:o2", channel="wechat", language="en",
                          reason="angry", summary="", context_json="{}", status="resolved", agent_id=li.id,
                          created_at=utc(local(17, 9, 0, 20)), claimed_at=utc(local(17, 9, 2, 20)),
                          closed_at=utc(local(17, 9, 12, 20))),
            "H2": Handoff(number="HD2611180001", conversation_id="web:b5", channel="web", language="en",
                          reason="angry", summary="", context_json="{}", status="resolved", agent_id=wang.id,
                          ticket_number="TK2611180001", created_at=utc(local(18, 15, 15)),
                          claimed_at=utc(local(18, 15, 20)), closed_at=utc(local(18, 15, 40))),
            "H3": Handoff(number="HD2611190002", conversation_id="web:c6", channel="web", language="zh",
                          reason="explicit", summary="", context_json="{}", status="queued",
                          created_at=utc(local(19, 20))),
            "H4": Handoff(number="HD2611190001", conversation_id="web:a1", channel="web", language="en",
                          reason="vip", tier="vip", summary="", context_json="{}", status="callback",
                          callback_requested=True, callback_message="Please call me back after 5pm",
                          created_at=utc(local(19, 9, 1))),
            "H5": Handoff(number="HD2611150001", conversation_id="wechat:o11", channel="wechat", language="zh",
                          reason="explicit", summary="", context_json="{}", status="resolved", agent_id=li.id,
                          callback_requested=True, callback_message="请明天上午给我回电话",
                          created_at=utc(local(15, 22, 30)), claimed_at=utc(local(16, 10)),
                          closed_at=utc(local(16, 10, 20))),
        }
        session.add_all(handoffs.values())
        session.flush()
        ids.update({key: h.id for key, h in handoffs.items()})
        session.add_all([
            AgentReply(handoff_id=handoffs["H1"].id, agent_id=li.id, text="Hello, I am Li",
                       created_at=utc(local(17, 9, 2, 50)), delivered_at=utc(local(17, 9, 2, 50))),
            AgentReply(handoff_id=handoffs["H1"].id, agent_id=li.id, text="Your refund is on its way",
                       created_at=utc(local(17, 9, 5)), delivered_at=utc(local(17, 9, 5))),
            AgentReply(handoff_id=handoffs["H2"].id, agent_id=wang.id, text="Sorry for the wait",
                       created_at=utc(local(18, 15, 21)), delivered_at=utc(local(18, 15, 21))),
            SatisfactionRating(conversation_id="wechat:o2", handoff_id=handoffs["H1"].id, score=5,
                               comment="Quick and kind, thanks", created_at=utc(local(17, 9, 13))),
            SatisfactionRating(conversation_id="web:b5", handoff_id=handoffs["H2"].id, score=2,
                               comment="Too slow, call me at 13812345678", created_at=utc(local(18, 15, 41))),
            SatisfactionRating(conversation_id="wechat:o11", handoff_id=handoffs["H5"].id, score=4,
                               created_at=utc(local(16, 10, 21))),
        ])
        tickets = [
            _ticket("TK2611140001", "web:e12", "c-li", "billing", "normal", "zh", local(14, 10, 1, 2), 24, "open"),
            _ticket("TK2611170001", "rest:shop:u13", "c-li", "delivery", "normal", "zh", local(17, 16, 0, 41), 24,
                    "resolved", local(18, 22)),
            _ticket("TK2611180001", "web:b5", "c-zhao", "delivery", "high", "en", local(18, 15, 5, 1), 4,
                    "resolved", local(18, 18)),
            _ticket("TK2611200001", "wechat:o7", None, "quality", "critical", "zh", local(20, 11, 31, 1), 2, "open"),
            _ticket("TK2611100001", "web:old5", None, "other", "normal", "zh", local(10, 10), 24, "open"),
        ]
        for ticket, resolved_at in tickets:
            session.add(ticket)
            session.flush()
            session.add(TicketEvent(ticket_id=ticket.id, status="open", actor="assistant", note="created",
                                    created_at=ticket.created_at))
            if resolved_at is not None:
                session.add(TicketEvent(ticket_id=ticket.id, status="resolved", actor="li", note="done",
                                        created_at=utc(resolved_at)))
        session.add_all([
            _query("web:a1", "运费多少", "zh", "answered", "shipping_fee", local(16, 10, 0, 30)),
            _query("wechat:o2", "我的快递怎么还没到", "zh", "unanswered", None, local(16, 21, 30)),
            _query("wechat:o2", "物流查询", "zh", "choices", None, local(16, 21, 31)),
            _query("wechat:o2", "查物流", "zh", "chosen", "track_order", local(16, 21, 31, 30)),
            _query("wechat:o2", "return policy?", "en", "answered", "return_policy", local(17, 9)),
            _query("rest:shop:u4", "怎么开发票", "zh", "unanswered", None, local(18, 14)),
            _query("rest:shop:u4", "怎么开发票？", "zh", "unanswered", None, local(18, 14, 0, 30)),
            _query("web:a1", "shipping fee?", "en", "answered", "shipping_fee", local(19, 9)),
            _query("rest:shop:u8", "保修多久", "zh", "answered", "warranty", local(12, 10)),
            KbFeedback(conversation_id="web:a1", entry_id="shipping_fee", question="运费多少", helpful=True,
                       created_at=utc(local(16, 10, 1))),
            KbFeedback(conversation_id="wechat:o2", entry_id="track_order", question="物流查询", helpful=False,
                       created_at=utc(local(16, 21, 32))),
            KbFeedback(conversation_id="wechat:o2", entry_id="return_policy", question="return policy?",
                       helpful=False, created_at=utc(local(17, 9, 0, 10))),
            KbFeedback(conversation_id="web:a1", entry_id="shipping_fee", question="shipping fee?", helpful=True,
                       created_at=utc(local(19, 9, 0, 20))),
        ])
    return ids


def _ticket(number: str, conversation: str, customer: Optional[str], category: str, severity: str, language: str,
            created: datetime, sla_hours: int, status: str, resolved: Optional[datetime] = None):
    ticket = Ticket(number=number, idempotency_key=number, conversation_id=conversation, customer_id=customer,
                    category=category, severity=severity, emotion_level="calm", emotion_score=0.0,
                    description="…", language=language, status=status, created_at=utc(created),
                    updated_at=utc(resolved or created), sla_due_at=utc(created + timedelta(hours=sla_hours)))
    return ticket, resolved


def _query(conversation: str, question: str, language: str, outcome: str, entry: Optional[str],
           at: datetime) -> KbQuery:
    from bot.kb.records import normalize_question

    return KbQuery(conversation_id=conversation, question=question, normalized=normalize_question(question),
                   language=language, outcome=outcome, entry_id=entry, score=None, created_at=utc(at))
