"""Containment: how many conversations the assistant handled without a person, and how many customers gave up."""
from __future__ import annotations

from typing import Sequence

from bot.metrics.cube import Cell, by, total
from bot.metrics.figures import Column, Section, figure, share, table
from bot.metrics.scope import Scope

CONTAINED = figure(
    "contained", "count", "Contained", "自助解决",
    "Conversations that ended without the customer asking for a person (no handoff or callback request) and "
    "without a complaint ticket.",
    "没有转人工（没有排队或留言回电请求）、也没有生成投诉工单的会话。")
CONTAINMENT_RATE = figure(
    "containment_rate", "share", "Containment rate", "自助解决率",
    "Contained conversations / conversations.", "自助解决的会话 / 会话数。")
SETTLED = figure(
    "settled", "count", "Settled conversations", "可判定回访的会话",
    "Conversations whose last message is at least 24 hours old (BOT_METRICS_RETURN_HOURS), or whose sender "
    "already came back: only for these can one tell whether the customer returned.",
    "最后一条消息已过 24 小时（BOT_METRICS_RETURN_HOURS），或发送者已再次来访的会话：只有这些会话能判断客户是否回访。")
CONTAINED_NO_RETURN = figure(
    "contained_no_return", "count", "Contained, no return within 24 h", "自助解决且 24 小时内未回访",
    "Settled, contained conversations after which the same sender (the same WeChat user, browser session or "
    "REST caller) did not start another conversation within 24 hours of the last message.",
    "可判定且自助解决的会话中，同一发送者（同一微信用户、浏览器会话或 REST 调用方）在最后一条消息后 24 小时内没有再开始新会话的。")
CONTAINED_NO_RETURN_RATE = figure(
    "contained_no_return_rate", "share", "Contained without return", "自助解决且未回访率",
    "Contained conversations without a return within 24 hours / settled conversations.",
    "自助解决且 24 小时内未回访的会话 / 可判定回访的会话。")
ENDED = figure(
    "ended", "count", "Ended conversations", "已结束的会话",
    "Conversations quiet for at least 60 minutes (BOT_METRICS_QUIET_MINUTES): only these can be abandoned.",
    "已沉默至少 60 分钟（BOT_METRICS_QUIET_MINUTES）的会话：只有这些才可能算放弃。")
ABANDONED_AFTER_MISS = figure(
    "abandoned_after_miss", "count", "Left after a miss", "答不上后离开",
    "Ended conversations whose last customer message the bot answered with \"I did not understand\" or \"I have "
    "no answer\", with no person asked for.",
    "已结束、客户最后一条消息机器人回答“没听懂”或“没有答案”、且没有转人工的会话。")
ABANDONED_WHILE_WAITING = figure(
    "abandoned_while_waiting", "count", "Left while waiting", "排队中离开",
    "Ended conversations still waiting in the queue for a person at their end.",
    "结束时仍在排队等人工的会话。")
ABANDONMENT_RATE = figure(
    "abandonment_rate", "share", "Abandonment rate", "放弃率",
    "(Left after a miss + left while waiting) / ended conversations.",
    "（答不上后离开 + 排队中离开）/ 已结束的会话。")
CONTAINMENT_BY_DAY = table(
    "containment_by_day", "Containment per day", "每日自助解决",
    "Per day of the conversations: how many, how many contained, the rate, and how many were abandoned.",
    "按会话日期：会话数、自助解决数、自助解决率、放弃数。",
    [Column("day", "Day", "日期", "day"), Column("conversations", "Conversations", "会话数"),
     Column("contained", "Contained", "自助解决"), Column("rate", "Rate", "比率", "share"),
     Column("abandoned", "Abandoned", "放弃")])


def compute(cells: Sequence[Cell], scope: Scope) -> Section:
    names = ("conversations", "contained", "ended", "settled", "contained_no_return", "after_miss", "while_waiting")
    n, n_contained, n_ended, n_settled, n_no_return, n_miss, n_waiting = total(cells, *names)
    section = Section("containment")
    section.figures.update({
        CONTAINED: n_contained, CONTAINMENT_RATE: share(n_contained, n),
        SETTLED: n_settled, CONTAINED_NO_RETURN: n_no_return, CONTAINED_NO_RETURN_RATE: share(n_no_return, n_settled),
        ENDED: n_ended, ABANDONED_AFTER_MISS: n_miss, ABANDONED_WHILE_WAITING: n_waiting,
        ABANDONMENT_RATE: share(n_miss + n_waiting, n_ended),
    })
    per_day = by(cells, "local_day", "conversations", "contained", "after_miss", "while_waiting")
    section.tables[CONTAINMENT_BY_DAY] = []
    for day in scope.period.days():
        total_, contained, miss, waiting = per_day.get(day.isoformat(), (0, 0, 0, 0))
        section.tables[CONTAINMENT_BY_DAY].append([day.isoformat(), total_, contained, share(contained, total_),
                                                   miss + waiting])
    return section
