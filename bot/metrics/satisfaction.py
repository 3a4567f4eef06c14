"""Satisfaction: the customers' 1–5 ratings after an agent resolved their conversation, and their comments."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.metrics.figures import Column, Section, figure, mean, share, table
from bot.metrics.handoffs import local_minute
from bot.metrics.scope import Scope, as_time, raw_time
from bot.observability.masking import mask_pii
from bot.storage.models import Agent, Handoff, SatisfactionRating

S = SatisfactionRating.__table__
H = Handoff.__table__
A = Agent.__table__
COMMENTS = 20

CSAT_AVERAGE = figure(
    "csat_average", "score", "CSAT average", "满意度均分",
    "The average of the customers' 1–5 ratings given in the period (asked after an agent resolved the "
    "conversation). A rating counts for the language of the handoff it rates.",
    "期间内客户给出的 1–5 分评价的平均分（客服结束会话后邀请评价）。按语言筛选时看被评价的转人工会话的语言。")
CSAT_RATINGS = figure(
    "csat_ratings", "count", "Ratings", "评价数", "Ratings given in the period.", "期间内收到的评价数。")
CSAT_SHARE = figure(
    "csat_share", "share", "Satisfied (4–5)", "满意率（4–5 分）",
    "Ratings of 4 or 5 / ratings: the usual CSAT score.", "4 分或 5 分的评价 / 评价数：通常所说的 CSAT。")
DISTRIBUTION = table(
    "csat_distribution", "Ratings by score", "评分分布",
    "How many ratings gave each score.", "每个分数的评价数。",
    [Column("score", "Score", "分数", "text"), Column("ratings", "Ratings", "评价数"),
     Column("share", "Share", "占比", "share")])
BY_DAY = table(
    "csat_by_day", "Satisfaction per day", "每日满意度",
    "Ratings and their average per day they were given.", "按评价日期的评价数和平均分。",
    [Column("day", "Day", "日期", "day"), Column("ratings", "Ratings", "评价数"),
     Column("average", "Average", "平均分", "score")])
BY_AGENT = table(
    "csat_by_agent", "Satisfaction by agent", "各客服满意度",
    "Ratings by the agent who handled the rated handoff.", "按处理该转人工会话的客服统计的评价。",
    [Column("agent", "Agent", "客服", "text"), Column("ratings", "Ratings", "评价数"),
     Column("average", "Average", "平均分", "score"), Column("satisfied", "Satisfied (4–5)", "满意率", "share")])
BY_REASON = table(
    "csat_by_reason", "Satisfaction by reason for the handoff", "按转人工原因的满意度",
    "Ratings by why the customer was handed to a person.", "按转人工原因统计的评价。",
    [Column("reason", "Reason", "原因", "text"), Column("ratings", "Ratings", "评价数"),
     Column("average", "Average", "平均分", "score")])
COMMENTS_TABLE = table(
    "csat_comments", "Comments", "客户留言",
    "The latest comments left with a rating (phone numbers, ID numbers and e-mail addresses masked).",
    "最近随评价留下的意见（电话、证件号、邮箱已打码）。",
    [Column("at", "When", "时间", "time"), Column("score", "Score", "分数"), Column("agent", "Agent", "客服", "text"),
     Column("comment", "Comment", "留言", "text")])


def compute(connection: Connection, scope: Scope) -> Section:
    start, end = scope.period.utc_bounds()
    rows = connection.execute(
        sa.select(raw_time(S.c.created_at), S.c.score, S.c.comment, H.c.reason, A.c.display_name)
        .outerjoin(H, H.c.id == S.c.handoff_id).outerjoin(A, A.c.id == H.c.agent_id)
        .where(S.c.created_at >= start, S.c.created_at < end, scope.filters.clause(S.c.conversation_id, H.c.language))
        .order_by(S.c.created_at.desc(), S.c.id.desc())).all()
    scores = [int(r.score) for r in rows]
    section = Section("satisfaction")
    section.figures.update({CSAT_AVERAGE: mean(scores), CSAT_RATINGS: len(scores),
                            CSAT_SHARE: share(sum(1 for s in scores if s >= 4), len(scores))})
    section.tables[DISTRIBUTION] = [[str(n), scores.count(n), share(scores.count(n), len(scores))]
                                    for n in (5, 4, 3, 2, 1)]
    zone = scope.period.zone
    by_day: Dict[str, List[int]] = defaultdict(list)
    by_agent: Dict[str, List[int]] = defaultdict(list)
    by_reason: Dict[str, List[int]] = defaultdict(list)
    day_of = scope.period.day_of  # the local day of a stored time, without a time-zone conversion per row
    for row in rows:
        by_day[day_of(as_time(row.created_at))].append(row.score)
        by_agent[row.display_name or "—"].append(row.score)
        by_reason[row.reason or "—"].append(row.score)
    section.tables[BY_DAY] = [[d.isoformat(), len(by_day[d.isoformat()]), mean(by_day[d.isoformat()])]
                              for d in scope.period.days()]
    section.tables[BY_AGENT] = [[name, len(values), mean(values), share(sum(1 for v in values if v >= 4), len(values))]
                                for name, values in _most_first(by_agent)]
    section.tables[BY_REASON] = [[reason, len(values), mean(values)] for reason, values in _most_first(by_reason)]
    section.tables[COMMENTS_TABLE] = [
        [local_minute(as_time(r.created_at), zone), int(r.score), r.display_name or "", mask_pii(r.comment)]
        for r in rows if r.comment][:COMMENTS]
    return section


def _most_first(groups: Dict[str, List[int]]) -> List[Tuple[str, List[int]]]:
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
