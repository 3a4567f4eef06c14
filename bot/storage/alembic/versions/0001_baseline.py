"""The schema as release v8 (the last home-made migration, `bot_schema_version` 8) created it.

Taken from the frozen v8 tables of bot.storage.legacy_migrations, not from the models: the models move on, this
revision must not (and a database from that release, brought to v8 by the old steps from the same tables, is
stamped with this revision instead of running it, so both ways give the same schema by construction).

Revision ID: 0001_baseline
Revises:
"""
from __future__ import annotations

from alembic import op

from bot.storage.legacy_migrations import LEGACY_VERSION_TABLE, V8

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _tables():
    """The v8 tables in creation order (foreign keys point backwards), without the old version table."""
    return [table for table in V8.sorted_tables if table.name != LEGACY_VERSION_TABLE]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind)
