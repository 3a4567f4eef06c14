"""Retention on a temporary database (SQLite, or PostgreSQL with BOT_TEST_DATABASE=postgres): older rows deleted or anonymised, newer ones and open work kept."""
import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import text

from bot.storage.models import (
    Agent, AgentReply, Handoff, HandoffNote, KbFeedback, KbQuery, SatisfactionRating, Ticket, WeChatInbound,
)
from bot.storage.retention import ANONYMISED, apply_retention

NOW = datetime(2026, 11, 23, 4, 0)
OLD = NOW - timedelta(days=40)
NEW = NOW - timedelta(days=5)


def rasa_events(database, *rows):
    """Rasa's tracker-store table as SQLTrackerStore creates it, with (sender, seconds since epoch) rows."""
    with database.engine.begin() as connection:
        from rasa.core.tracker_store import SQLTrackerStore

        SQLTrackerStore.SQLEvent.__table__.create(connection)
        for sender, when in rows:
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES (:s, 'user', :t, '{\"text\": \"13812345678\"}')"),
                               {"s": sender, "t": (when - datetime(1970, 1, 1)).total_seconds()})


def handoff(session, number, status, when, conversation="wechat:o1"):
    row = Handoff(number=number, conversation_id=conversation, channel="wechat", customer_id="c-wang",
                  language="zh", tier="vip", reason="angry", summary="王芳 13812345678 耳机坏了", base_priority=50,
                  status=status, context_json=json.dumps({"phone": "13812345678"}), callback_message="请回电",
                  created_at=when, closed_at=when if status not in ("queued", "claimed") else None)
    session.add(row)
    session.flush()
    return row.id


def fill(database):
    rasa_events(database, ("old-chat", OLD), ("new-chat", NEW))
    with database.session() as session, session.begin():
        agent = Agent(username="li", display_name="小李", password_hash="x")
        session.add(agent)
        session.flush()
        closed_old = handoff(session, "HD1", "resolved", OLD)
        closed_new = handoff(session, "HD2", "resolved", NEW)
        open_old = handoff(session, "HD3", "claimed", OLD, "wechat:o2")
        for handoff_id in (closed_old, closed_new, open_old):
            session.add(HandoffNote(handoff_id=handoff_id, agent_id=agent.id, text="客户电话13812345678", created_at=OLD))
            session.add(AgentReply(handoff_id=handoff_id, agent_id=agent.id, text="您好", created_at=OLD,
                                   delivered_at=OLD))
        for when in (OLD, NEW):
            session.add(KbQuery(conversation_id="c", question="我的手机号13812345678", normalized="q", language="zh",
                                outcome="answered", created_at=when))
            session.add(KbFeedback(conversation_id="c", entry_id="e", question="运费", helpful=True, created_at=when))
            session.add(WeChatInbound(dedupe_key=f"msg:{when}", openid="o1", msg_type="text", state="passive",
                                      received_at=when))
            session.add(SatisfactionRating(conversation_id="wechat:o1", handoff_id=closed_old, score=2,
                                           comment="太慢了", created_at=when))
        session.add(Ticket(number="TK1", idempotency_key="k1", conversation_id="wechat:o1", category="quality",
                           severity="normal", emotion_level="calm", emotion_score=0.1, description="耳机坏了",
                           phone="13812345678", status="resolved", sla_due_at=OLD, created_at=OLD, updated_at=OLD))
        session.add(Ticket(number="TK2", idempotency_key="k2", conversation_id="wechat:o1", category="quality",
                           severity="normal", emotion_level="calm", emotion_score=0.1, description="还没处理",
                           phone="13812345678", status="open", sla_due_at=OLD, created_at=OLD, updated_at=OLD))
    return closed_old, closed_new, open_old


def rows(database, sql):
    with database.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_older_records_go_newer_ones_and_open_work_stay(database):
    closed_old, closed_new, open_old = fill(database)
    report = apply_retention(database, days=30, now=NOW)
    assert report.counts["conversation events (Rasa)"] == 1
    assert rows(database, "select sender_id from events") == [("new-chat",)]
    assert rows(database, "select count(*) from kb_queries") == [(1,)]
    assert rows(database, "select question from kb_feedback order by id") == [(None,), ("运费",)]
    assert rows(database, "select count(*) from wechat_inbound") == [(1,)]
    # Closed handoffs keep their numbers for the statistics, lose who and what.
    handoffs = {r[0]: r[1:] for r in rows(database, "select number, conversation_id, customer_id, summary, "
                                                    "context_json, callback_message, reason, base_priority "
                                                    "from handoffs")}
    assert handoffs["HD1"] == (ANONYMISED, None, "", "{}", None, "angry", 50)
    assert handoffs["HD2"][0] == "wechat:o1" and "13812345678" in handoffs["HD2"][2]  # newer: kept
    assert handoffs["HD3"][0] == "wechat:o2" and "13812345678" in handoffs["HD3"][2]  # open work: kept
    # Notes and replies of closed handoffs older than the window go (of the open one they stay).
    assert sorted(rows(database, "select handoff_id from handoff_notes")) == [(open_old,)]
    assert sorted(rows(database, "select handoff_id from agent_replies")) == [(open_old,)]
    assert rows(database, "select comment, score from satisfaction_ratings order by id") == [(None, 2), ("太慢了", 2)]
    assert rows(database, "select number, description, phone from tickets order by number") == [
        ("TK1", "", None), ("TK2", "还没处理", "13812345678")]


def test_a_dry_run_counts_and_changes_nothing_and_a_second_run_finds_nothing(database):
    fill(database)
    before = rows(database, "select count(*) from events") + rows(database, "select summary from handoffs")
    dry = apply_retention(database, days=30, now=NOW, dry_run=True)
    assert dry.dry_run and dry.total > 0
    assert rows(database, "select count(*) from events") + rows(database, "select summary from handoffs") == before
    applied = apply_retention(database, days=30, now=NOW)
    assert applied.counts == dry.counts
    assert apply_retention(database, days=30, now=NOW).total == 0


def test_without_rasas_table_the_rest_is_still_done(database):
    with database.session() as session, session.begin():
        session.add(KbQuery(conversation_id="c", question="q", normalized="q", language="zh", outcome="answered",
                            created_at=OLD))
    report = apply_retention(database, days=30, now=NOW)
    assert "conversation events (Rasa)" not in report.counts
    assert report.counts["knowledge-base queries"] == 1
    assert not sa.inspect(database.engine).has_table("events")
