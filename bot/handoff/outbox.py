"""The agents' replies: stored first (an outbox), then delivered to the customer through the
conversation gateway. Nothing an agent writes is lost when Rasa is down or restarting.

- Order is kept per conversation: a reply waits for the earlier replies of its own conversation,
  never for another conversation's.
- A failed attempt is retried later, each wait twice the last (from `backoff_base_s` up to
  `backoff_cap_s`), at most `max_attempts` times (BOT_OUTBOX_MAX_ATTEMPTS).
- A reply is failed for good when the conversation refuses it (`ConversationRefused`: a 4xx from
  Rasa, WeChat's "past the 48-hour window") or after the last attempt; the console shows the agent
  which and why, and it no longer holds up the conversation's later replies.
- Never twice: each attempt is recorded before it is made, and a reply attempted before (a crash or
  a timeout may have hidden its success) is first looked for in the conversation by its id.
- On the way out the text is made safe for the chat widget (`bot.handoff.reply_text`); the stored
  text stays as the agent typed it.
- Several web servers may relay one outbox: a reply is attempted only under a lease on its row (taken with a
  conditional UPDATE, and on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` first), and only when it is its
  conversation's first pending reply, so each reply goes out once and in order; a lease left by a server that
  died runs out after `lease_s` and another server takes over (checking first whether the reply went out)."""
from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import select, update

from bot.concurrency import run_blocking
from bot.handoff.agents import AgentDirectory
from bot.handoff.gateway import ConversationGateway, ConversationRefused, GatewayUnavailable
from bot.handoff.records import HandoffError, is_owned_by
from bot.handoff.reply_text import safe_markdown
from bot.observability.masking import mask_id
from bot.storage.database import Database
from bot.storage.leases import lease_is_free, new_holder_name
from bot.storage.models import AgentReply, Handoff, utcnow

logger = logging.getLogger(__name__)
DEFAULT_AGENT_NAME = "客服"  # shown when the agent's account is gone
# The relay looks every couple of seconds: the first retry waits about that long, later ones longer.
DEFAULT_BACKOFF_BASE_S = 2.0
DEFAULT_BACKOFF_CAP_S = 300.0
DEFAULT_MAX_ATTEMPTS = 8  # the default of BOT_OUTBOX_MAX_ATTEMPTS
MAX_REPLY_CHARS = 4000
# How long a web server holds a reply it is delivering: well beyond the gateway's two calls (10 s timeout each),
# and the longest a reply waits when the server delivering it died.
DEFAULT_LEASE_S = 60.0


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
    last_error: Optional[str] = None
    next_attempt_at: Optional[datetime] = None
    failed_at: Optional[datetime] = None

    @property
    def pending(self) -> bool:
        """Still to be delivered: neither delivered nor failed for good."""
        return self.delivered_at is None and self.failed_at is None

    def is_due(self, now: datetime) -> bool:
        return self.pending and (self.next_attempt_at is None or self.next_attempt_at <= now)


def retry_delay(attempts: int, base_s: float = DEFAULT_BACKOFF_BASE_S, cap_s: float = DEFAULT_BACKOFF_CAP_S) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2×base, 4×base… up to the cap."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1))


def _view(reply: AgentReply, conversation_id: str) -> ReplyView:
    return ReplyView(reply.id, reply.handoff_id, conversation_id, reply.agent_id, reply.text, reply.created_at,
                     reply.delivered_at, reply.attempts, reply.last_error, reply.next_attempt_at, reply.failed_at)


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
            reply = AgentReply(handoff_id=handoff_id, agent_id=agent_id, text=text.strip()[:MAX_REPLY_CHARS])
            session.add(reply)
            session.flush()
            reply_id = reply.id
        return self.get_reply(reply_id)

    def get_reply(self, reply_id: int) -> ReplyView:
        with self._db.session() as session:
            reply, conversation = session.execute(select(AgentReply, Handoff.conversation_id)
                                                  .join(Handoff, Handoff.id == AgentReply.handoff_id)
                                                  .where(AgentReply.id == reply_id)).one()
            return _view(reply, conversation)

    def _select(self, *conditions: object, limit: Optional[int] = None) -> List[ReplyView]:
        with self._db.session() as session:
            query = (select(AgentReply, Handoff.conversation_id).join(Handoff, Handoff.id == AgentReply.handoff_id)
                     .where(*conditions).order_by(AgentReply.id))
            if limit is not None:
                query = query.limit(limit)
            return [_view(reply, conversation) for reply, conversation in session.execute(query).all()]

    def undelivered(self, limit: int = 500) -> List[ReplyView]:
        """Every reply still to be delivered (not failed for good), oldest first."""
        return self._select(AgentReply.delivered_at.is_(None), AgentReply.failed_at.is_(None), limit=limit)

    def pending_of(self, conversation_id: str) -> List[ReplyView]:
        """The conversation's replies still to be delivered, in the order they must arrive."""
        return self._select(Handoff.conversation_id == conversation_id, AgentReply.delivered_at.is_(None),
                            AgentReply.failed_at.is_(None))

    def due_conversations(self, now: Optional[datetime] = None) -> List[str]:
        """Conversations whose next reply may be tried now (the first pending one is not backing off)."""
        now = now or utcnow()
        heads: Dict[str, ReplyView] = {}
        for reply in self.undelivered():
            heads.setdefault(reply.conversation_id, reply)
        return [conversation for conversation, head in heads.items() if head.is_due(now)]

    def replies(self, handoff_id: int) -> List[ReplyView]:
        return self._select(AgentReply.handoff_id == handoff_id)

    def claim(self, reply_id: int, holder: str, now: datetime, lease_s: float) -> bool:
        """Takes the reply for `holder` until `now + lease_s`, if it is still pending and nobody else holds it.
        The conditional UPDATE decides: of two servers claiming at once exactly one matches."""
        pending_and_free = (AgentReply.id == reply_id, AgentReply.delivered_at.is_(None),
                            AgentReply.failed_at.is_(None),
                            lease_is_free(AgentReply.claimed_by, AgentReply.lease_until, holder, now))
        with self._db.session() as session, session.begin():
            if session.bind.dialect.name == "postgresql":  # do not queue behind another server's claim
                locked = session.execute(select(AgentReply.id).where(*pending_and_free)
                                         .with_for_update(skip_locked=True)).scalar()
                if locked is None:
                    return False
            result = session.execute(update(AgentReply).where(*pending_and_free)
                                     .values(claimed_by=holder, lease_until=now + timedelta(seconds=lease_s)))
            return result.rowcount == 1

    def release(self, reply_id: int, holder: str) -> None:
        """Gives the reply back (to be tried again, by whichever server comes first)."""
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id, AgentReply.claimed_by == holder)
                            .values(claimed_by=None, lease_until=None))

    def start_attempt(self, reply_id: int) -> None:
        """Recorded before the attempt: after a crash, the reply is known to have maybe gone out."""
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(attempts=AgentReply.attempts + 1))

    def mark_delivered(self, reply_id: int, now: Optional[datetime] = None) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(delivered_at=now or utcnow(), last_error=None, next_attempt_at=None))

    def mark_retry(self, reply_id: int, error: str, next_attempt_at: datetime) -> None:
        """Not delivered this time; tried again from `next_attempt_at` on."""
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id)
                            .values(last_error=error[:500], next_attempt_at=next_attempt_at))

    def mark_failed(self, reply_id: int, error: str, now: Optional[datetime] = None) -> None:
        """Never to be delivered: the agent is shown why."""
        with self._db.session() as session, session.begin():
            session.execute(update(AgentReply).where(AgentReply.id == reply_id, AgentReply.delivered_at.is_(None))
                            .values(failed_at=now or utcnow(), last_error=error[:500], next_attempt_at=None))


@dataclass(frozen=True)
class ConversationDelivery:
    delivered: int  # replies that reached the customer in this round
    waiting: int  # replies still to be delivered (backing off)


_DELIVERED, _FAILED, _LATER = "delivered", "failed", "later"


class ReplyDelivery:
    """Delivers the outbox through one gateway. One per process: its per-conversation locks keep the
    background relay and a console request from sending the same reply at once; the lease on each reply
    (named `holder`) does the same between processes."""

    def __init__(self, outbox: ReplyOutbox, agents: AgentDirectory, gateway: ConversationGateway,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, backoff_base_s: float = DEFAULT_BACKOFF_BASE_S,
                 backoff_cap_s: float = DEFAULT_BACKOFF_CAP_S, lease_s: float = DEFAULT_LEASE_S,
                 holder: Optional[str] = None) -> None:
        self._outbox = outbox
        self._agents = agents
        self._gateway = gateway
        self._max_attempts = max_attempts
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._lease_s = lease_s
        self.holder = holder or new_holder_name()
        # A lock lives while someone holds or awaits it, so idle conversations cost nothing.
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    async def deliver_pending(self) -> int:
        """Delivers what is due in every conversation, the conversations side by side; returns how many."""
        conversations = await run_blocking(self._outbox.due_conversations)
        results = await asyncio.gather(*(self.deliver_conversation(c) for c in conversations))
        return sum(r.delivered for r in results)

    async def deliver_conversation(self, conversation_id: str) -> ConversationDelivery:
        """Delivers the conversation's due replies in order; stops at one that must be tried later."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        delivered = 0
        async with lock:
            pending = await run_blocking(self._outbox.pending_of, conversation_id)
            while pending and pending[0].is_due(utcnow()):
                outcome = await self._deliver_claimed(pending[0])
                if outcome == _LATER:
                    break
                delivered += outcome == _DELIVERED
                pending = await run_blocking(self._outbox.pending_of, conversation_id)
            waiting = len(await run_blocking(self._outbox.pending_of, conversation_id))
        return ConversationDelivery(delivered, waiting)

    async def _deliver_claimed(self, reply: ReplyView) -> str:
        """Delivers the conversation's first pending reply under a lease; another server holding it: later.
        Only the first pending reply is ever claimed, so a conversation's replies go out in order."""
        if not await run_blocking(self._outbox.claim, reply.id, self.holder, utcnow(), self._lease_s):
            return _LATER
        outcome = _LATER
        try:
            # Read again under the lease: another server may have attempted it since it was listed.
            current = await run_blocking(self._outbox.get_reply, reply.id)
            if current.is_due(utcnow()):
                outcome = await self._deliver(current)
        finally:
            if outcome == _LATER:
                await run_blocking(self._outbox.release, reply.id, self.holder)
        return outcome

    async def _deliver(self, reply: ReplyView) -> str:
        conversation = reply.conversation_id
        await run_blocking(self._outbox.start_attempt, reply.id)
        attempt = reply.attempts + 1
        try:
            if reply.attempts and await self._was_delivered(reply):
                logger.info("reply %d to %s had gone out before; not sent again", reply.id, mask_id(conversation))
                await run_blocking(self._outbox.mark_delivered, reply.id)
                return _DELIVERED
            agent = await run_blocking(self._agents.get, reply.agent_id)
            await self._gateway.say(conversation, safe_markdown(reply.text),
                                    agent.display_name if agent else DEFAULT_AGENT_NAME, reply.id)
        except ConversationRefused as error:
            logger.error("reply %d to %s cannot be delivered: %s", reply.id, mask_id(conversation), error)
            await run_blocking(self._outbox.mark_failed, reply.id, str(error))
            return _FAILED
        except GatewayUnavailable as error:
            if attempt >= self._max_attempts:
                logger.error("reply %d to %s not delivered after %d attempts: %s", reply.id, mask_id(conversation),
                             attempt, error)
                await run_blocking(self._outbox.mark_failed, reply.id, f"{attempt} attempts: {error}")
                return _FAILED
            delay = retry_delay(attempt, *self._backoff)
            logger.warning("reply %d to %s not delivered yet (attempt %d, next in %.1f s): %s", reply.id,
                           mask_id(conversation), attempt, delay, error)
            await run_blocking(self._outbox.mark_retry, reply.id, str(error), utcnow() + timedelta(seconds=delay))
            return _LATER
        await run_blocking(self._outbox.mark_delivered, reply.id)
        return _DELIVERED

    async def _was_delivered(self, reply: ReplyView) -> bool:
        """Whether the conversation already holds the reply; a refusal to read it is not the reply's fault."""
        try:
            return await self._gateway.has_reply(reply.conversation_id, reply.id)
        except ConversationRefused as error:
            raise GatewayUnavailable(f"could not check whether it went out: {error}") from error
