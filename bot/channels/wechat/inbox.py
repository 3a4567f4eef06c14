"""The WeChat inbox in the database: each message is processed once (retries are recognised even
after a restart), a message cut off by a crash is finished once after it, and the numbered options
last shown to each customer.

A message's row goes ``processing`` → ``passive`` (answered in the HTTP response) or ``api`` (through
the customer-service API) or ``failed``. While it is processing, the row keeps what the bot is to be
told; a crash leaves it ``processing``, and the restarted channel takes it (``recovering``: one
process only, by a conditional UPDATE), answers it through the API and marks it ``api``. The text is
cleared once the message is answered."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.models import WeChatInbound, WeChatOptions, utcnow


@dataclass(frozen=True)
class StuckMessage:
    """A message a crash left unanswered, now this process's to finish."""

    dedupe_key: str
    openid: str
    text: str


class WeChatInbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    def first_time(self, dedupe_key: str, openid: str, msg_type: str, text: Optional[str] = None) -> bool:
        """True for a new message (kept with `text`, what the bot is told); False for WeChat's retry of one
        already received."""
        try:
            with self._db.session() as session, session.begin():
                session.add(WeChatInbound(dedupe_key=dedupe_key, openid=openid, msg_type=msg_type, text=text))
            return True
        except IntegrityError:
            return False

    def mark(self, dedupe_key: str, state: str) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(WeChatInbound).where(WeChatInbound.dedupe_key == dedupe_key)
                            .values(state=state, answered_at=utcnow(), text=None))

    def state(self, dedupe_key: str) -> Optional[str]:
        with self._db.session() as session:
            return session.execute(select(WeChatInbound.state).where(WeChatInbound.dedupe_key == dedupe_key)
                                   ).scalar()

    def take_stuck(self, received_before: datetime, not_before: datetime) -> List[StuckMessage]:
        """Messages still ``processing`` that arrived before `received_before` (a crash cut them off), each
        now ``recovering`` and this caller's alone. Those from before `not_before` (too old to answer) or
        without a text are marked ``failed``. A row a crash leaves ``recovering`` stays so: it may have
        been answered, and twice is worse than not at all."""
        taken: List[StuckMessage] = []
        with self._db.session() as session:
            rows = session.execute(select(WeChatInbound.id, WeChatInbound.dedupe_key, WeChatInbound.openid,
                                          WeChatInbound.text, WeChatInbound.received_at)
                                   .where(WeChatInbound.state == "processing",
                                          WeChatInbound.received_at < received_before)
                                   .order_by(WeChatInbound.id)).all()
        for row_id, key, openid, text, received_at in rows:
            answerable = bool(text) and received_at >= not_before
            values = ({"state": "recovering"} if answerable
                      else {"state": "failed", "answered_at": utcnow(), "text": None})
            with self._db.session() as session, session.begin():
                result = session.execute(update(WeChatInbound)
                                         .where(WeChatInbound.id == row_id, WeChatInbound.state == "processing")
                                         .values(**values))
            if answerable and result.rowcount == 1:
                taken.append(StuckMessage(key, openid, text))
        return taken

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
