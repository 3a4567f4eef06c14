"""The conversation feed (issue #13): customer and bot messages copied from Rasa's event broker into our own
table for the agent's live transcript, and the position each feed has been read to.

Conversations stored before the feed existed are copied from the tracker store's `events` table when it is in
this database (the default), so the console keeps showing them; each copied row gets the key the feed gives
the same event (bot.rasa.event_feed.event_key), so an event also published by the broker is stored once.

Revision ID: 0003_conversation_feed
Revises: 0002_cluster
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Dict, List

import sqlalchemy as sa
from alembic import op

revision = "0003_conversation_feed"
down_revision = "0002_cluster"
branch_labels = None
depends_on = None

_CHUNK = 2000


def _id_type() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversation_events",
        sa.Column("id", _id_type(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=160), nullable=False),
        sa.Column("type_name", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    op.create_index("ix_conversation_events_conversation", "conversation_events", ["conversation_id", "id"],
                    unique=False)
    op.create_table(
        "conversation_feed_cursors",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", _id_type(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _copy_stored_conversations()


def downgrade() -> None:
    op.drop_table("conversation_feed_cursors")
    op.drop_index("ix_conversation_events_conversation", table_name="conversation_events")
    op.drop_table("conversation_events")


# copying what the tracker store holds --------------------------------------------------------------
def _key(conversation_id: str, event: Dict[str, Any]) -> str:
    """As bot.rasa.event_feed.event_key (written out: a revision must not change with the code)."""
    body = {k: v for k, v in event.items() if k != "sender_id"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{conversation_id}\x1f{canonical}".encode("utf-8")).hexdigest()


def _reduced(event: Dict[str, Any]) -> Dict[str, Any]:
    data = dict(event)
    parse = data.get("parse_data")
    if isinstance(parse, dict):
        data["parse_data"] = {k: parse[k] for k in ("intent", "entities", "text") if k in parse}
    return data


def _copy_stored_conversations() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("events"):
        return
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("sender_id", sa.String),
                      sa.column("type_name", sa.String), sa.column("timestamp", sa.Float),
                      sa.column("data", sa.Text))
    target = sa.table("conversation_events", sa.column("event_key", sa.String),
                      sa.column("conversation_id", sa.String), sa.column("type_name", sa.String),
                      sa.column("timestamp", sa.Float), sa.column("data", sa.Text),
                      sa.column("received_at", sa.DateTime))
    last, now, seen = 0, datetime.utcnow(), set()
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.id > last, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.id).limit(_CHUNK)).all()
        if not rows:
            return
        batch: List[Dict[str, Any]] = []
        for _row_id, sender, type_name, timestamp, data in rows:
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                continue
            key = _key(sender, event)
            if key in seen:
                continue
            seen.add(key)
            batch.append({"event_key": key, "conversation_id": sender, "type_name": type_name,
                          "timestamp": float(timestamp or 0.0),
                          "data": json.dumps(_reduced(event), ensure_ascii=False), "received_at": now})
        if batch:
            bind.execute(target.insert(), batch)
        last = rows[-1][0]
