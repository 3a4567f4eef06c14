"""The schema as release v8 (the last home-made migration, `bot_schema_version` 8) created it.

Written out here, not taken from the models: the models move on, this revision must not. A database from that
release is stamped with this revision (bot.storage.legacy_migrations) instead of running it.

Revision ID: 0001_baseline
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

# In the order they are created (foreign keys point backwards); dropped in reverse.
TABLES = ['agents', 'customers', 'guest_check_failures', 'kb_feedback', 'kb_queries', 'metrics_cells', 'metrics_conversations', 'metrics_state', 'tickets', 'wechat_inbound', 'wechat_options', 'agent_sessions', 'channel_identities', 'handoffs', 'orders', 'ticket_events', 'agent_replies', 'handoff_notes', 'satisfaction_ratings']


def upgrade() -> None:
    op.create_table('agents',
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
    sa.UniqueConstraint('username')
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('guest_check_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_guest_check_failures_created_at'), 'guest_check_failures', ['created_at'], unique=False)
    op.create_index('ix_guest_check_failures_number', 'guest_check_failures', ['kind', 'number', 'created_at'], unique=False)
    op.create_table('kb_feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_kb_feedback_conversation_id'), 'kb_feedback', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_kb_feedback_created_at'), 'kb_feedback', ['created_at'], unique=False)
    op.create_index(op.f('ix_kb_feedback_entry_id'), 'kb_feedback', ['entry_id'], unique=False)
    op.create_table('kb_queries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('normalized', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_kb_queries_conversation_id'), 'kb_queries', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_kb_queries_created_at'), 'kb_queries', ['created_at'], unique=False)
    op.create_index(op.f('ix_kb_queries_normalized'), 'kb_queries', ['normalized'], unique=False)
    op.create_table('metrics_cells',
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
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_metrics_cells_day', 'metrics_cells', ['local_day', 'channel', 'language'], unique=False)
    op.create_table('metrics_conversations',
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
    sa.UniqueConstraint('sender_id', 'first_event_id', name='uq_metrics_conversation_session')
    )
    op.create_index('ix_metrics_conversations_day', 'metrics_conversations', ['local_day', 'channel', 'language'], unique=False)
    op.create_index(op.f('ix_metrics_conversations_last_ts'), 'metrics_conversations', ['last_ts'], unique=False)
    op.create_index(op.f('ix_metrics_conversations_sender_id'), 'metrics_conversations', ['sender_id'], unique=False)
    op.create_table('metrics_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('tickets',
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
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_tickets_assigned_agent_id'), 'tickets', ['assigned_agent_id'], unique=False)
    op.create_index(op.f('ix_tickets_conversation_id'), 'tickets', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_tickets_created_at'), 'tickets', ['created_at'], unique=False)
    op.create_index(op.f('ix_tickets_customer_id'), 'tickets', ['customer_id'], unique=False)
    op.create_index(op.f('ix_tickets_order_number'), 'tickets', ['order_number'], unique=False)
    op.create_table('wechat_inbound',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=False),
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    op.create_index(op.f('ix_wechat_inbound_openid'), 'wechat_inbound', ['openid'], unique=False)
    op.create_index(op.f('ix_wechat_inbound_state'), 'wechat_inbound', ['state'], unique=False)
    op.create_table('wechat_options',
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('openid')
    )
    op.create_table('agent_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_agent_sessions_agent_id'), 'agent_sessions', ['agent_id'], unique=False)
    op.create_table('channel_identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_identity_channel_external')
    )
    op.create_index(op.f('ix_channel_identities_external_id'), 'channel_identities', ['external_id'], unique=False)
    op.create_table('handoffs',
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
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_handoffs_agent_id'), 'handoffs', ['agent_id'], unique=False)
    op.create_index(op.f('ix_handoffs_conversation_id'), 'handoffs', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_handoffs_created_at'), 'handoffs', ['created_at'], unique=False)
    op.create_index(op.f('ix_handoffs_customer_id'), 'handoffs', ['customer_id'], unique=False)
    op.create_index(op.f('ix_handoffs_rasa_pending'), 'handoffs', ['rasa_pending'], unique=False)
    op.create_index(op.f('ix_handoffs_status'), 'handoffs', ['status'], unique=False)
    op.create_table('orders',
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
    sa.PrimaryKeyConstraint('order_number')
    )
    op.create_index(op.f('ix_orders_customer_id'), 'orders', ['customer_id'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('agent_replies',
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
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_agent_replies_delivered_at'), 'agent_replies', ['delivered_at'], unique=False)
    op.create_index(op.f('ix_agent_replies_failed_at'), 'agent_replies', ['failed_at'], unique=False)
    op.create_index(op.f('ix_agent_replies_handoff_id'), 'agent_replies', ['handoff_id'], unique=False)
    op.create_table('handoff_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_handoff_notes_handoff_id'), 'handoff_notes', ['handoff_id'], unique=False)
    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_satisfaction_ratings_conversation_id'), 'satisfaction_ratings', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_satisfaction_ratings_created_at'), 'satisfaction_ratings', ['created_at'], unique=False)
    op.create_index(op.f('ix_satisfaction_ratings_handoff_id'), 'satisfaction_ratings', ['handoff_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
