"""The agents' replies: stored first (an outbox), then delivered to the customer through the
conversation gateway, oldest first, retried until they get through. Nothing an agent writes is lost
when Rasa is down or restarting."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select, update

from bot.concurrency import run_blocking
from bot.handoff.agents import AgentDirectory
from bot.handoff.gateway import ConversationGateway, GatewayUnavailable
from bot.handoff.records import HandoffError, is_owned_by
from bot.observability.masking import mask_id
from bot.storage.database import Database
from bot.storage.models import AgentReply, Handoff, utcnow

logger = logging.getLogger(__name__)
DEFAULT_AGENT_NAME = "客服"  # shown when the agent's account is gone


@dataclass(frozen=True)
class ReplyView:
    id: int
    handoff_id: int
    conversation_id: str
    agent_id: int
    text: str
    created_at: datetime
    delivered_at: Optional[datetime]
    attempts: int


class ReplyOutbox:
    """The stored replies and whether each has reached the customer."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add_reply(self, handoff_id: int, agent_id: int, text: str) -> ReplyView:
        if not text.strip():
            raise HandoffError("a reply needs some text")
        with self._db.session() as session, session.begin():
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or not is_owned_by(handoff, agent_id):
                raise HandoffError("only the agent who owns the conversation can reply")
            reply = AgentReply(handoff_id=handoff_id, agent_id=agent_id, text=text.strip()[:4000])
            session.add(reply)
            session.flush()
            reply_id = reply.id
        return self.get_reply(reply_id)

    def get_reply(self, reply_id: int) -> ReplyView:
        with self._db.session() as session:
            row = session.execute(select(AgentReply, Handoff.conversation_id)
                                  .join(Handoff, Handoff.id == AgentReply.handoff_id)
                                  .where(AgentReply.id == reply_id)).first()
            reply, conversation = row
            return ReplyView(reply.id, reply.handoff_id, conversation, reply.agent_id, reply.text,
                             reply.created_at, reply.delivered_at, reply.attempts)

    def undelivered(self, limit: int = 50) -> List[ReplyView]:
        with self._db.session() as session:
            ids = session.execute(select(AgentReply.id).where(AgentReply.delivered_at.is_(None))
                                  .order_by(AgentReply.id).limit(limit)).scalars().all()
        return [self.get_reply(i) for i in ids]

    def replies(self, handoff_id: int) -> List[ReplyView]:
        with self._db.session() as session:
            ids = session.execute(select(AgentReply.id).where(AgentReply.handoff_id == handoff_id)
                                  .order_by(AgentReply.id)).scalars().all()
        return [self.get_reply(i) for i in ids]

    def mark_delivered(self, reply_id: int, now: Optional[datetime] = None) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(delivered_at=now or utcnow(), attempts=AgentReply.attempts + 1, last_error=None))

    def mark_failed(self, reply_id: int, error: str) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(attempts=AgentReply.attempts + 1, last_error=error[:500]))


class ReplyDelivery:
    """Delivers the outbox through one gateway. One per process: its lock keeps the background relay
    and a console request from sending the same reply twice."""

    def __init__(self, outbox: ReplyOutbox, agents: AgentDirectory, gateway: ConversationGateway) -> None:
        self._outbox = outbox
        self._agents = agents
        self._gateway = gateway
        self._lock = asyncio.Lock()

    async def deliver_pending(self) -> int:
        """Delivers what is waiting, oldest first; stops at the first failure to keep the order."""
        delivered = 0
        async with self._lock:
            for reply in await run_blocking(self._outbox.undelivered):
                agent = await run_blocking(self._agents.get, reply.agent_id)
                try:
                    await self._gateway.say(reply.conversation_id, reply.text,
                                            agent.display_name if agent else DEFAULT_AGENT_NAME, reply.id)
                except GatewayUnavailable as error:
                    logger.warning("reply %d to %s not delivered yet: %s", reply.id, mask_id(reply.conversation_id),
                                   error)
                    await run_blocking(self._outbox.mark_failed, reply.id, str(error))
                    break
                await run_blocking(self._outbox.mark_delivered, reply.id)
                delivered += 1
        return delivered
