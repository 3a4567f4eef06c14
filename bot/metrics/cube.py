"""What each conversation counts for, and those counts summed by day, hour, channel, language and worst mood
(table `metrics_cells`), so that a page over 100,000 conversations reads a few thousand sums.

`measures` is the one place that says, for a conversation, whether it was contained, ended, abandoned, calmed…
(the figures of `volume`, `containment`, `mood`, `handoffs` and `servqual` are sums of these). Some
depend on the moment of asking (has it ended? could the customer still come back?): the cells hold them as
if every conversation were long over, and `cells_in` corrects the conversations of the last day (the only
ones for which that can differ) with their exact values now."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.metrics.conversations import REPLY_COLUMNS
from bot.metrics.scope import Scope
from bot.storage.models import MetricsCell, MetricsConversation

C = MetricsConversation.__table__
CELLS = MetricsCell.__table__
DIMENSIONS = ("local_day", "hour", "channel", "language", "peak_mood")
_CELL_DIMENSIONS = ("local_day", "channel", "language", "peak_mood")  # what a Cell is summed by
MEASURES = ("conversations", "customer_messages", "bot_messages", "agent_messages", "contained", "handed", "ended",
            "settled", "contained_no_return", "after_miss", "while_waiting", "calmed", "left", "ongoing",
            "angry_decided", "angry_in_time") + REPLY_COLUMNS


@dataclass(frozen=True)
class Windows:
    """The seconds the predicates depend on (BOT_METRICS_QUIET_MINUTES, _RETURN_HOURS, _EMPATHY_MINUTES)."""

    quiet_s: float
    return_s: float
    empathy_s: float

    @property
    def window_s(self) -> float:
        """How long after its last message a conversation's counts may still change."""
        return max(self.quiet_s, self.return_s, self.empathy_s)

    def key(self) -> str:
        return f"{self.quiet_s:g}/{self.return_s:g}/{self.empathy_s:g}"


def measures(windows: Windows, now_ts: Optional[float]) -> List[Any]:
    """What the conversations of a group count for, as SQL sums in the order of MEASURES; `now_ts` None: as if
    each were long over. The one place that says whether a conversation was contained, ended, abandoned…"""
    def count(condition: Any) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    handed = C.c.handoff_id.is_not(None)  # it asked for a person (queued or a callback request): handoff rate
    not_handed = C.c.handoff_id.is_(None)
    contained = sa.and_(not_handed, C.c.tickets == 0)  # neither a person nor a complaint ticket: containment
    returned = sa.and_(C.c.next_started_ts.is_not(None), C.c.next_started_ts <= C.c.last_ts + windows.return_s)
    if now_ts is None:
        ended, settled, decided_anyway = sa.true(), sa.true(), sa.true()
    else:
        ended = C.c.last_ts <= now_ts - windows.quiet_s  # quiet long enough to be over
        settled = sa.or_(C.c.last_ts <= now_ts - windows.return_s, returned)  # a return can be judged
        decided_anyway = C.c.first_angry_ts <= now_ts - windows.empathy_s  # the empathy window has passed
    angry = C.c.first_angry_ts.is_not(None)
    in_time = sa.and_(angry, C.c.handoff_ts.is_not(None), C.c.handoff_ts - C.c.first_angry_ts <= windows.empathy_s)
    return [
        sa.func.count(), sa.func.sum(C.c.customer_messages), sa.func.sum(C.c.bot_messages),
        sa.func.sum(C.c.agent_messages), count(contained), count(handed), count(ended), count(settled),
        count(sa.and_(contained, settled, sa.not_(returned))),  # contained, no return within 24 h
        count(sa.and_(ended, C.c.last_turn_missed.is_(True), not_handed,
                      C.c.waiting_at_end.is_(False))),  # left after a miss
        count(sa.and_(ended, C.c.waiting_at_end.is_(True))),  # left while waiting for a person
        count(sa.and_(not_handed, ended, C.c.last_mood == "calm")),  # calmed (for upset or angry customers)
        count(sa.and_(not_handed, ended, C.c.last_mood != "calm")),  # left upset or angry
        count(sa.and_(not_handed, sa.not_(ended))),  # still going on
        count(sa.and_(angry, sa.or_(C.c.handoff_ts.is_not(None), decided_anyway))),  # angry, judged by now
        count(in_time),  # … and reached a person within the empathy window
    ] + [sa.func.sum(C.c[name]) for name in REPLY_COLUMNS]


_DIMS = [C.c[name] for name in DIMENSIONS]


@dataclass(frozen=True)
class Cell:
    """The sums of one day, channel, language and worst mood (the hours added up)."""

    local_day: str
    channel: str
    language: str
    peak_mood: str
    values: Dict[str, int]


CELLS_VERSION = "2"  # change it when `measures` changes: every day is summed again


class ConversationCube:
    def __init__(self, windows: Windows) -> None:
        self.windows = windows
        self.version = f"{CELLS_VERSION}:{windows.key()}"

    def rebuild_days(self, connection: Connection, days: Optional[Iterable[str]]) -> None:
        """Sums the cells of these days again (all days: None) from metrics_conversations, in SQL."""
        wanted = None if days is None else sorted({d for d in days if d})
        if wanted is not None and not wanted:
            return
        query = sa.select(*_DIMS, *measures(self.windows, None)).where(C.c.local_day.is_not(None))
        delete = sa.delete(CELLS)
        if wanted is not None:
            query, delete = query.where(C.c.local_day.in_(wanted)), delete.where(CELLS.c.local_day.in_(wanted))
        connection.execute(delete)
        connection.execute(sa.insert(CELLS).from_select(list(DIMENSIONS + MEASURES), query.group_by(*_DIMS)))

    def cells_in(self, connection: Connection, scope: Scope) -> List[Cell]:
        """The cells of the period that pass the filters, the last day's conversations counted as of now."""
        period, filters = scope.period, scope.filters

        def scoped(table: Any) -> Any:
            clause = sa.and_(table.c.local_day >= period.first_day.isoformat(),
                             table.c.local_day <= period.last_day.isoformat())
            if filters.channel:
                clause = sa.and_(clause, table.c.channel == filters.channel)
            if filters.language:
                clause = sa.and_(clause, table.c.language == filters.language)
            return clause

        # Summed over the hours in SQL: a few hundred rows reach Python, not one per hour.
        dims = [CELLS.c[k] for k in _CELL_DIMENSIONS]
        width, n = len(dims), len(MEASURES)
        sums: Dict[Tuple[Any, ...], List[int]] = {
            tuple(row[:width]): [int(v or 0) for v in row[width:]]
            for row in connection.execute(sa.select(*dims, *[sa.func.sum(CELLS.c[k]) for k in MEASURES])
                                          .where(scoped(CELLS)).group_by(*dims))}
        # The conversations whose counts may differ now: their exact values in, their as-if-over values out.
        now, conversation_dims = scope.now_ts, [C.c[k] for k in _CELL_DIMENSIONS]
        recent = sa.select(*conversation_dims, *measures(self.windows, now), *measures(self.windows, None)).where(
            C.c.last_ts > now - self.windows.window_s, scoped(C)).group_by(*conversation_dims)
        for row in connection.execute(recent):
            cell = sums.setdefault(tuple(row[:width]), [0] * n)
            for i in range(n):
                cell[i] += int(row[width + i] or 0) - int(row[width + n + i] or 0)
        return [Cell(*key, values=dict(zip(MEASURES, values))) for key, values in sorted(sums.items()) if values[0]]

    def hours_in(self, connection: Connection, scope: Scope) -> Dict[Tuple[int, int], int]:
        """Conversations by weekday (0 = Monday) and hour of the first customer message (the busiest hours)."""
        period, filters = scope.period, scope.filters
        clause = sa.and_(CELLS.c.local_day >= period.first_day.isoformat(),
                         CELLS.c.local_day <= period.last_day.isoformat())
        if filters.channel:
            clause = sa.and_(clause, CELLS.c.channel == filters.channel)
        if filters.language:
            clause = sa.and_(clause, CELLS.c.language == filters.language)
        grid: Dict[Tuple[int, int], int] = defaultdict(int)
        for day, hour, count in connection.execute(
                sa.select(CELLS.c.local_day, CELLS.c.hour, sa.func.sum(CELLS.c.conversations)).where(clause)
                .group_by(CELLS.c.local_day, CELLS.c.hour)):
            grid[(date.fromisoformat(day).weekday(), int(hour))] += int(count or 0)
        return dict(grid)


def total(cells: Iterable[Cell], *names: str) -> Tuple[int, ...]:
    """The sums of these measures over the cells."""
    found = [0] * len(names)
    for cell in cells:
        for i, name in enumerate(names):
            found[i] += cell.values[name]
    return tuple(found)


def by(cells: Iterable[Cell], dimension: str, *names: str) -> Dict[Any, Tuple[int, ...]]:
    """The sums of these measures per value of one dimension (local_day, channel, language, peak_mood)."""
    groups: Dict[Any, List[int]] = defaultdict(lambda: [0] * len(names))
    for cell in cells:
        group = groups[getattr(cell, dimension)]
        for i, name in enumerate(names):
            group[i] += cell.values[name]
    return {k: tuple(v) for k, v in groups.items()}
