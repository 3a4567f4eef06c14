"""The background relay of the web process: every couple of seconds (or when woken) it tells Rasa
what it missed while it was away, the claims' and closes' pending steps first, then the agents'
undelivered replies that are due (each conversation's in order, the conversations side by side; see
`bot.handoff.outbox` for backoff and permanent failures), so the customer sees "an agent joined" before
the agent's first words."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from bot.handoff.claims import HandoffClaims
from bot.handoff.outbox import ReplyDelivery

logger = logging.getLogger(__name__)


class HandoffRelay:
    """Holds the process's claims and reply delivery for one gateway, and retries both."""

    def __init__(self, claims: HandoffClaims, delivery: ReplyDelivery) -> None:
        self.claims = claims
        self.delivery = delivery
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> None:
        await self.claims.retry_pending()
        await self.delivery.deliver_pending()

    async def run(self, interval_s: float = 2.0, stop: Optional[asyncio.Event] = None) -> None:
        while stop is None or not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the database hiccupped: try again on the next round
                logger.exception("reply relay round failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
