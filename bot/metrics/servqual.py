"""Service quality at a glance, in SERVQUAL's five dimensions (the seeds' terms): one or two figures each,
most of them taken from the other groups."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.handoff.followups import FollowUps, is_open_ticket
from bot.metrics import complaints, containment, handoffs, knowledge
from bot.metrics.conversations import REPLY_BUCKETS_S, REPLY_COLUMNS
from bot.metrics.cube import Cell, total
from bot.metrics.figures import DEFINITIONS, Column, Section, figure, label, share, table
from bot.metrics.scope import Scope, as_time, raw_time
from bot.storage.models import Handoff, Ticket

H = Handoff.__table__
T = Ticket.__table__
FAST_REPLY_S = 2.0

BOT_REPLY_P95 = figure(
    "bot_reply_p95", "seconds", "Bot reply time (p95)", "机器人回复时间（P95）",
    "95 in 100 customer messages got the bot's first answer within this time (from the message's arrival to "
    "the bot's first message after it; read off buckets of 0.5, 1, 2, 3, 5, 10, 20, 30 and 60 s, so the value "
    "is the bucket's upper bound; \"> 60\" beyond).",
    "每 100 条客户消息中有 95 条在此时间内得到机器人的第一条回复（从消息到达到其后机器人第一条消息；按 0.5、1、2、3、5、10、20、30、60 秒"
    "分档统计，取所在档的上限；超过 60 秒显示“> 60”）。")
BOT_REPLIES_FAST = figure(
    "bot_replies_fast", "share", "Bot replies within 2 s", "机器人 2 秒内回复",
    "Customer messages the bot answered within 2 seconds / customer messages it answered.",
    "机器人 2 秒内回复的客户消息 / 机器人回复了的客户消息。")
ANGRY_HANDED_OVER = figure(
    "angry_handed_over", "share", "Angry customers reaching a person in time", "愤怒客户及时转人工",
    "Conversations with an angry customer that were handed to a person within 10 minutes "
    "(BOT_METRICS_EMPATHY_MINUTES) of their first angry message / such conversations (those less than 10 minutes "
    "past it and not yet handed over are left out).",
    "客户愤怒的会话中，在第一条愤怒消息后 10 分钟（BOT_METRICS_EMPATHY_MINUTES）内转人工的 / 这类会话（尚未到 10 分钟且未转人工的不计）。")
PROMISES_HONOURED = figure(
    "promises_honoured", "share", "Tickets and callbacks honoured", "工单与回电兑现率",
    "Of the complaint tickets and callback requests of the period that are due by now or already dealt with: "
    "tickets resolved or closed and callbacks taken by an agent, at any time.",
    "期间内已到期或已处理的投诉工单和留言回电中：已解决或关闭的工单、已被客服处理的回电（不论早晚）所占比例。")
SERVQUAL_TABLE = table(
    "servqual", "Service quality (SERVQUAL)", "服务质量（SERVQUAL）",
    "Responsiveness: how fast the bot answers and how long people wait for an agent. Reliability: the knowledge "
    "base helps and the bot solves alone. Assurance: complaints resolved within SLA. Empathy: angry customers reach "
    "a person quickly. Tangibles: tickets and callbacks honoured.",
    "响应性：机器人回复多快、等人工多久。可靠性：知识库有帮助、机器人能自助解决。保证性：投诉在 SLA 内解决。"
    "移情性：愤怒客户能很快转到人工。有形性：工单和回电得到兑现。",
    [Column("dimension", "Dimension", "维度", "text"), Column("figure", "Figure", "指标", "text"),
     Column("value", "Value", "数值", "text"), Column("unit", "Unit", "单位", "text")])
DIMENSIONS = (
    ("responsiveness", (BOT_REPLY_P95, BOT_REPLIES_FAST, handoffs.WAIT_P90)),
    ("reliability", (knowledge.KB_HELPFUL_RATE, containment.CONTAINMENT_RATE)),
    ("assurance", (complaints.SLA_MET_RATE,)),
    ("empathy", (ANGRY_HANDED_OVER,)),
    ("tangibles", (PROMISES_HONOURED,)),
)
for _key, _en, _zh in (("responsiveness", "responsiveness", "响应性"), ("reliability", "reliability", "可靠性"),
                       ("assurance", "assurance", "保证性"), ("empathy", "empathy", "移情性"),
                       ("tangibles", "tangibles", "有形性")):
    label("dimension", _key, _en, _zh)


def reply_percentile(buckets: List[int], q: float) -> Union[float, str, None]:
    """The upper bound of the bucket holding the q-th reply (nearest rank); "> 60" past the last bound."""
    total = sum(buckets)
    if not total:
        return None
    rank, seen = max(1, -(-int(q * total * 1000) // 1000)), 0
    for bound, count in zip(REPLY_BUCKETS_S, buckets):
        seen += count
        if seen >= rank:
            return bound if bound != float("inf") else f"> {REPLY_BUCKETS_S[-2]:g}"
    return None


def compute(connection: Connection, scope: Scope, cells: Sequence[Cell], sections: Dict[str, Section],
            followups: FollowUps) -> Section:
    buckets = list(total(cells, *REPLY_COLUMNS))
    fast = sum(count for bound, count in zip(REPLY_BUCKETS_S, buckets) if bound <= FAST_REPLY_S)
    angry, angry_in_time = total(cells, "angry_decided", "angry_in_time")
    section = Section("servqual")
    section.figures.update({
        BOT_REPLY_P95: reply_percentile(buckets, 0.95), BOT_REPLIES_FAST: share(fast, sum(buckets)),
        ANGRY_HANDED_OVER: share(angry_in_time, angry),
        PROMISES_HONOURED: _promises_honoured(connection, scope, followups),
    })
    values: Dict[str, Any] = dict(section.figures)
    for other in sections.values():
        values.update(other.figures)
    section.tables[SERVQUAL_TABLE] = [[dimension, key, values.get(key), DEFINITIONS[key].unit]
                                      for dimension, keys in DIMENSIONS for key in keys]
    return section


def _promises_honoured(connection: Connection, scope: Scope, followups: FollowUps) -> Optional[float]:
    """Kept / (kept + open past their deadline), over the period's tickets and callback requests (a callback
    request the customer withdrew is no promise)."""
    start, end = scope.period.utc_bounds()
    kept = due = 0
    for status, sla_due_at in connection.execute(
            sa.select(T.c.status, raw_time(T.c.sla_due_at)).where(
                T.c.created_at >= start, T.c.created_at < end,
                scope.filters.clause(T.c.conversation_id, T.c.language))):
        if not is_open_ticket(status):
            kept, due = kept + 1, due + 1
        elif as_time(sla_due_at) < scope.now:
            due += 1
    for status, created_at, claimed_at in connection.execute(
            sa.select(H.c.status, raw_time(H.c.created_at), H.c.claimed_at.is_not(None)).where(
                H.c.callback_requested.is_(True), H.c.status != "cancelled",
                H.c.created_at >= start, H.c.created_at < end,
                scope.filters.clause(H.c.conversation_id, H.c.language))):
        if claimed_at:
            kept, due = kept + 1, due + 1
        elif followups.callback_due(as_time(created_at)) < scope.now:
            due += 1
    return share(kept, due)
