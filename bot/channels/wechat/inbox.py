"""The WeChat inbox in the database: each message is processed once (retries are recognised even
after a restart) and the numbered options last shown to each customer."""
from __future__ import annotations

import json
from typing import List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.models import WeChatInbound, WeChatOptions, utcnow


class WeChatInbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    def first_time(self, dedupe_key: str, openid: str, msg_type: str) -> bool:
        """True for a new message; False for WeChat's retry of one already received."""
        try:
            with self._db.session() as session, session.begin():
                session.add(WeChatInbound(dedupe_key=dedupe_key, openid=openid, msg_type=msg_type))
            return True
        except IntegrityError:
            return False

    def mark(self, dedupe_key: str, state: str) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(WeChatInbound).where(WeChatInbound.dedupe_key == dedupe_key)
                            .values(state=state, answered_at=utcnow()))

    def state(self, dedupe_key: str) -> Optional[str]:
        with self._db.session() as session:
            return session.execute(select(WeChatInbound.state).where(WeChatInbound.dedupe_key == dedupe_key)
                                   ).scalar()

    def save_options(self, openid: str, payloads: List[str]) -> None:
        with self._db.session() as session, session.begin():
            row = session.get(WeChatOptions, openid)
            if row is None:
                session.add(WeChatOptions(openid=openid, options_json=json.dumps(payloads, ensure_ascii=False)))
            else:
                row.options_json, row.updated_at = json.dumps(payloads, ensure_ascii=False), utcnow()

    def options(self, openid: str) -> List[str]:
        with self._db.session() as session:
            row = session.get(WeChatOptions, openid)
            return json.loads(row.options_json) if row else []
