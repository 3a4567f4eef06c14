"""Complaints: tickets by category and severity, whether they were resolved within their SLA, the late ones, and
the customers who keep complaining."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.complaints.rules import CATEGORIES
from bot.handoff.followups import FollowUps, is_open_ticket
from bot.metrics.figures import Column, Section, figure, label, share, table
from bot.metrics.handoffs import LISTED, local_minute
from bot.metrics.scope import Scope, as_time, raw_time
from bot.observability.masking import mask_id
from bot.storage.models import Customer, Ticket, TicketEvent

T = Ticket.__table__
E = TicketEvent.__table__
CU = Customer.__table__
SEVERITIES = ("critical", "high", "normal")
TOP = 10

TICKETS = figure(
    "tickets", "count", "Complaint tickets", "投诉工单", "Tickets filed in the period.", "期间内创建的工单。")
TICKETS_OPEN = figure(
    "tickets_open", "count", "Open", "未结", "Tickets of the period still open or in progress now.",
    "期间内的工单中现在仍未结（待处理或处理中）的。")
TICKETS_RESOLVED = figure(
    "tickets_resolved", "count", "Resolved", "已结", "Tickets of the period resolved or closed.",
    "期间内的工单中已解决或已关闭的。")
SLA_MET = figure(
    "sla_met", "count", "Within SLA", "按时解决",
    "Tickets resolved or closed by their SLA deadline (2 h critical, 4 h high, 24 h normal: BOT_SLA_HOURS_*), "
    "the time of the first \"resolved\" or \"closed\" in their history.",
    "在 SLA 期限内（紧急 2 小时、高 4 小时、普通 24 小时：BOT_SLA_HOURS_*）解决或关闭的工单，以历史中第一次“已解决”或“已关闭”为准。")
SLA_BREACHED = figure(
    "sla_breached", "count", "SLA breached", "超时",
    "Tickets resolved after their deadline, or still open past it.", "超过期限才解决，或超过期限仍未结的工单。")
SLA_PENDING = figure(
    "sla_pending", "count", "Open, not yet due", "未结未到期", "Open tickets whose deadline has not come.",
    "仍未结但还没到期限的工单。")
SLA_MET_RATE = figure(
    "sla_met_rate", "share", "SLA met", "SLA 达成率", "Within SLA / (within SLA + breached).",
    "按时解决 / （按时解决 + 超时）。")
OVERDUE_NOW = figure(
    "tickets_overdue", "count", "Overdue now", "当前逾期",
    "Open tickets past their deadline now, whenever filed (the filters apply, the period does not).",
    "现在已过期限仍未结的工单，不论何时创建（按渠道和语言筛选，不按期间）。")
REPEATERS = figure(
    "repeat_complainants", "count", "Repeat complainants", "重复投诉客户",
    "Customers (or, for guests, conversations) with two or more tickets in the period.",
    "期间内有两张或以上工单的客户（访客按会话计）。")
BY_CATEGORY = table(
    "tickets_by_category", "Tickets by category and severity", "工单类别与严重度",
    "Tickets of the period by category and severity, with how many are open.", "期间内工单按类别和严重度统计，及未结数。",
    [Column("category", "Category", "类别", "text"), Column("critical", "Critical", "紧急"), Column("high", "High", "高"),
     Column("normal", "Normal", "普通"), Column("total", "Total", "合计"), Column("open", "Open", "未结")])
SLA_TABLE = table(
    "tickets_sla", "SLA by severity", "各严重度 SLA",
    "Within SLA, breached and open-not-yet-due tickets of the period by severity.", "期间内工单按严重度的按时、超时和未到期数。",
    [Column("severity", "Severity", "严重度", "text"), Column("met", "Within SLA", "按时"),
     Column("breached", "Breached", "超时"), Column("pending", "Not yet due", "未到期"),
     Column("rate", "SLA met", "达成率", "share")])
OVERDUE_TABLE = table(
    "overdue_tickets", "Overdue tickets", "逾期工单",
    "Open tickets past their SLA deadline now, the most overdue first (at most 100 listed); an admin can assign "
    "each to an agent.",
    "现在已过 SLA 期限仍未结的工单，最逾期的在前（最多列出 100 张）；管理员可指派给客服。",
    [Column("number", "Ticket", "工单号", "text"), Column("category", "Category", "类别", "text"),
     Column("severity", "Severity", "严重度", "text"), Column("created_at", "Filed", "创建时间", "time"),
     Column("due_at", "Deadline", "期限", "time"), Column("hours_overdue", "Hours overdue", "逾期小时"),
     Column("assigned", "Assigned to", "指派给", "text")])
REPEAT_TABLE = table(
    "repeat_complainants_list", "Repeat complainants", "重复投诉客户",
    "Customers with two or more tickets in the period, most tickets first.", "期间内有两张或以上工单的客户，工单多的在前。",
    [Column("customer", "Customer", "客户", "text"), Column("tickets", "Tickets", "工单数"),
     Column("latest", "Latest ticket", "最近工单", "text"), Column("categories", "Categories", "类别", "text")])

for _key, _en, _zh in (("delivery", "delivery", "物流配送"), ("quality", "product quality", "商品质量"),
                       ("after_sales", "after-sales", "售后"), ("billing", "billing", "扣款账单"),
                       ("staff", "staff", "服务态度"), ("other", "other", "其他")):
    label("category", _key, _en, _zh)
for _key, _en, _zh in (("critical", "critical", "紧急"), ("high", "high", "高"), ("normal", "normal", "普通")):
    label("severity", _key, _en, _zh)


def sla_state(status: str, due: datetime, resolved_at: Optional[datetime], now: datetime) -> str:
    """met, breached or pending: the one rule for a ticket's SLA."""
    if not is_open_ticket(status):
        return "met" if resolved_at is not None and resolved_at <= due else "breached"
    return "breached" if due < now else "pending"


def compute(connection: Connection, scope: Scope, followups: FollowUps) -> Section:
    start, end = scope.period.utc_bounds()
    resolved = (sa.select(E.c.ticket_id, sa.func.min(E.c.created_at).label("at"))
                .where(E.c.status.in_(("resolved", "closed")), E.c.created_at >= start)  # after the ticket
                .group_by(E.c.ticket_id).subquery())
    rows = connection.execute(
        sa.select(T.c.number, T.c.category, T.c.severity, T.c.status, raw_time(T.c.sla_due_at),
                  T.c.customer_id, T.c.conversation_id, CU.c.name, raw_time(resolved.c.at))
        .outerjoin(resolved, resolved.c.ticket_id == T.c.id).outerjoin(CU, CU.c.id == T.c.customer_id)
        .where(T.c.created_at >= start, T.c.created_at < end, scope.filters.clause(T.c.conversation_id, T.c.language))
        .order_by(T.c.created_at, T.c.id)).all()
    states = [sla_state(r.status, as_time(r.sla_due_at), as_time(r.at), scope.now) for r in rows]
    count = Counter(states)
    overdue = [t for t in followups.overdue_tickets(scope.now) if scope.filters.passes(t.conversation_id, t.language)]
    complainants: Dict[str, List] = defaultdict(list)
    for row in rows:
        complainants[row.customer_id or row.conversation_id].append(row)
    repeaters = sorted(((key, tickets) for key, tickets in complainants.items() if len(tickets) >= 2),
                       key=lambda item: (-len(item[1]), item[0]))
    n_open = sum(1 for r in rows if is_open_ticket(r.status))
    section = Section("complaints")
    section.figures.update({
        TICKETS: len(rows), TICKETS_OPEN: n_open, TICKETS_RESOLVED: len(rows) - n_open,
        SLA_MET: count["met"], SLA_BREACHED: count["breached"], SLA_PENDING: count["pending"],
        SLA_MET_RATE: share(count["met"], count["met"] + count["breached"]),
        OVERDUE_NOW: len(overdue), REPEATERS: len(repeaters),
    })
    categories = [c for c in CATEGORIES if any(r.category == c for r in rows)]
    categories += sorted({r.category for r in rows} - set(CATEGORIES))
    section.tables[BY_CATEGORY] = []
    for category in categories:
        mine = [r for r in rows if r.category == category]
        by_severity = [sum(1 for r in mine if r.severity == s) for s in SEVERITIES]
        section.tables[BY_CATEGORY].append([category] + by_severity + [len(mine),
                                           sum(1 for r in mine if is_open_ticket(r.status))])
    section.tables[SLA_TABLE] = []
    for severity in SEVERITIES:
        mine = Counter(state for row, state in zip(rows, states) if row.severity == severity)
        if sum(mine.values()):
            section.tables[SLA_TABLE].append([severity, mine["met"], mine["breached"], mine["pending"],
                                              share(mine["met"], mine["met"] + mine["breached"])])
    zone = scope.period.zone
    section.tables[OVERDUE_TABLE] = [
        [t.number, t.category, t.severity, local_minute(t.created_at, zone), local_minute(t.sla_due_at, zone),
         round((scope.now - t.sla_due_at).total_seconds() / 3600, 1), t.assigned_agent or ""] for t in overdue[:LISTED]]
    section.tables[REPEAT_TABLE] = [
        [_who(key, tickets[0]), len(tickets), tickets[-1].number, ", ".join(sorted({t.category for t in tickets}))]
        for key, tickets in repeaters[:TOP]]
    return section


def _who(key: str, ticket) -> str:  # type: ignore[no-untyped-def]
    """A customer by id and name; a guest by their masked conversation id."""
    if ticket.customer_id:
        return f"{ticket.customer_id} {ticket.name}" if ticket.name else ticket.customer_id
    return mask_id(key)
