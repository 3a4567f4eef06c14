"""Engine and session factory: one engine per process, SQLite by default, any SQLAlchemy URL by setting."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.settings import Settings


@dataclass(frozen=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: Engine
    sessions: sessionmaker

    def session(self) -> Session:
        return self.sessions()


def _prepare_sqlite(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the Rasa server and the action server write the same file concurrently;
    # the busy timeout makes a writer wait for the other instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still survives a crash of any process; only an OS crash or power
    # loss may take back the last commits. It spares an fsync per message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_engine(url: str, future: bool = True) -> Engine:
    """An engine for a SQLite URL with the pragmas above and pooled connections.

    SQLAlchemy 1.4 opens a new connection per session for a SQLite file (NullPool), and each
    new connection re-reads the schema; under load that was a visible share of every message."""
    _prepare_sqlite(url)
    database = make_url(url).database
    pooling = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10} if database and database != ":memory:" else {}
    engine = create_engine(url, future=future, connect_args={"check_same_thread": False}, **pooling)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_database(url: str) -> Database:
    """Creates an engine for `url` (2.0-style, `future=True`) and its session factory."""
    if url.startswith("sqlite"):
        engine = sqlite_engine(url)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    return Database(engine=engine, sessions=sessionmaker(engine, future=True, expire_on_commit=False))


_databases: Dict[str, Database] = {}


def get_database(settings: Settings) -> Database:
    """The process's database for these settings (created on first use, then reused)."""
    if settings.database_url not in _databases:
        _databases[settings.database_url] = create_database(settings.database_url)
    return _databases[settings.database_url]
