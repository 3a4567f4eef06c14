"""Mood: how many customers were upset or angry, and what became of them."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Sequence

from bot.metrics.cube import Cell, by, total
from bot.metrics.figures import Column, Section, figure, label, share, table
from bot.metrics.scope import Scope

UPSET_SHARE = figure(
    "upset_share", "share", "Upset", "不满占比",
    "Conversations whose customer was upset at worst (the strongest mood read from their messages) / "
    "conversations.",
    "客户情绪最强时为“不满”（按其消息判断的最强情绪）的会话 / 会话数。")
ANGRY_SHARE = figure(
    "angry_share", "share", "Angry", "愤怒占比",
    "Conversations whose customer was angry at some point / conversations.", "客户某时刻“愤怒”的会话 / 会话数。")
MOODY = figure(
    "moody", "count", "Upset or angry", "不满或愤怒", "Conversations with an upset or angry customer.",
    "客户不满或愤怒的会话。")
OUTCOMES = ("handed_over", "calmed", "left", "ongoing")
MOOD_BY_DAY = table(
    "mood_by_day", "Upset and angry customers per day", "每日不满与愤怒客户",
    "Per day: conversations, how many had an upset (at worst) or angry customer, and their shares.",
    "按日期：会话数、客户最强情绪为不满或愤怒的会话数及占比。",
    [Column("day", "Day", "日期", "day"), Column("conversations", "Conversations", "会话数"),
     Column("upset", "Upset", "不满"), Column("angry", "Angry", "愤怒"),
     Column("upset_share", "Upset share", "不满占比", "share"), Column("angry_share", "Angry share", "愤怒占比", "share")])
MOOD_OUTCOMES = table(
    "mood_outcomes", "What happened to upset and angry customers", "不满与愤怒客户的去向",
    "Of the conversations with an upset or angry customer: handed over (a person was asked for), calmed (their "
    "last message read calm, no person), left (ended upset or angry with no person) or still going on (quiet for "
    "less than 60 minutes).",
    "客户不满或愤怒的会话中：转人工（请求了人工）、平复（最后一条消息情绪平静，未转人工）、离开（结束时仍不满或愤怒且未转人工）、"
    "进行中（沉默不足 60 分钟）。",
    [Column("outcome", "Outcome", "去向", "text"), Column("upset", "Upset", "不满"), Column("angry", "Angry", "愤怒"),
     Column("total", "Total", "合计"), Column("share", "Share", "占比", "share")])
for _key, _en, _zh in (("handed_over", "handed over", "转人工"), ("calmed", "calmed", "平复"), ("left", "left", "离开"),
                       ("ongoing", "still going on", "进行中")):
    label("mood_outcome", _key, _en, _zh)


def compute(cells: Sequence[Cell], scope: Scope) -> Section:
    n = total(cells, "conversations")[0]
    moods = by(cells, "peak_mood", "conversations", "handed", "calmed", "left", "ongoing")
    n_upset, n_angry = moods.get("upset", (0,))[0], moods.get("angry", (0,))[0]
    section = Section("mood")
    section.figures.update({UPSET_SHARE: share(n_upset, n), ANGRY_SHARE: share(n_angry, n), MOODY: n_upset + n_angry})
    per_day: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])
    for cell in cells:
        counts = per_day[cell.local_day]
        counts[0] += cell.values["conversations"]
        if cell.peak_mood in ("upset", "angry"):
            counts[1 if cell.peak_mood == "upset" else 2] += cell.values["conversations"]
    section.tables[MOOD_BY_DAY] = []
    for day in scope.period.days():
        total_, u, a = per_day.get(day.isoformat(), [0, 0, 0])
        section.tables[MOOD_BY_DAY].append([day.isoformat(), total_, u, a, share(u, total_), share(a, total_)])
    section.tables[MOOD_OUTCOMES] = []
    for index, key in enumerate(OUTCOMES, start=1):  # handed, calmed, left, ongoing: the measures' order
        u, a = moods.get("upset", (0,) * 5)[index], moods.get("angry", (0,) * 5)[index]
        section.tables[MOOD_OUTCOMES].append([key, u, a, u + a, share(u + a, n_upset + n_angry)])
    return section
