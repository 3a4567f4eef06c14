"""Creates or migrates the schema: `python -m bot migrate` runs Alembic's `upgrade heads` (the revisions are in
bot/storage/alembic/versions). A database of a release before Alembic (table `bot_schema_version`) is first
brought to v8 by the old steps, then stamped with the first revision, then upgraded like any other.

Several processes may start at once against one empty database (N replicas): on PostgreSQL an advisory lock
lets one of them migrate while the others wait and then find nothing to do; on a SQLite file a lock file does."""
from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.legacy_migrations import LAST_LEGACY_VERSION, legacy_version, upgrade_legacy

logger = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
BASELINE_REVISION = "0001_baseline"
# pg_advisory_xact_lock's key for "migrating the schema": any constant that nothing else in the database uses.
_ADVISORY_LOCK_KEY = 7_301_113_001


def script_config() -> Config:
    """Alembic's configuration, built here rather than read from an alembic.ini: the scripts in the package.
    Also for writing a revision: `alembic.command.revision(script_config(), "what", rev_id="0005_what")`."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def alembic_config(connection: Connection) -> Config:
    """The configuration with the revisions run on `connection` (bot/storage/alembic/env.py takes it)."""
    config = script_config()
    config.attributes["connection"] = connection
    return config


def head_revisions() -> Tuple[str, ...]:
    """The newest revision of each branch in bot/storage/alembic/versions."""
    return tuple(sorted(ScriptDirectory.from_config(script_config()).get_heads()))


def current_revisions(engine: Engine) -> Tuple[str, ...]:
    """The revisions the database is at (empty for a database never migrated by Alembic)."""
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process at a time holds for migrating."""
    if engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine), engine.connect() as connection:
            # Rebuilding a table in batch mode drops the old one: with foreign keys on, that would delete (ON DELETE
            # CASCADE) the rows pointing at it. The pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
        return
    with engine.connect() as connection, connection.begin():
        if engine.dialect.name == "postgresql":  # held until this transaction ends
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        yield connection


def migrate(engine: Engine) -> str:
    """Brings the schema up to date and returns the revision(s) now in place, e.g. "0002_cluster"."""
    with _migrating(engine) as connection:
        config = alembic_config(connection)
        legacy = legacy_version(connection)
        if legacy is not None and not MigrationContext.configure(connection).get_current_heads():
            if legacy < LAST_LEGACY_VERSION:
                upgrade_legacy(connection)
                logger.info("Database schema of an older release brought from version %d to %d",
                            legacy, LAST_LEGACY_VERSION)
            command.stamp(config, BASELINE_REVISION)
            logger.info("Database schema of release v%d stamped as revision %s", LAST_LEGACY_VERSION,
                        BASELINE_REVISION)
        command.upgrade(config, "heads")
        heads = sorted(MigrationContext.configure(connection).get_current_heads())
    version = ", ".join(heads)
    logger.info("Database schema at revision %s", version)
    return version


def migrated_database(settings: Settings) -> Database:
    """The process's database with the schema brought up to date (for operator commands)."""
    from bot.storage.database import get_database

    database = get_database(settings)
    migrate(database.engine)
    return database
