"""Tells Rasa what agents did: their replies (from the agent_replies outbox) and claims, hand-backs
and resolutions (the handoff's `rasa_pending` step).

Everything is stored first and told to Rasa after, so nothing an agent does is lost when Rasa is
down or restarting: the loop retries until it gets through."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from bot.handoff.agents import AgentDirectory
from bot.handoff.queue import HandoffQueue
from bot.rasa.http_api import RasaConversations, RasaUnavailable
from bot.observability.masking import mask_id

logger = logging.getLogger(__name__)


class ReplyRelay:
    def __init__(self, queue: HandoffQueue, agents: AgentDirectory, rasa: RasaConversations) -> None:
        self._queue = queue
        self._agents = agents
        self._rasa = rasa
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def deliver_pending(self) -> int:
        """Delivers what is waiting, oldest first; stops at the first failure to keep the order."""
        delivered = 0
        async with self._lock:
            loop = asyncio.get_running_loop()
            pending = await loop.run_in_executor(None, self._queue.undelivered)
            for reply in pending:
                agent = await loop.run_in_executor(None, self._agents.get, reply.agent_id)
                name = agent.display_name if agent else "客服"
                try:
                    await self._rasa.say(reply.conversation_id, reply.text, name, reply.id)
                except RasaUnavailable as error:
                    logger.warning("reply %d to %s not delivered yet: %s", reply.id, mask_id(reply.conversation_id),
                                   error)
                    await loop.run_in_executor(None, self._queue.mark_failed, reply.id, str(error))
                    break
                await loop.run_in_executor(None, self._queue.mark_delivered, reply.id)
                delivered += 1
        return delivered

    async def sync_handoff(self, handoff_id: int) -> Optional[str]:
        """Tells Rasa the handoff's pending step; returns why it could not, or None."""
        loop = asyncio.get_running_loop()
        handoff = await loop.run_in_executor(None, self._queue.get, handoff_id)
        if handoff is None or handoff.rasa_pending is None:
            return None
        step, conversation = handoff.rasa_pending, handoff.conversation_id
        try:
            if step == "claimed":  # the bot falls silent, and the customer learns who is with them
                agent = await loop.run_in_executor(None, self._agents.get, handoff.agent_id)
                await self._rasa.pause_for_agent(conversation, agent.display_name if agent else "")
                await self._rasa.execute(conversation, "utter_handoff_agent_joined")
            else:
                await self.deliver_pending()  # the agent's last words go before the survey
                await self._rasa.resume_bot(conversation)
                await self._rasa.execute(conversation, "action_ask_satisfaction" if step == "resolved"
                                         else "utter_handoff_back_to_bot")
        except RasaUnavailable as error:
            logger.warning("handoff %s: Rasa not told of %s yet: %s", handoff.number, step, error)
            return str(error)
        await loop.run_in_executor(None, self._queue.rasa_told, handoff_id, step)
        return None

    async def sync_pending(self) -> None:
        pending = await asyncio.get_running_loop().run_in_executor(None, self._queue.rasa_pending)
        for handoff in pending:
            if await self.sync_handoff(handoff.id):
                break  # Rasa is still away: try again next round

    async def run(self, interval_s: float = 2.0, stop: Optional[asyncio.Event] = None) -> None:
        while stop is None or not stop.is_set():
            try:
                await self.sync_pending()
                await self.deliver_pending()
            except Exception:  # the database hiccupped: try again on the next round
                logger.exception("reply relay round failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
