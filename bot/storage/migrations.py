"""Creates or migrates the schema: `python -m bot migrate`. Each step runs once, in order."""
from __future__ import annotations

import logging
from typing import Callable, List

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import KbFeedback, KbQuery, SchemaVersion, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def _v1_initial(connection: Connection) -> None:
    from bot.storage.models import ChannelIdentity, Customer, Order

    for model in (Customer, ChannelIdentity, Order):
        model.__table__.create(connection, checkfirst=True)


def _v2_knowledge_base_records(connection: Connection) -> None:
    KbQuery.__table__.create(connection, checkfirst=True)
    KbFeedback.__table__.create(connection, checkfirst=True)


def _v3_tickets(connection: Connection) -> None:
    Ticket.__table__.create(connection, checkfirst=True)
    TicketEvent.__table__.create(connection, checkfirst=True)


def _v4_handoff(connection: Connection) -> None:
    from bot.storage.models import Agent, AgentReply, AgentSession, Handoff, HandoffNote, SatisfactionRating

    for model in (Agent, AgentSession, Handoff, HandoffNote, AgentReply, SatisfactionRating):
        model.__table__.create(connection, checkfirst=True)


def _v5_wechat(connection: Connection) -> None:
    from bot.storage.models import WeChatInbound, WeChatOptions

    WeChatInbound.__table__.create(connection, checkfirst=True)
    WeChatOptions.__table__.create(connection, checkfirst=True)


def _add_column(connection: Connection, table: str, column: str, sql_type: str) -> None:
    """ALTER TABLE … ADD COLUMN, unless the column is there (a table created by a later model already has it)."""
    from sqlalchemy import inspect

    if column not in {c["name"] for c in inspect(connection).get_columns(table)}:
        connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


def _add_index(connection: Connection, table: str, column: str) -> None:
    """The index SQLAlchemy would name ix_<table>_<column>, unless the table has it."""
    from sqlalchemy import inspect

    name = f"ix_{table}_{column}"
    if name not in {i["name"] for i in inspect(connection).get_indexes(table)}:
        connection.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({column})")


def _v6_reply_failures_and_wechat_recovery(connection: Connection) -> None:
    """Replies that back off and can fail for good; WeChat messages that can be finished after a crash."""
    _add_column(connection, "agent_replies", "next_attempt_at", "TIMESTAMP")
    _add_column(connection, "agent_replies", "failed_at", "TIMESTAMP")
    _add_index(connection, "agent_replies", "failed_at")
    _add_column(connection, "wechat_inbound", "text", "TEXT")
    _add_index(connection, "wechat_inbound", "state")


def _v7_service_metrics(connection: Connection) -> None:
    """Service metrics (issue #14): conversations folded from Rasa's events, who follows up an overdue ticket,
    which handoffs were callback requests, and indexes on the times the figures are counted by."""
    from bot.storage.models import MetricsCell, MetricsConversation, MetricsState

    for model in (MetricsConversation, MetricsCell, MetricsState):
        model.__table__.create(connection, checkfirst=True)
    _add_column(connection, "tickets", "assigned_agent_id", "INTEGER")
    _add_index(connection, "tickets", "assigned_agent_id")
    _add_column(connection, "handoffs", "callback_requested", "BOOLEAN NOT NULL DEFAULT FALSE")
    connection.exec_driver_sql("UPDATE handoffs SET callback_requested = TRUE "
                               "WHERE status = 'callback' OR callback_message IS NOT NULL")
    for table in ("tickets", "handoffs", "kb_queries", "kb_feedback", "satisfaction_ratings"):
        _add_index(connection, table, "created_at")


def _v8_guest_check_failures(connection: Connection) -> None:
    """Wrong phone digits for an order or a ticket, counted per number across conversations (security review
    of issue #11)."""
    from bot.storage.models import GuestCheckFailure

    GuestCheckFailure.__table__.create(connection, checkfirst=True)


# Append new steps; never edit or reorder released ones.
MIGRATIONS: List[Callable[[Connection], None]] = [
    _v1_initial, _v2_knowledge_base_records, _v3_tickets, _v4_handoff, _v5_wechat,
    _v6_reply_failures_and_wechat_recovery, _v7_service_metrics, _v8_guest_check_failures,
]


def current_version(engine: Engine) -> int:
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, SchemaVersion.__tablename__):
            return 0
        version = connection.execute(
            select(SchemaVersion.version).order_by(SchemaVersion.id.desc()).limit(1)
        ).scalar()
        return int(version or 0)


def migrate(engine: Engine) -> int:
    """Applies the pending steps and returns the schema version now in place."""
    version = current_version(engine)
    for number, step in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with engine.begin() as connection:
            SchemaVersion.__table__.create(connection, checkfirst=True)
            step(connection)
            connection.execute(SchemaVersion.__table__.insert().values(version=number))
        logger.info("Database schema migrated to version %d", number)
        version = number
    return version


def migrated_database(settings: Settings) -> Database:
    """The process's database with the schema brought up to date (for operator commands)."""
    from bot.storage.database import get_database

    database = get_database(settings)
    migrate(database.engine)
    return database
