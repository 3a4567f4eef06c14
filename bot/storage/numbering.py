"""Ticket and handoff numbers: a prefix and day ("TK261130") and a count within it ("0001"), from a counter
row raised in the very transaction that stores the ticket or handoff. The row is locked until that
transaction ends, so two processes never get the same number, and a rolled-back insert gives its number
back: numbers stay consecutive. No max()+1, no retries.

On first use of a day's prefix the counter starts after the highest number already stored under it (a
database upgraded mid-day from a release that used max()+1 goes on where it left off)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.storage.models import NumberCounter

DIGITS = 4  # at least; a day's 10,000th number simply has five


def day_prefix(letters: str, now: datetime) -> str:
    return f"{letters}{now:%y%m%d}"


def format_number(prefix: str, count: int) -> str:
    return f"{prefix}{count:0{DIGITS}d}"


def next_number(connection: Connection, letters: str, now: datetime, numbers: Column) -> str:
    """The next number under `letters` and `now`'s day, e.g. "TK2611300007". Call it inside the transaction
    that stores the row; `numbers` is the column holding the numbers already given (to start a new day's count
    after them)."""
    prefix = day_prefix(letters, now)
    counters = NumberCounter.__table__
    while True:
        # A write first: on SQLite it takes the database's write lock before anything is read.
        raised = connection.execute(update(counters).where(counters.c.name == prefix)
                                    .values(value=counters.c.value + 1))
        if raised.rowcount == 1:
            value = connection.execute(select(counters.c.value).where(counters.c.name == prefix)).scalar_one()
            return format_number(prefix, value)
        first = _highest_stored(connection, prefix, numbers) + 1
        if _insert_counter(connection, prefix, first):
            return format_number(prefix, first)
        # Another transaction started the day's counter at the same moment: raise theirs.


def _highest_stored(connection: Connection, prefix: str, numbers: Column) -> int:
    last = connection.execute(select(func.max(numbers)).where(numbers.like(f"{prefix}%"))).scalar()
    return int(last[len(prefix):]) if last else 0


def _insert_counter(connection: Connection, prefix: str, value: int) -> bool:
    """Starts the day's counter; False when another transaction has just started it (PostgreSQL waits for that
    one to commit before saying so)."""
    values = {"name": prefix, "value": value}
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NumberCounter.__table__)
        return connection.execute(insert.values(**values).on_conflict_do_nothing()).rowcount == 1
    savepoint = connection.begin_nested()
    try:
        connection.execute(NumberCounter.__table__.insert().values(**values))
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
