"""socket.io across replicas: python-socketio's Redis client manager, so that an emit made on any replica
(an agent's reply runs on whichever Rasa server the web server reached) reaches the sockets of that room on
every replica. Each replica publishes emits on one Redis channel and delivers what it hears to its own
sockets.

python-socketio 5.8 pickles what it publishes and unpickles what it hears: anyone able to publish on the
Redis server could then run code in every replica. This manager writes and reads JSON instead (socket.io
payloads are JSON anyway)."""
from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator, Dict, Optional

from socketio import AsyncRedisManager
from socketio.asyncio_manager import AsyncManager

from bot.settings import Settings
from bot.shared_state.factory import namespace
from bot.shared_state.redis_clients import TIMEOUT_S

logger = logging.getLogger(__name__)


class JsonRedisManager(AsyncRedisManager):  # type: ignore[misc]
    name = "redis-json"

    async def _publish(self, data: Dict[str, Any]) -> Any:
        """Publishes, reconnecting once; then the error goes to whoever emitted (python-socketio's manager logs
        and drops it): an agent's reply that did not go out then fails at Rasa's API, and the reply outbox
        tries it again, instead of counting as delivered."""
        message = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        try:
            return await self.redis.publish(self.channel, message)
        except self._errors() as error:
            logger.error("socket.io: cannot publish on Redis channel %s (%s); reconnecting", self.channel, error)
        self._redis_connect()
        return await self.redis.publish(self.channel, message)

    async def _listen(self) -> AsyncIterator[Dict[str, Any]]:  # type: ignore[override]
        async for raw in super()._listen():
            try:
                data = json.loads(raw)
            except (ValueError, TypeError, RecursionError):
                logger.warning("socket.io: a message on Redis channel %s that is not JSON was ignored", self.channel)
                continue
            if isinstance(data, dict):
                yield data

    @staticmethod
    def _errors() -> tuple:
        from redis.exceptions import RedisError

        return RedisError, OSError


def socketio_manager(settings: Settings) -> Optional[AsyncManager]:
    """The client manager for the web chat's AsyncServer: Redis's in cluster mode, None (python-socketio's
    in-process default) otherwise."""
    if not settings.cluster:
        return None
    return JsonRedisManager(settings.redis_url, channel=namespace(settings, "socketio").rstrip(":"),
                            redis_options={"socket_connect_timeout": TIMEOUT_S})
