"""Claiming a conversation, and closing it (resolved, or handed back to the bot), each in one call:
the conditional UPDATE that decides, then telling the conversation (through the gateway) what it
means for the customer: the bot falls silent and names the agent, or the bot resumes and asks for a
rating or says it is back.

The database is written first and the step Rasa must still be told is kept in `rasa_pending`, so a
claim or close made while Rasa is down is told later (`retry_pending`, run by the relay). A third step,
``requeued``, is written when an admin deactivates an agent (`bot.handoff.agents`): the customer waits
in the queue again, keeping their place, and any agent may claim the conversation.

Telling Rasa happens once even with several web servers: the teller holds a lease on the handoff's row
(`rasa_claimed_by`, `rasa_lease_until`, taken by a conditional UPDATE) while it tells, and a server that finds
the lease held by another leaves the step to it; a lease left by a server that died runs out."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, List, Optional

from sqlalchemy import select, update

from bot.concurrency import run_blocking
from bot.handoff.agents import AgentDirectory
from bot.handoff.gateway import ConversationGateway, ConversationRefused, GatewayUnavailable
from bot.handoff.outbox import ReplyDelivery
from bot.handoff.records import HandoffError, HandoffView, handoff_view, owned_by_clause
from bot.storage.database import Database
from bot.storage.leases import lease_is_free
from bot.storage.models import Handoff, utcnow

logger = logging.getLogger(__name__)

CLAIMABLE = ("queued", "callback")
CLOSE_OUTCOMES = ("resolved", "returned")
# How long a web server may take to tell Rasa one step (a close first delivers the agent's last replies, each
# under its own lease) before another server may take the step over; and so the longest a step waits when the
# server telling it died.
DEFAULT_TELL_LEASE_S = 120.0


# the rules ------------------------------------------------------------------------------------
def is_claimable() -> Any:
    """A waiting conversation, or a callback request, can be claimed; as a WHERE clause, so that of
    two agents clicking at once exactly one UPDATE matches."""
    return Handoff.status.in_(CLAIMABLE)


def is_close_outcome(outcome: str) -> bool:
    return outcome in CLOSE_OUTCOMES


def pauses_the_bot(step: str) -> bool:
    """A claim silences the bot; every other step (resolved, returned) resumes it."""
    return step == "claimed"


def asks_for_rating(step: str) -> bool:
    """Only a resolved conversation gets the satisfaction survey; a hand-back gets "the bot is back"."""
    return step == "resolved"


def returns_to_queue(step: str) -> bool:
    """The agent was deactivated: the customer waits for the next agent (and is told their place)."""
    return step == "requeued"


class RepliesWaiting(GatewayUnavailable):
    """The agent's last replies have not reached the customer yet: the bot resumes only after them."""


# results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimResult:
    claimed: bool  # False: another agent was quicker, or the conversation is no longer waiting
    handoff: Optional[HandoffView]  # as it stands now (None: no such handoff)
    rasa_warning: Optional[str] = None  # why Rasa was not told yet; the relay keeps trying


@dataclass(frozen=True)
class CloseResult:
    handoff: HandoffView
    rasa_warning: Optional[str] = None


class HandoffClaims:
    def __init__(self, database: Database, agents: AgentDirectory, delivery: ReplyDelivery,
                 gateway: ConversationGateway, lease_s: float = DEFAULT_TELL_LEASE_S) -> None:
        self._db = database
        self._agents = agents
        self._delivery = delivery
        self._gateway = gateway
        # The console's request and the relay's round may both find a step pending: one tells Rasa, and
        # the other then finds it told (telling twice would resume the bot and ask for a rating twice).
        # Within the process this lock decides; between web servers, the lease on the handoff's row.
        self._telling = asyncio.Lock()
        self._holder = delivery.holder
        self._lease_s = lease_s

    # entry points -----------------------------------------------------------------------------
    async def claim(self, handoff_id: int, agent_id: int, now: Optional[datetime] = None) -> ClaimResult:
        """The agent takes the conversation if nobody has; then the bot falls silent and the customer
        learns who is with them."""
        won = await run_blocking(self._take, handoff_id, agent_id, now or utcnow())
        handoff = await run_blocking(self._get, handoff_id)
        if not won:
            return ClaimResult(False, handoff)
        logger.info("handoff %s claimed by agent %d", handoff.number, agent_id)
        warning = await self.tell_rasa(handoff_id)
        return ClaimResult(True, await run_blocking(self._get, handoff_id), warning)

    async def close(self, handoff_id: int, agent_id: int, outcome: str,
                    now: Optional[datetime] = None) -> CloseResult:
        """Resolve, or hand back to the bot; only the agent who owns the conversation may (HandoffError
        otherwise). The agent's last replies are delivered, then the bot resumes."""
        if not is_close_outcome(outcome):
            raise HandoffError(f"outcome must be resolved or returned, not {outcome!r}")
        closed = await run_blocking(self._close, handoff_id, agent_id, outcome, now or utcnow())
        if not closed:
            raise HandoffError("this conversation is not yours to close")
        warning = await self.tell_rasa(handoff_id)  # resume, then the survey or "the bot is back"
        return CloseResult(await run_blocking(self._get, handoff_id), warning)

    async def tell_rasa(self, handoff_id: int) -> Optional[str]:
        """Tells Rasa the handoff's pending step; returns why it could not, or None."""
        problem = await self._tell(handoff_id)
        return str(problem) if problem else None

    async def retry_pending(self) -> None:
        """Tells Rasa every step it missed, oldest handoff first; stops while Rasa is still away (one
        conversation's waiting replies or refusal holds up no other)."""
        for handoff in await run_blocking(self.pending):
            problem = await self._tell(handoff.id)
            if problem is not None and not isinstance(problem, (RepliesWaiting, ConversationRefused)):
                break

    async def _tell(self, handoff_id: int) -> Optional[GatewayUnavailable]:
        async with self._telling:
            if not await run_blocking(self._take_telling, handoff_id, utcnow()):
                return None  # nothing to tell, or another web server is telling it now
            try:
                return await self._tell_unlocked(handoff_id)
            finally:
                await run_blocking(self._release_telling, handoff_id)

    async def _tell_unlocked(self, handoff_id: int) -> Optional[GatewayUnavailable]:
        handoff = await run_blocking(self._get, handoff_id)
        if handoff is None or handoff.rasa_pending is None:
            return None
        step, conversation = handoff.rasa_pending, handoff.conversation_id
        try:
            if pauses_the_bot(step):
                agent = await run_blocking(self._agents.get, handoff.agent_id)
                await self._gateway.pause_for_agent(conversation, agent.display_name if agent else "")
                await self._gateway.execute(conversation, "action_agent_joined")  # in the agent's name
            else:
                # The agent's last words go before the survey, "the bot is back" or the queue place.
                waiting = (await self._delivery.deliver_conversation(conversation)).waiting
                if waiting:
                    raise RepliesWaiting(f"{waiting} of the agent's replies still to be delivered first")
                if returns_to_queue(step):
                    await self._gateway.return_to_queue(conversation)
                    await self._gateway.execute(conversation, "action_handoff_waiting")
                else:
                    await self._gateway.resume_bot(conversation)
                    await self._gateway.execute(conversation, "action_ask_satisfaction" if asks_for_rating(step)
                                                else "utter_handoff_back_to_bot")
        except ConversationRefused as error:  # it never will: say so, and stop asking
            logger.error("handoff %s: Rasa refused %s for good: %s", handoff.number, step, error)
            await run_blocking(self._told, handoff_id, step)
            return error
        except GatewayUnavailable as error:
            logger.warning("handoff %s: Rasa not told of %s yet: %s", handoff.number, step, error)
            return error
        await run_blocking(self._told, handoff_id, step)
        return None

    def pending(self) -> List[HandoffView]:
        """Handoffs with a step Rasa has not been told yet."""
        with self._db.session() as session:
            return [handoff_view(r) for r in session.execute(
                select(Handoff).where(Handoff.rasa_pending.is_not(None)).order_by(Handoff.id)).scalars()]

    # the database steps -------------------------------------------------------------------------
    def _take(self, handoff_id: int, agent_id: int, now: datetime) -> bool:
        """A single conditional UPDATE decides, so two agents can never both own the conversation."""
        with self._db.session() as session, session.begin():
            result = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, is_claimable())
                .values(status="claimed", agent_id=agent_id, claimed_at=now, rasa_pending="claimed"))
            return result.rowcount == 1

    def _close(self, handoff_id: int, agent_id: int, outcome: str, now: datetime) -> bool:
        with self._db.session() as session, session.begin():
            result = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, owned_by_clause(agent_id))
                .values(status=outcome, closed_at=now, rasa_pending=outcome))
            return result.rowcount == 1

    def _take_telling(self, handoff_id: int, now: datetime) -> bool:
        """The lease on telling Rasa the handoff's pending step: one web server at a time."""
        with self._db.session() as session, session.begin():
            result = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.rasa_pending.is_not(None),
                                      lease_is_free(Handoff.rasa_claimed_by, Handoff.rasa_lease_until,
                                                    self._holder, now))
                .values(rasa_claimed_by=self._holder, rasa_lease_until=now + timedelta(seconds=self._lease_s)))
            return result.rowcount == 1

    def _release_telling(self, handoff_id: int) -> None:
        with self._db.session() as session, session.begin():
            session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.rasa_claimed_by == self._holder)
                            .values(rasa_claimed_by=None, rasa_lease_until=None))

    def _told(self, handoff_id: int, step: str) -> None:
        """Rasa now knows; only clears the step it was told about (a later step stays pending)."""
        with self._db.session() as session, session.begin():
            session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.rasa_pending == step)
                            .values(rasa_pending=None))

    def _get(self, handoff_id: int) -> Optional[HandoffView]:
        with self._db.session() as session:
            row = session.get(Handoff, handoff_id)
            return handoff_view(row) if row else None
