"""Wrong phone digits counted per order or ticket number, across conversations and channels.

A guest has three tries per conversation (`bot.customers.guest_verification`), but a new conversation costs
nothing (a new web session, another REST sender), so guessing the four digits would cost a few thousand
conversations at most. Here every wrong answer for a number is recorded in the database; after
`max_failures` within a day, guests can no longer check that number (the bot offers a person, who verifies
the caller another way) until the oldest of those failures is a day old. Signed-in customers are not
affected: they see their own orders without digits."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, func, select

from bot.storage.database import Database
from bot.storage.models import GuestCheckFailure, utcnow

WINDOW = timedelta(hours=24)  # BOT_GUEST_CHECK_MAX_FAILURES is "per 24 hours"
_MAX_NUMBER_CHARS = 32


class GuestLockout:
    def __init__(self, database: Database, max_failures: int, window: timedelta = WINDOW) -> None:
        self._db = database
        self._max = max_failures
        self._window = window

    def is_locked(self, kind: str, number: str, now: Optional[datetime] = None) -> bool:
        """Whether guests have used up the tries for this order or ticket number."""
        return self._recent_failures(kind, number, now or utcnow()) >= self._max

    def record_failure(self, kind: str, number: str, now: Optional[datetime] = None) -> bool:
        """Counts a wrong answer for the number; True when guests can no longer check it."""
        now = now or utcnow()
        with self._db.session() as session, session.begin():
            session.execute(delete(GuestCheckFailure).where(GuestCheckFailure.created_at <= now - self._window))
            session.add(GuestCheckFailure(kind=kind, number=_key(number), created_at=now))
        return self.is_locked(kind, number, now)

    def _recent_failures(self, kind: str, number: str, now: datetime) -> int:
        with self._db.session() as session:
            return int(session.execute(
                select(func.count()).select_from(GuestCheckFailure).where(
                    GuestCheckFailure.kind == kind, GuestCheckFailure.number == _key(number),
                    GuestCheckFailure.created_at > now - self._window)).scalar() or 0)


def _key(number: str) -> str:
    """Order and ticket numbers as they are counted: "gd2611180002 " and "GD2611180002" are one number."""
    return (number or "").strip().upper()[:_MAX_NUMBER_CHARS]
