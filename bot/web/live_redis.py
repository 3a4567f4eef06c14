"""The console's live events across web servers (cluster mode): published on a Redis pub/sub channel named
with the key prefix, and every web server's one subscriber hands them to its own consoles' streams (a
`LocalBroadcaster`). When the subscription drops, it reconnects and tells its consoles to `resync`."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from bot.handoff.live_events import RESYNC, LiveEvent, LocalBroadcaster, Subscription

logger = logging.getLogger(__name__)


class RedisLiveHub:
    def __init__(self, redis_url: str, channel: str, retry_s: float = 2.0) -> None:
        self._url = redis_url
        self._channel = channel
        self._retry_s = retry_s
        self._local = LocalBroadcaster()
        self._client: Any = None
        self._listening: Optional[asyncio.Task] = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        import redis.asyncio as redis

        self._client = redis.from_url(self._url, health_check_interval=30)
        self._listening = asyncio.create_task(self._listen())

    async def wait_subscribed(self, timeout: float = 5.0) -> None:
        """Until this hub hears the channel (tests: an event published before would not reach it)."""
        await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def publish(self, event: LiveEvent) -> None:
        try:
            await self._client.publish(self._channel, event.to_json())
        except Exception as error:  # Redis is away: this server's consoles hear it at least
            logger.warning("Could not publish the console event %s to Redis (%s)", event.kind, error)
            self._local.deliver(event)

    def subscribe(self) -> Subscription:
        return self._local.subscribe()

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            try:
                await self._listening
            except asyncio.CancelledError:
                pass
        await self._local.close()
        if self._client is not None:
            await self._client.close()

    async def _listen(self) -> None:
        first = True
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                if not first:  # what was published while we were away is lost: the consoles catch up
                    self._local.deliver(RESYNC)
                first = False
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    event = LiveEvent.from_json(message.get("data"))
                    if event is not None:
                        self._local.deliver(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._subscribed.clear()
                logger.warning("Lost the console events' Redis channel (%s); reconnecting", error)
                await asyncio.sleep(self._retry_s)
            finally:
                try:
                    await pubsub.close()
                except Exception:
                    pass
