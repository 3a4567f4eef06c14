"""Volume: how many customers wrote, when, on which channel and in which language."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from bot.metrics.cube import Cell, by, total
from bot.metrics.figures import Column, Section, figure, label, share, table
from bot.metrics.scope import ALL_CHANNELS, Scope

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MESSAGES = ("customer_messages", "bot_messages", "agent_messages")

CONVERSATIONS = figure(
    "conversations", "count", "Conversations", "会话数",
    "Conversations in which the customer wrote at least once, counted on the day of their first message (business "
    "time zone). A conversation is one Rasa session of one sender: after 60 minutes of silence a new one starts.",
    "客户至少发过一条消息的会话，按客户第一条消息的日期（营业时区）计。一个会话是同一发送者的一次 Rasa 会话：沉默 60 分钟后再来算新会话。")
CUSTOMER_MESSAGES = figure(
    "customer_messages", "count", "Customer messages", "客户消息数",
    "Messages the customers wrote (buttons they pressed included) in the conversations counted.",
    "所统计会话中客户发出的消息（含点按钮）。")
BOT_MESSAGES = figure(
    "bot_messages", "count", "Bot messages", "机器人消息数",
    "Messages the assistant sent in those conversations.", "这些会话中机器人发出的消息。")
AGENT_MESSAGES = figure(
    "agent_messages", "count", "Agent messages", "人工客服消息数",
    "Messages agents sent from the console in those conversations.", "这些会话中人工客服从工作台发出的消息。")

_CHANNEL_COLUMNS = [Column("web", "Website", "网站"), Column("wechat", "WeChat", "微信"),
                    Column("rest", "REST", "REST"), Column("other", "Other", "其他"), Column("total", "Total", "合计")]
CONVERSATIONS_BY_DAY = table(
    "conversations_by_day", "Conversations per day and channel", "每日会话数（按渠道）",
    "Conversations per day (of the customer's first message), by the channel read off the sender id.",
    "每日会话数（按客户第一条消息的日期），渠道取自发送者编号的前缀。",
    [Column("day", "Day", "日期", "day")] + _CHANNEL_COLUMNS)
MESSAGES_BY_DAY = table(
    "messages_by_day", "Messages per day and channel", "每日消息数（按渠道）",
    "Customer, bot and agent messages of the conversations of each day, by channel.",
    "每日会话中客户、机器人和人工客服的消息总数，按渠道。",
    [Column("day", "Day", "日期", "day")] + _CHANNEL_COLUMNS)
BY_LANGUAGE = table(
    "volume_by_language", "Conversations by language", "会话语言分布",
    "The language detected in the customer's first message that shows one (the default language otherwise).",
    "客户第一条能判断语言的消息所用的语言（无法判断时为默认语言）。",
    [Column("language", "Language", "语言", "text"), Column("conversations", "Conversations", "会话数"),
     Column("messages", "Messages", "消息数"), Column("share", "Share", "占比", "share")])
BUSIEST_HOURS = table(
    "busiest_hours", "Busiest hours (weekday × hour)", "繁忙时段（星期 × 小时）",
    "Conversations by the weekday and hour of the customer's first message (business time zone), to plan shifts.",
    "按客户第一条消息的星期和小时（营业时区）统计的会话数，用于排班。",
    [Column("weekday", "Weekday", "星期", "text")] + [Column(f"h{h:02d}", f"{h:02d}", f"{h:02d}") for h in range(24)])


def compute(cells: Sequence[Cell], hours: Dict[Tuple[int, int], int], scope: Scope) -> Section:
    section = Section("volume")
    n, customer, bot, agent = total(cells, "conversations", "customer_messages", "bot_messages", "agent_messages")
    section.figures.update({CONVERSATIONS: n, CUSTOMER_MESSAGES: customer, BOT_MESSAGES: bot, AGENT_MESSAGES: agent})
    per_day: Dict[Tuple[str, str], List[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        counts = per_day[(cell.local_day, cell.channel if cell.channel in ALL_CHANNELS else "other")]
        counts[0] += cell.values["conversations"]
        counts[1] += sum(cell.values[k] for k in MESSAGES)
    for key, index in ((CONVERSATIONS_BY_DAY, 0), (MESSAGES_BY_DAY, 1)):
        rows = []
        for day in scope.period.days():
            values = [per_day.get((day.isoformat(), c), [0, 0])[index] for c in ALL_CHANNELS]
            rows.append([day.isoformat()] + values + [sum(values)])
        section.tables[key] = rows
    languages = by(cells, "language", "conversations", *MESSAGES)
    section.tables[BY_LANGUAGE] = [[language, v[0], sum(v[1:]), share(v[0], n)] for language, v in
                                   sorted(languages.items(), key=lambda item: (-item[1][0], item[0]))]
    section.tables[BUSIEST_HOURS] = [[WEEKDAYS[d]] + [hours.get((d, h), 0) for h in range(24)]
                                     for d in range(len(WEEKDAYS))]
    return section


for _day, _zh in zip(WEEKDAYS, ("周一", "周二", "周三", "周四", "周五", "周六", "周日")):
    label("weekday", _day, _day, _zh)
