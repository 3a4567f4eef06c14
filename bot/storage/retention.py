"""Retention (`python -m bot retention`): what is left of conversations and records older than N days.

Deleted: Rasa's conversation events (the tracker store's `events` table in our database), knowledge-base
query records, WeChat dedupe rows and numbered options, agents' internal notes and replies of closed
handoffs, expired console sessions. Anonymised, so that the figures stay countable: closed handoffs
(who and what removed; number, reason, priority, status and times kept), the questions of
knowledge-base feedback, ratings' comments, and resolved or closed complaint tickets (description,
phone, callback time), and the service metrics' conversations (their sender id; the counts stay). Open work
(queued or claimed handoffs, callbacks, open tickets) is never touched.
BOT_RETENTION_DAYS=0, the default, keeps everything."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.storage.database import Database
from bot.storage.feed_models import ConversationEvent
from bot.storage.models import (
    AgentReply, AgentSession, Handoff, HandoffNote, KbFeedback, KbQuery, MetricsConversation, SatisfactionRating,
    Ticket, TicketEvent, WeChatInbound, WeChatOptions, utcnow,
)

ANONYMISED = "anonymised"
CLOSED_HANDOFFS = ("resolved", "returned", "cancelled")
CLOSED_TICKETS = ("resolved", "closed")
# Rasa's SQL tracker store: one row per event, `timestamp` in seconds since the epoch.
RASA_EVENTS = sa.table("events", sa.column("timestamp", sa.Float))


@dataclass
class RetentionReport:
    days: int
    cutoff: datetime  # naive UTC: records before it were (or, in a dry run, would be) deleted or anonymised
    dry_run: bool
    counts: Dict[str, int] = field(default_factory=dict)  # what -> rows

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class _Step:
    label: str
    table: Any
    where: Any
    values: Optional[Dict[str, Any]] = None  # None: delete the rows; else: update them with these values


def _steps(cutoff: datetime, now: datetime) -> List[_Step]:
    handoffs, tickets, conversations = Handoff.__table__, Ticket.__table__, MetricsConversation.__table__
    closed_handoffs = sa.select(handoffs.c.id).where(handoffs.c.status.in_(CLOSED_HANDOFFS))
    closed_tickets = sa.select(tickets.c.id).where(tickets.c.status.in_(CLOSED_TICKETS))
    epoch_cutoff = cutoff.replace(tzinfo=timezone.utc).timestamp()
    return [
        _Step("conversation events (Rasa)", RASA_EVENTS, RASA_EVENTS.c.timestamp < epoch_cutoff),
        _Step("conversation events (the console's feed)", ConversationEvent.__table__,
              ConversationEvent.__table__.c.timestamp < epoch_cutoff),
        _Step("knowledge-base queries", KbQuery.__table__, KbQuery.__table__.c.created_at < cutoff),
        _Step("knowledge-base feedback questions (anonymised)", KbFeedback.__table__,
              sa.and_(KbFeedback.__table__.c.created_at < cutoff, KbFeedback.__table__.c.question.isnot(None)),
              {"question": None}),
        _Step("WeChat received-message records", WeChatInbound.__table__,
              WeChatInbound.__table__.c.received_at < cutoff),
        _Step("WeChat numbered options", WeChatOptions.__table__, WeChatOptions.__table__.c.updated_at < cutoff),
        _Step("agents' notes on closed handoffs", HandoffNote.__table__,
              sa.and_(HandoffNote.__table__.c.created_at < cutoff,
                      HandoffNote.__table__.c.handoff_id.in_(closed_handoffs))),
        _Step("agents' replies of closed handoffs", AgentReply.__table__,
              sa.and_(AgentReply.__table__.c.created_at < cutoff,
                      AgentReply.__table__.c.handoff_id.in_(closed_handoffs))),
        _Step("closed handoffs (anonymised)", handoffs,
              sa.and_(handoffs.c.status.in_(CLOSED_HANDOFFS),
                      sa.func.coalesce(handoffs.c.closed_at, handoffs.c.created_at) < cutoff,
                      handoffs.c.conversation_id != ANONYMISED),
              {"conversation_id": ANONYMISED, "customer_id": None, "summary": "", "context_json": "{}",
               "callback_message": None}),
        _Step("satisfaction ratings' comments (anonymised)", SatisfactionRating.__table__,
              sa.and_(SatisfactionRating.__table__.c.created_at < cutoff,
                      SatisfactionRating.__table__.c.conversation_id != ANONYMISED),
              {"conversation_id": ANONYMISED, "comment": None}),
        _Step("notes on resolved or closed tickets (anonymised)", TicketEvent.__table__,
              sa.and_(TicketEvent.__table__.c.created_at < cutoff, TicketEvent.__table__.c.note.isnot(None),
                      TicketEvent.__table__.c.ticket_id.in_(closed_tickets)),
              {"note": None}),
        _Step("resolved or closed complaint tickets (anonymised)", tickets,
              sa.and_(tickets.c.status.in_(CLOSED_TICKETS), tickets.c.updated_at < cutoff,
                      tickets.c.conversation_id != ANONYMISED),
              {"conversation_id": ANONYMISED, "description": "", "phone": None, "callback_time": None}),
        _Step("service metrics' conversations (anonymised)", conversations,
              sa.and_(conversations.c.last_ts < epoch_cutoff, conversations.c.sender_id.notlike(f"%:{ANONYMISED}")),
              {"sender_id": conversations.c.channel + f":{ANONYMISED}"}),
        _Step("expired console sessions", AgentSession.__table__, AgentSession.__table__.c.expires_at < now),
    ]


def apply_retention(database: Database, days: int, now: Optional[datetime] = None,
                    dry_run: bool = False) -> RetentionReport:
    """Deletes or anonymises what is older than `days` days (nothing is changed in a dry run: it counts)."""
    if days < 1:
        raise ValueError("retention needs a number of days of 1 or more (0 keeps everything)")
    now = now or utcnow()
    report = RetentionReport(days, now - timedelta(days=days), dry_run)
    with database.engine.begin() as connection:
        for step in _steps(report.cutoff, now):
            if not _has_table(connection, step.table.name):
                continue
            report.counts[step.label] = _apply(connection, step, dry_run)
    return report


def _apply(connection: Connection, step: _Step, dry_run: bool) -> int:
    if dry_run:
        return int(connection.execute(sa.select(sa.func.count()).select_from(step.table).where(step.where))
                   .scalar_one())
    if step.values is None:
        statement = sa.delete(step.table).where(step.where)
    else:
        statement = sa.update(step.table).where(step.where).values(**step.values)
    return int(connection.execute(statement).rowcount or 0)


def _has_table(connection: Connection, name: str) -> bool:
    return bool(sa.inspect(connection).has_table(name))
