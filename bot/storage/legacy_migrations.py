"""The home-made migrations of releases up to v8 (table `bot_schema_version`), kept to bring a database of an
older release to v8, where Alembic's first revision (0001_baseline) takes over (bot.storage.migrations).

The tables here are frozen as v8 created them: the live models move on, and a step creating a table from them
would create columns that a later Alembic revision then adds a second time. Never edit them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, List, Optional

import sqlalchemy as sa
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

LEGACY_VERSION_TABLE = "bot_schema_version"
LAST_LEGACY_VERSION = 8

V8 = sa.MetaData()

sa.Table(
    'agents', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('presence', sa.String(length=16), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username'),
)
sa.Table(
    'bot_schema_version', V8,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
)
sa.Table(
    'customers', V8,
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
)
sa.Table(
    'guest_check_failures', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_guest_check_failures_created_at', 'created_at'),
    sa.Index('ix_guest_check_failures_number', 'kind', 'number', 'created_at'),
)
sa.Table(
    'kb_feedback', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_kb_feedback_conversation_id', 'conversation_id'),
    sa.Index('ix_kb_feedback_created_at', 'created_at'),
    sa.Index('ix_kb_feedback_entry_id', 'entry_id'),
)
sa.Table(
    'kb_queries', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('normalized', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_kb_queries_conversation_id', 'conversation_id'),
    sa.Index('ix_kb_queries_created_at', 'created_at'),
    sa.Index('ix_kb_queries_normalized', 'normalized'),
)
sa.Table(
    'metrics_cells', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('local_day', sa.String(length=10), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('peak_mood', sa.String(length=8), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('customer_messages', sa.Integer(), nullable=False),
    sa.Column('bot_messages', sa.Integer(), nullable=False),
    sa.Column('agent_messages', sa.Integer(), nullable=False),
    sa.Column('contained', sa.Integer(), nullable=False),
    sa.Column('handed', sa.Integer(), nullable=False),
    sa.Column('ended', sa.Integer(), nullable=False),
    sa.Column('settled', sa.Integer(), nullable=False),
    sa.Column('contained_no_return', sa.Integer(), nullable=False),
    sa.Column('after_miss', sa.Integer(), nullable=False),
    sa.Column('while_waiting', sa.Integer(), nullable=False),
    sa.Column('calmed', sa.Integer(), nullable=False),
    sa.Column('left', sa.Integer(), nullable=False),
    sa.Column('ongoing', sa.Integer(), nullable=False),
    sa.Column('angry_decided', sa.Integer(), nullable=False),
    sa.Column('angry_in_time', sa.Integer(), nullable=False),
    sa.Column('reply_b0', sa.Integer(), nullable=False),
    sa.Column('reply_b1', sa.Integer(), nullable=False),
    sa.Column('reply_b2', sa.Integer(), nullable=False),
    sa.Column('reply_b3', sa.Integer(), nullable=False),
    sa.Column('reply_b4', sa.Integer(), nullable=False),
    sa.Column('reply_b5', sa.Integer(), nullable=False),
    sa.Column('reply_b6', sa.Integer(), nullable=False),
    sa.Column('reply_b7', sa.Integer(), nullable=False),
    sa.Column('reply_b8', sa.Integer(), nullable=False),
    sa.Column('reply_b9', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_metrics_cells_day', 'local_day', 'channel', 'language'),
)
sa.Table(
    'metrics_conversations', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('first_event_id', sa.Integer(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('first_ts', sa.Float(), nullable=False),
    sa.Column('started_ts', sa.Float(), nullable=True),
    sa.Column('last_ts', sa.Float(), nullable=False),
    sa.Column('local_day', sa.String(length=10), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('hour', sa.Integer(), nullable=True),
    sa.Column('customer_messages', sa.Integer(), nullable=False),
    sa.Column('bot_messages', sa.Integer(), nullable=False),
    sa.Column('agent_messages', sa.Integer(), nullable=False),
    sa.Column('misses', sa.Integer(), nullable=False),
    sa.Column('last_turn_missed', sa.Boolean(), nullable=False),
    sa.Column('waiting_at_end', sa.Boolean(), nullable=False),
    sa.Column('peak_mood', sa.String(length=8), nullable=False),
    sa.Column('last_mood', sa.String(length=8), nullable=False),
    sa.Column('first_angry_ts', sa.Float(), nullable=True),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('handoff_ts', sa.Float(), nullable=True),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('next_started_ts', sa.Float(), nullable=True),
    sa.Column('reply_b0', sa.Integer(), nullable=False),
    sa.Column('reply_b1', sa.Integer(), nullable=False),
    sa.Column('reply_b2', sa.Integer(), nullable=False),
    sa.Column('reply_b3', sa.Integer(), nullable=False),
    sa.Column('reply_b4', sa.Integer(), nullable=False),
    sa.Column('reply_b5', sa.Integer(), nullable=False),
    sa.Column('reply_b6', sa.Integer(), nullable=False),
    sa.Column('reply_b7', sa.Integer(), nullable=False),
    sa.Column('reply_b8', sa.Integer(), nullable=False),
    sa.Column('reply_b9', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'first_event_id', name='uq_metrics_conversation_session'),
    sa.Index('ix_metrics_conversations_day', 'local_day', 'channel', 'language'),
    sa.Index('ix_metrics_conversations_last_ts', 'last_ts'),
    sa.Index('ix_metrics_conversations_sender_id', 'sender_id'),
)
sa.Table(
    'metrics_state', V8,
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('key'),
)
sa.Table(
    'tickets', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('emotion_level', sa.String(length=8), nullable=False),
    sa.Column('emotion_score', sa.Float(), nullable=False),
    sa.Column('order_number', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('callback_time', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sla_due_at', sa.DateTime(), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('escalation_reason', sa.String(length=64), nullable=True),
    sa.Column('assigned_agent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('number'),
    sa.Index('ix_tickets_assigned_agent_id', 'assigned_agent_id'),
    sa.Index('ix_tickets_conversation_id', 'conversation_id'),
    sa.Index('ix_tickets_created_at', 'created_at'),
    sa.Index('ix_tickets_customer_id', 'customer_id'),
    sa.Index('ix_tickets_order_number', 'order_number'),
)
sa.Table(
    'wechat_inbound', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=False),
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key'),
    sa.Index('ix_wechat_inbound_openid', 'openid'),
    sa.Index('ix_wechat_inbound_state', 'state'),
)
sa.Table(
    'wechat_options', V8,
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('openid'),
)
sa.Table(
    'agent_sessions', V8,
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash'),
    sa.Index('ix_agent_sessions_agent_id', 'agent_id'),
)
sa.Table(
    'channel_identities', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_identity_channel_external'),
    sa.Index('ix_channel_identities_external_id', 'external_id'),
)
sa.Table(
    'handoffs', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('base_priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('ticket_number', sa.String(length=16), nullable=True),
    sa.Column('context_json', sa.Text(), nullable=False),
    sa.Column('callback_message', sa.Text(), nullable=True),
    sa.Column('callback_requested', sa.Boolean(), nullable=False),
    sa.Column('rasa_pending', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.Index('ix_handoffs_agent_id', 'agent_id'),
    sa.Index('ix_handoffs_conversation_id', 'conversation_id'),
    sa.Index('ix_handoffs_created_at', 'created_at'),
    sa.Index('ix_handoffs_customer_id', 'customer_id'),
    sa.Index('ix_handoffs_rasa_pending', 'rasa_pending'),
    sa.Index('ix_handoffs_status', 'status'),
)
sa.Table(
    'orders', V8,
    sa.Column('order_number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('placed_at', sa.DateTime(), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=True),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_number'),
    sa.Index('ix_orders_customer_id', 'customer_id'),
)
sa.Table(
    'ticket_events', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_ticket_events_ticket_id', 'ticket_id'),
)
sa.Table(
    'agent_replies', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_agent_replies_delivered_at', 'delivered_at'),
    sa.Index('ix_agent_replies_failed_at', 'failed_at'),
    sa.Index('ix_agent_replies_handoff_id', 'handoff_id'),
)
sa.Table(
    'handoff_notes', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_handoff_notes_handoff_id', 'handoff_id'),
)
sa.Table(
    'satisfaction_ratings', V8,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.Index('ix_satisfaction_ratings_conversation_id', 'conversation_id'),
    sa.Index('ix_satisfaction_ratings_created_at', 'created_at'),
    sa.Index('ix_satisfaction_ratings_handoff_id', 'handoff_id'),
)


def _create(connection: Connection, *tables: str) -> None:
    for name in tables:
        V8.tables[name].create(connection, checkfirst=True)


def _v1_initial(connection: Connection) -> None:
    _create(connection, "customers", "channel_identities", "orders")


def _v2_knowledge_base_records(connection: Connection) -> None:
    _create(connection, "kb_queries", "kb_feedback")


def _v3_tickets(connection: Connection) -> None:
    _create(connection, "tickets", "ticket_events")


def _v4_handoff(connection: Connection) -> None:
    _create(connection, "agents", "agent_sessions", "handoffs", "handoff_notes", "agent_replies",
            "satisfaction_ratings")


def _v5_wechat(connection: Connection) -> None:
    _create(connection, "wechat_inbound", "wechat_options")


def _add_column(connection: Connection, table: str, column: str, sql_type: str) -> None:
    """ALTER TABLE … ADD COLUMN, unless the column is there (a table created by a later step already has it)."""
    if column not in {c["name"] for c in inspect(connection).get_columns(table)}:
        connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


def _add_index(connection: Connection, table: str, column: str) -> None:
    """The index SQLAlchemy would name ix_<table>_<column>, unless the table has it."""
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
    _create(connection, "metrics_conversations", "metrics_cells", "metrics_state")
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
    _create(connection, "guest_check_failures")


# Released steps, in order; frozen (new changes are Alembic revisions in bot/storage/alembic/versions).
LEGACY_STEPS: List[Callable[[Connection], None]] = [
    _v1_initial, _v2_knowledge_base_records, _v3_tickets, _v4_handoff, _v5_wechat,
    _v6_reply_failures_and_wechat_recovery, _v7_service_metrics, _v8_guest_check_failures,
]
assert len(LEGACY_STEPS) == LAST_LEGACY_VERSION


def legacy_version(connection: Connection) -> Optional[int]:
    """The home-made schema version of a database that has one (0..8); None for any other database."""
    if not inspect(connection).has_table(LEGACY_VERSION_TABLE):
        return None
    table = V8.tables[LEGACY_VERSION_TABLE]
    version = connection.execute(select(table.c.version).order_by(table.c.id.desc()).limit(1)).scalar()
    return int(version or 0)


def upgrade_legacy(connection: Connection, target: int = LAST_LEGACY_VERSION) -> int:
    """Runs the legacy steps after the database's version up to `target` (v8 unless a test builds an older
    release's database); returns the version now in place."""
    table = V8.tables[LEGACY_VERSION_TABLE]
    table.create(connection, checkfirst=True)
    version = legacy_version(connection) or 0
    for number, step in enumerate(LEGACY_STEPS, start=1):
        if version < number <= target:
            step(connection)
            connection.execute(table.insert().values(
                version=number, applied_at=datetime.now(timezone.utc).replace(tzinfo=None)))
            version = number
    return version
