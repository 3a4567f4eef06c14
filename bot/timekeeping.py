"""The business's clock: stored UTC times in its time zone, and the hours its human team works.

A value module at the bottom: it imports nothing from `bot`. Malformed values raise ValueError with a
message naming the variable; `bot.settings` turns that into a SettingsError."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import FrozenSet, Optional

from dateutil import tz


def local_time(at: datetime, zone: str) -> datetime:
    """A time in the business's zone; a naive time is a stored UTC time (the database keeps naive UTC)."""
    tzinfo = tz.gettz(zone)
    if tzinfo is None:
        raise ValueError(f"BOT_TIMEZONE {zone!r} is not a known time zone")
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz.UTC)
    return at.astimezone(tzinfo)


@dataclass(frozen=True)
class ServiceHours:
    """Opening time and closing time on the listed ISO weekdays (1 = Monday), in one time zone.
    A closing time of 24:00 means midnight; an opening after the closing wraps past midnight."""

    opens: time
    closes: Optional[time]  # None: 24:00
    days: FrozenSet[int]

    def is_open(self, at: datetime, zone: str) -> bool:
        local = local_time(at, zone)
        now = local.time()
        if self.closes is None or self.opens < self.closes:
            inside = now >= self.opens and (self.closes is None or now < self.closes)
            return inside and local.isoweekday() in self.days
        # wraps past midnight, e.g. 20:00-02:00: the early hours belong to the previous day's shift
        if now >= self.opens:
            return local.isoweekday() in self.days
        if now < self.closes:
            return (local - timedelta(days=1)).isoweekday() in self.days
        return False

    def next_opening(self, at: datetime, zone: str) -> datetime:
        """The next time (in the business's zone) the team opens, at or after `at`."""
        local = local_time(at, zone)
        for offset in range(0, 8):
            day = (local + timedelta(days=offset)).date()
            candidate = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if candidate >= local and candidate.isoweekday() in self.days:
                return candidate
        raise ValueError("no service day configured")

    def describe(self) -> str:
        closes = "24:00" if self.closes is None else self.closes.strftime("%H:%M")
        return f"{self.opens.strftime('%H:%M')}-{closes}"


_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_service_hours(hours: str, days: str) -> ServiceHours:
    """'09:00-21:00' and '1-5' or '1,2,3,4,5,6' or '1-7'; raises ValueError naming the variable."""
    match = _HOURS.match(hours or "")
    if not match:
        raise ValueError(f"BOT_SERVICE_HOURS must look like 09:00-21:00, not {hours!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 < 24 and 0 <= m1 < 60 and (0 <= h2 < 24 and 0 <= m2 < 60 or (h2, m2) == (24, 0))):
        raise ValueError(f"BOT_SERVICE_HOURS has an impossible time: {hours!r}")
    opens = time(h1, m1)
    closes = None if (h2, m2) == (24, 0) else time(h2, m2)
    if closes == opens:
        raise ValueError(f"BOT_SERVICE_HOURS opens and closes at the same time: {hours!r}")
    chosen = set()
    for part in (days or "").split(","):
        part = part.strip()
        bounds = part.split("-")
        if not part or len(bounds) > 2 or not all(b.strip().isdigit() for b in bounds):
            raise ValueError(f"BOT_SERVICE_DAYS must list ISO weekdays like 1-5 or 1,3,5, not {days!r}")
        low, high = int(bounds[0]), int(bounds[-1])
        if not 1 <= low <= high <= 7:
            raise ValueError(f"BOT_SERVICE_DAYS must use weekdays 1 (Monday) to 7 (Sunday), not {days!r}")
        chosen.update(range(low, high + 1))
    return ServiceHours(opens=opens, closes=closes, days=frozenset(chosen))
