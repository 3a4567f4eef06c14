"""Reads a conversation's messages from our feed table (`conversation_events`, filled from Rasa's event broker
by bot.rasa.feed_consumer), so the console shows new customer messages live without touching Rasa's
tracker store, and still does while Rasa restarts."""
from __future__ import annotations

import json
from typing import Any, Dict, List

from sqlalchemy import select

from bot.handoff.context import buttons_of, offered_since_customer, transcript_from_events
from bot.rasa.event_feed import FOLLOWED_EVENTS
from bot.storage.database import Database
from bot.storage.feed_models import ConversationEvent

_LOOKBACK = 10  # earlier messages read for the buttons the customer may be answering


class ConversationLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    def messages_after(self, conversation_id: str, after_id: int = 0, limit: int = 500) -> List[Dict[str, Any]]:
        """Customer, bot and agent messages with an ``id`` to ask for what came after; a button the customer
        tapped shows as its title, also when the bot offered it before ``after_id``."""
        table = ConversationEvent.__table__
        of_conversation = (table.c.conversation_id == conversation_id, table.c.type_name.in_(FOLLOWED_EVENTS))
        with self._db.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.id, table.c.data).where(*of_conversation, table.c.id > after_id)
                .order_by(table.c.id).limit(limit)).all()
            earlier = connection.execute(
                select(table.c.data).where(*of_conversation, table.c.id <= after_id)
                .order_by(table.c.id.desc()).limit(_LOOKBACK)).scalars().all() if after_id > 0 else []
        offered = offered_since_customer(json.loads(data) for data in earlier)
        messages = []
        for row_id, data in rows:
            event = json.loads(data)
            for turn in transcript_from_events([event], offered):
                turn["id"] = row_id
                messages.append(turn)
            offered = {**offered, **buttons_of(event)} if event.get("event") == "bot" else {}
        return messages
