"""The knowledge base learns from the store's own traffic (issue #12).

- `kb_learned_alternatives`: customers' wordings (helpful answers, "did you mean" choices, questions an agent
  answered after a miss) that an operator accepted as alternatives of an entry (`python -m bot kb accept`), or
  rejected (`kb reject`) so they are not suggested again.
- `kb_learning_version`: one row counting decisions; answering processes compare it to serve accepted
  alternatives on the next question, without retraining or a restart.

Revision ID: 0004_kb_learning
Revises: 0002_cluster
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_kb_learning"
down_revision = "0002_cluster"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_learned_alternatives",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("normalized", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "normalized", name="uq_kb_learned_entry_normalized"),
    )
    op.create_index(op.f("ix_kb_learned_alternatives_entry_id"), "kb_learned_alternatives", ["entry_id"],
                    unique=False)
    op.create_index(op.f("ix_kb_learned_alternatives_suggestion_id"), "kb_learned_alternatives",
                    ["suggestion_id"], unique=False)
    op.create_table(
        "kb_learning_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("kb_learning_version")
    op.drop_index(op.f("ix_kb_learned_alternatives_suggestion_id"), table_name="kb_learned_alternatives")
    op.drop_index(op.f("ix_kb_learned_alternatives_entry_id"), table_name="kb_learned_alternatives")
    op.drop_table("kb_learned_alternatives")
