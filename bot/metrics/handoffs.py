"""Handoff: how often and why customers were handed to a person, how long they waited and were served, and the
callback requests still to be called back."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Dict, List, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.handoff.followups import FollowUps
from bot.metrics.cube import Cell, total
from bot.metrics.figures import Column, Section, figure, label, percentile, share, table
from bot.metrics.scope import Scope, as_time, raw_time
from bot.storage.models import AgentReply, Handoff
from bot.timekeeping import local_time

H = Handoff.__table__
R = AgentReply.__table__
LISTED = 100  # rows of a list of overdue work on the page
STATUSES = ("queued", "claimed", "resolved", "returned", "cancelled", "callback")
REASONS = ("explicit", "misunderstood", "angry", "safety", "repeat", "vip")

HANDOFF_RATE = figure(
    "handoff_rate", "share", "Handoff rate", "转人工率",
    "Conversations in which the customer was handed to a person or left a callback request / conversations.",
    "转人工（排队或留言回电）的会话 / 会话数。")
HANDOFFS = figure(
    "handoffs", "count", "Handoffs", "转人工次数",
    "Requests for a person made in the period (queued, or callback requests when nobody was available).",
    "期间内的转人工请求（进入排队，或无人可接时的留言回电请求）。")
CALLBACK_REQUESTS = figure(
    "callback_requests", "count", "Callback requests", "留言回电请求",
    "Handoffs asked for while nobody was available, so the customer was offered a call back.",
    "无人可接时提出、因此改为留言回电的转人工请求。")
WAIT_P50 = figure(
    "wait_p50", "seconds", "Wait before an agent (p50)", "等待接入时间（中位数）",
    "Median time from the request to an agent claiming it, over queued handoffs that were claimed (callback "
    "requests excluded: the customer was told nobody was there). Nearest-rank percentile.",
    "从提出请求到客服接入的时间的中位数，只计排队后被接入的请求（不含留言回电：客户已知无人可接）。最近秩百分位。")
WAIT_P90 = figure(
    "wait_p90", "seconds", "Wait before an agent (p90)", "等待接入时间（P90）",
    "As above, the 90th percentile: nine customers in ten waited at most this long.",
    "同上，第 90 百分位：十位客户中九位的等待不超过这个时间。")
STILL_QUEUED = figure(
    "still_queued", "count", "Still in the queue", "仍在排队",
    "Handoffs of the period still waiting for an agent now.", "期间内的转人工请求中现在仍在排队的。")
HANDLING_P50 = figure(
    "handling_p50", "seconds", "Handling time (p50)", "处理时长（中位数）",
    "Median time from an agent's claim to resolving the conversation or handing it back to the bot.",
    "从客服接入到结束会话或交还机器人的时间的中位数。")
HANDLING_P90 = figure(
    "handling_p90", "seconds", "Handling time (p90)", "处理时长（P90）",
    "As above, the 90th percentile.", "同上，第 90 百分位。")
FIRST_REPLY_P50 = figure(
    "first_reply_p50", "seconds", "First agent reply (p50)", "客服首次回复（中位数）",
    "Median time from an agent's claim to their first message to the customer.",
    "从客服接入到其第一条回复客户的消息的时间的中位数。")
CALLBACKS_OPEN = figure(
    "callbacks_open", "count", "Callbacks open now", "待回电（当前）",
    "Callback requests nobody has taken yet, whenever they were left (the filters apply, the period does not).",
    "尚无人处理的留言回电请求，不论何时提出（按渠道和语言筛选，不按期间）。")
CALLBACKS_OVERDUE = figure(
    "callbacks_overdue", "count", "Callbacks overdue now", "逾期未回电（当前）",
    "Open callback requests past their due time: BOT_CALLBACK_DUE_HOURS (2) after they were left, counted from "
    "the team's next opening when they were left out of hours.",
    "已过回电期限的待回电请求：提出后 BOT_CALLBACK_DUE_HOURS（2）小时，非服务时间提出的从下次上班时起算。")
REASONS_TABLE = table(
    "handoff_reasons", "Reasons for a handoff", "转人工原因",
    "Why customers were handed over: they asked, the bot misunderstood twice, a complaint was escalated (angry, "
    "safety, repeat), or a VIP asked; with the median wait before an agent.",
    "转人工的原因：客户主动要求、机器人连续没听懂、投诉升级（情绪激动、安全问题、重复投诉）或 VIP 客户；附等待接入时间中位数。",
    [Column("reason", "Reason", "原因", "text"), Column("handoffs", "Handoffs", "次数"),
     Column("share", "Share", "占比", "share"), Column("wait_p50", "Wait p50", "等待中位数", "seconds")])
OUTCOMES_TABLE = table(
    "handoff_outcomes", "Where handoffs stand", "转人工现状",
    "The handoffs of the period by their status now.", "期间内的转人工请求按当前状态统计。",
    [Column("status", "Status", "状态", "text"), Column("handoffs", "Handoffs", "次数"),
     Column("share", "Share", "占比", "share")])
OVERDUE_CALLBACKS = table(
    "overdue_callbacks", "Overdue callbacks", "逾期未回电",
    "Callback requests past their due time, the most overdue first (at most 100 listed); an admin can assign each "
    "to an agent.",
    "已过期限的留言回电请求，最逾期的在前（最多列出 100 条）；管理员可指派给客服。",
    [Column("number", "Handoff", "编号", "text"), Column("left_at", "Left at", "留言时间", "time"),
     Column("due_at", "Due", "期限", "time"), Column("hours_overdue", "Hours overdue", "逾期小时"),
     Column("reason", "Reason", "原因", "text"), Column("assigned", "Assigned to", "指派给", "text"),
     Column("message", "Message left", "有留言", "text")])

for _key, _en, _zh in (("explicit", "asked for a person", "主动要求"), ("misunderstood", "bot misunderstood", "机器人没听懂"),
                       ("angry", "escalated: angry", "投诉升级：情绪激动"), ("safety", "escalated: safety", "投诉升级：安全问题"),
                       ("repeat", "escalated: repeat complaint", "投诉升级：重复投诉"), ("vip", "VIP", "VIP")):
    label("reason", _key, _en, _zh)
for _key, _en, _zh in (("queued", "queued", "排队中"), ("claimed", "with an agent", "服务中"), ("resolved", "resolved", "已解决"),
                       ("returned", "back with the bot", "已交还机器人"), ("cancelled", "cancelled by the customer", "客户取消"),
                       ("callback", "callback to make", "待回电")):
    label("handoff_status", _key, _en, _zh)
label("message", "yes", "yes", "有")
label("message", "no", "no", "无")


def _seconds(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


def local_minute(at: datetime, zone: str) -> str:
    return local_time(at, zone).strftime("%Y-%m-%d %H:%M")


def compute(connection: Connection, scope: Scope, cells: Sequence[Cell], followups: FollowUps) -> Section:
    start, end = scope.period.utc_bounds()
    first_reply = (sa.select(R.c.handoff_id, sa.func.min(R.c.created_at).label("first_at"))
                   .where(R.c.created_at >= start).group_by(R.c.handoff_id).subquery())  # replies follow handoffs
    rows = [(reason, status, callback, as_time(created), as_time(claimed), as_time(closed), as_time(first_at))
            for reason, status, callback, created, claimed, closed, first_at in connection.execute(
                sa.select(H.c.reason, H.c.status, H.c.callback_requested, raw_time(H.c.created_at),
                          raw_time(H.c.claimed_at), raw_time(H.c.closed_at), raw_time(first_reply.c.first_at))
                .outerjoin(first_reply, first_reply.c.handoff_id == H.c.id)
                .where(H.c.created_at >= start, H.c.created_at < end,
                       scope.filters.clause(H.c.conversation_id, H.c.language)))]
    waits: Dict[str, List[float]] = {}
    handling: List[float] = []
    first_replies: List[float] = []
    for reason, status, callback, created, claimed, closed, first_at in rows:
        if claimed is not None and not callback:
            waits.setdefault(reason, []).append(_seconds(claimed, created))
        if claimed is not None and closed is not None and status in ("resolved", "returned"):
            handling.append(_seconds(closed, claimed))
        if claimed is not None and first_at is not None and first_at >= claimed:
            first_replies.append(_seconds(first_at, claimed))
    all_waits = [w for values in waits.values() for w in values]
    conversations, handed = total(cells, "conversations", "handed")
    open_callbacks = connection.execute(
        sa.select(H.c.id).where(H.c.status == "callback", scope.filters.clause(H.c.conversation_id, H.c.language))
    ).scalars().all()
    overdue = [c for c in followups.overdue_callbacks(scope.now) if scope.filters.passes(c.conversation_id, c.language)]
    section = Section("handoff")
    reasons = Counter(r[0] for r in rows)
    statuses = Counter(r[1] for r in rows)
    section.figures.update({
        HANDOFF_RATE: share(handed, conversations),
        HANDOFFS: len(rows), CALLBACK_REQUESTS: sum(1 for r in rows if r[2]),
        WAIT_P50: percentile(all_waits, 0.5), WAIT_P90: percentile(all_waits, 0.9),
        STILL_QUEUED: statuses.get("queued", 0),
        HANDLING_P50: percentile(handling, 0.5), HANDLING_P90: percentile(handling, 0.9),
        FIRST_REPLY_P50: percentile(first_replies, 0.5),
        CALLBACKS_OPEN: len(open_callbacks), CALLBACKS_OVERDUE: len(overdue),
    })
    known = [r for r in REASONS if reasons.get(r)] + sorted(r for r in reasons if r not in REASONS)
    section.tables[REASONS_TABLE] = [[r, reasons[r], share(reasons[r], len(rows)), percentile(waits.get(r, []), 0.5)]
                                     for r in known]
    present = [s for s in STATUSES if statuses.get(s)] + sorted(s for s in statuses if s not in STATUSES)
    section.tables[OUTCOMES_TABLE] = [[s, statuses[s], share(statuses[s], len(rows))] for s in present]
    zone = scope.period.zone
    section.tables[OVERDUE_CALLBACKS] = [
        [c.number, local_minute(c.created_at, zone), local_minute(c.due_at, zone),
         round(_seconds(scope.now, c.due_at) / 3600, 1), c.reason, c.assigned_agent or "", "yes" if c.has_message else "no"]
        for c in overdue[:LISTED]]
    return section

