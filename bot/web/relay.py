"""Delivers agents' replies from the outbox (the agent_replies table) through Rasa.

A reply is stored first and delivered after, so nothing an agent writes is lost when Rasa is down
or restarting: the loop retries until it gets through."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from bot.handoff.agents import AgentDirectory
from bot.handoff.queue import HandoffQueue
from bot.handoff.rasa_api import RasaConversations, RasaUnavailable
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

    async def run(self, interval_s: float = 2.0, stop: Optional[asyncio.Event] = None) -> None:
        while stop is None or not stop.is_set():
            try:
                await self.deliver_pending()
            except Exception:  # the database hiccupped: try again on the next round
                logger.exception("reply relay round failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
