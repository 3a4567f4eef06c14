"""What several replicas sharing one database need (issue #13).

- `number_counters`: ticket and handoff numbers counted per prefix and day in a row updated in the ticket's
  own transaction (bot.storage.numbering), instead of max()+1 and retries.
- A lease on each agent reply (`claimed_by`, `lease_until`): two web servers relaying one outbox never deliver
  the same reply, and a lease left by a crashed one expires (bot.handoff.outbox).
- A lease on each handoff's step Rasa has still to be told (`rasa_claimed_by`, `rasa_lease_until`): told once,
  whichever web server tells it (bot.handoff.claims).
- Conversation and sender ids up to 160 characters (they reach ~133; PostgreSQL enforces the length, SQLite
  does not, so SQLite's tables are not rebuilt for it).

Revision ID: 0002_cluster
Revises: 0001_baseline
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_cluster"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

# (table, column) of the conversation and sender ids widened from 128 to 160 characters.
WIDENED = (
    ("kb_queries", "conversation_id"),
    ("kb_feedback", "conversation_id"),
    ("tickets", "conversation_id"),
    ("handoffs", "conversation_id"),
    ("satisfaction_ratings", "conversation_id"),
    ("channel_identities", "external_id"),
)


def _widen(old: int, new: int) -> None:
    if op.get_bind().dialect.name == "sqlite":  # a VARCHAR's length is not enforced there
        return
    for table, column in WIDENED:
        op.alter_column(table, column, type_=sa.String(length=new), existing_type=sa.String(length=old),
                        existing_nullable=False)


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("agent_replies") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("rasa_claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("rasa_lease_until", sa.DateTime(), nullable=True))
    _widen(128, 160)


def downgrade() -> None:
    _widen(160, 128)
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("rasa_lease_until")
        batch.drop_column("rasa_claimed_by")
    with op.batch_alter_table("agent_replies") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
    op.drop_table("number_counters")
