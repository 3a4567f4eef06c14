"""Which records a figure counts: the period (days in the business's time zone, both ends included) and the
filters (channel, customer's language). The channel of a record is read off its conversation id, which our
channels namespace ("web:…", "wechat:…", "rest:…"; anything else, e.g. an anonymised record, is "other")."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Optional, Tuple

from sqlalchemy import String, and_, case, not_, or_, true, type_coerce

from bot.timekeeping import local_time

CHANNELS = ("web", "wechat", "rest")
ALL_CHANNELS = CHANNELS + ("other",)
LANGUAGES = ("zh", "en")
MAX_DAYS = 400
_DAYS = re.compile(r"^(\d{1,3})d$")


class ScopeError(ValueError):
    """A period or filter that cannot be used; the message says why."""


def channel_of(conversation_id: str) -> str:
    prefix = (conversation_id or "").split(":", 1)[0]
    return prefix if prefix in CHANNELS and ":" in (conversation_id or "") else "other"


def channel_expression(conversation_id: Any) -> Any:
    """`channel_of` in SQL, for grouping."""
    return case(*[(conversation_id.like(f"{c}:%"), c) for c in CHANNELS], else_="other")


def channel_clause(conversation_id: Any, channel: Optional[str]) -> Any:
    """`channel_of(conversation_id) == channel` in SQL (a prefix match, which an index can use)."""
    if channel is None:
        return true()
    if channel == "other":
        return not_(or_(*[conversation_id.like(f"{c}:%") for c in CHANNELS]))
    return conversation_id.like(f"{channel}:%")


@dataclass(frozen=True)
class Filters:
    channel: Optional[str] = None  # web | wechat | rest | other
    language: Optional[str] = None  # zh | en

    @classmethod
    def parse(cls, channel: Optional[str], language: Optional[str]) -> "Filters":
        channel = (channel or "").strip().lower() or None
        language = (language or "").strip().lower() or None
        if channel not in (None,) + ALL_CHANNELS:
            raise ScopeError(f"channel must be one of {', '.join(ALL_CHANNELS)}, not {channel!r}")
        if language not in (None,) + LANGUAGES:
            raise ScopeError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        return cls(channel, language)

    def passes(self, conversation_id: str, language: Optional[str]) -> bool:
        """The filters, for a record read in Python."""
        return ((self.channel is None or channel_of(conversation_id) == self.channel)
                and (self.language is None or language == self.language))

    def clause(self, conversation_id: Any, language: Any = None) -> Any:
        """The filters on a table with a conversation id and (optionally) a language column."""
        parts = [channel_clause(conversation_id, self.channel)]
        if self.language is not None and language is not None:
            parts.append(language == self.language)
        return and_(*parts)


@dataclass(frozen=True)
class Period:
    """From the first day's midnight to the end of the last day, in the business's time zone."""

    first_day: date
    last_day: date
    zone: str

    @classmethod
    def parse(cls, since: Optional[str], until: Optional[str], today: date, zone: str) -> "Period":
        """`since`: today, 7d, 30d (N days up to `until`, today included) or a date (YYYY-MM-DD);
        `until`: a date or today (the default)."""
        last = _day(until, today) if until else today
        since = (since or "7d").strip().lower()
        if since == "today":
            first = last if until else today
        elif _DAYS.match(since):
            count = int(_DAYS.match(since).group(1))  # type: ignore[union-attr]
            if count < 1:
                raise ScopeError("a period is at least 1 day (1d)")
            first = last - timedelta(days=count - 1)
        else:
            first = _day(since, today)
        if first > last:
            raise ScopeError(f"the period starts ({first}) after it ends ({last})")
        if (last - first).days + 1 > MAX_DAYS:
            raise ScopeError(f"a period is at most {MAX_DAYS} days")
        return cls(first, last, zone)

    def days(self) -> List[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]

    def utc_bounds(self) -> Tuple[datetime, datetime]:
        """Naive UTC [start, end), as the database stores times."""
        return _utc_midnight(self.first_day, self.zone), _utc_midnight(self.last_day + timedelta(days=1), self.zone)

    def day_of(self, at: datetime) -> str:
        """The period's day (YYYY-MM-DD) of a naive UTC time inside it, without a time-zone conversion."""
        starts, names = self._day_starts()
        return names[max(0, bisect_right(starts, at) - 1)]

    def _day_starts(self) -> Tuple[List[datetime], List[str]]:
        cached = self.__dict__.get("_starts")
        if cached is None:
            days = self.days()
            cached = ([_utc_midnight(day, self.zone) for day in days], [day.isoformat() for day in days])
            object.__setattr__(self, "_starts", cached)
        return cached

    def as_json(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "timezone": self.zone,
                "days": [d.isoformat() for d in self.days()]}


def local_day(at: datetime, zone: str) -> date:
    """The business's calendar day of a naive UTC time."""
    return local_time(at, zone).date()


def _utc_midnight(day: date, zone: str) -> datetime:
    from dateutil import tz

    local = datetime.combine(day, time(0), tzinfo=tz.gettz(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _day(text: str, today: date) -> date:
    text = text.strip().lower()
    if text == "today":
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ScopeError(f"a day is written YYYY-MM-DD (or today, 7d, 30d for a period), not {text!r}") from None


@dataclass(frozen=True)
class Scope:
    """Everything a group of figures needs to know besides the database: the period, the filters, the moment
    of asking (naive UTC) and the policy numbers from the settings (seconds)."""

    period: Period
    filters: Filters
    now: datetime
    quiet_s: float = 3600.0  # a conversation has ended after this much silence
    return_s: float = 86400.0  # "came back" within this
    empathy_s: float = 600.0  # an angry customer should reach a person within this

    @property
    def now_ts(self) -> float:
        return self.now.replace(tzinfo=timezone.utc).timestamp()


def raw_time(column: Any) -> Any:
    """A time column read without SQLAlchemy's per-value parsing on SQLite (a string there; PostgreSQL's driver
    gives a datetime anyway): turn it into a datetime with `as_time`. Reading 10,000 rows, this is most of the
    time saved."""
    return type_coerce(column, String()).label(column.name)


def as_time(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
