"""Reads a conversation as Rasa stored it (the SQL tracker store's ``events`` table, in our database),
so the console shows new customer messages live, and still does while Rasa restarts."""
from __future__ import annotations

import json
from typing import Any, Dict, List

from sqlalchemy import text

from bot.handoff.context import buttons_of, offered_since_customer, transcript_from_events
from bot.storage.database import Database

_SHOWN = ("user", "bot")
_LOOKBACK = 10  # earlier messages read for the buttons the customer may be answering


class ConversationLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    def messages_after(self, conversation_id: str, after_id: int = 0, limit: int = 500) -> List[Dict[str, Any]]:
        """Customer, bot and agent messages with an ``id`` to ask for what came after; a button the customer
        tapped shows as its title, also when the bot offered it before ``after_id``."""
        with self._db.engine.connect() as connection:
            if not self._db.engine.dialect.has_table(connection, "events"):
                return []
            rows = connection.execute(
                text("SELECT id, data FROM events WHERE sender_id = :sender AND id > :after "
                     "AND type_name IN ('user', 'bot') ORDER BY id LIMIT :limit"),
                {"sender": conversation_id, "after": after_id, "limit": limit},
            ).all()
            earlier = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :sender AND id <= :after "
                     "AND type_name IN ('user', 'bot') ORDER BY id DESC LIMIT :lookback"),
                {"sender": conversation_id, "after": after_id, "lookback": _LOOKBACK},
            ).scalars().all() if after_id > 0 else []
        offered = offered_since_customer(json.loads(data) for data in earlier)
        messages = []
        for row_id, data in rows:
            event = json.loads(data)
            if event.get("event") not in _SHOWN:
                continue
            for turn in transcript_from_events([event], offered):
                turn["id"] = row_id
                messages.append(turn)
            offered = {**offered, **buttons_of(event)} if event.get("event") == "bot" else {}
        return messages
