"""Rasa's SQL tracker store on the assistant's own database URL (from settings, not endpoints.yml)."""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.settings import get_settings
from bot.storage.database import create_database


class SettingsSQLTrackerStore(SQLTrackerStore):
    """Keeps conversations in the database named by BOT_DATABASE_URL, so they survive restarts."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        host: Optional[str] = None,  # Rasa passes the endpoint's `url` here; unused
        **kwargs: Any,
    ) -> None:
        url = get_settings().database_url
        if make_url(url).drivername.startswith("sqlite"):
            # Creates the folder and switches the file to WAL, shared with the action server.
            create_database(url).engine.dispose()
        # A full URL in `host` is used as it is by SQLTrackerStore.get_db_url.
        super().__init__(domain=domain, event_broker=event_broker, host=url)
