"""Sliding windows in Redis, shared by every replica: one sorted set per key, each event a member scored by
its time in milliseconds, trimmed to the window and to the limit, expiring with the window. Checking and
counting happen in one Lua script, so two replicas admitting at the same moment cannot both take the last
place. Times come from the caller's clock (replicas run NTP-synchronised clocks, as the lock store needs).

When Redis cannot be reached the window does what its owner chose: `when_unavailable=None` admits (fail
open: customers are not locked out by a hiccup), a number of seconds refuses with that wait (fail closed:
the console's sign-in). Either way the error is logged."""
from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, List, Optional

from bot.shared_state.redis_clients import key_part, redis_errors
from bot.shared_state.windows import whole_seconds

if TYPE_CHECKING:
    import redis
    import redis.asyncio

logger = logging.getLogger(__name__)

# KEYS: the windows. ARGV: mode ("admit", "peek" or "add"), now (ms), window (ms), limit, the event's member.
# Returns the wait in ms before every key is under its limit again (0: it is now; for "admit", counted).
WINDOW_SCRIPT = """
local mode, now, window, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if mode == 'peek' or (mode == 'admit' and wait > 0) then
  return wait
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('ZREMRANGEBYRANK', key, 0, -(limit + 1))
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class _RedisWindowsBase:
    def __init__(self, prefix: str, limit: int, window_s: float, when_unavailable: Optional[int] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self._prefix = prefix
        self._when_unavailable = when_unavailable
        self._clock = clock

    def _keys(self, keys: tuple) -> List[str]:
        return [self._prefix + key_part(key) for key in keys]

    def _args(self, mode: str) -> List[Any]:
        return [mode, int(self._clock() * 1000), int(self.window_s * 1000), self.limit, uuid.uuid4().hex]

    @staticmethod
    def _wait(wait_ms: Any) -> Optional[int]:
        return whole_seconds(int(wait_ms) / 1000) if int(wait_ms) > 0 else None

    def _unavailable(self, what: str, error: BaseException) -> Optional[int]:
        outcome = ("admitted" if self._when_unavailable is None
                   else f"refused for {self._when_unavailable} s")
        logger.error("shared window %s: Redis unavailable (%s: %s); %s %s", self._prefix, type(error).__name__,
                     error, what, outcome)
        return self._when_unavailable


class RedisWindows(_RedisWindowsBase):
    """Blocking client (the console's sign-in throttle, which is not async)."""

    def __init__(self, client: "redis.Redis", prefix: str, limit: int, window_s: float,
                 when_unavailable: Optional[int] = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(prefix, limit, window_s, when_unavailable, clock)
        self._client = client
        self._script = client.register_script(WINDOW_SCRIPT)

    def admit(self, *keys: str) -> Optional[int]:
        try:
            return self._wait(self._script(keys=self._keys(keys), args=self._args("admit")))
        except redis_errors() as error:
            return self._unavailable("event", error)

    def retry_after(self, *keys: str) -> Optional[int]:
        try:
            return self._wait(self._script(keys=self._keys(keys), args=self._args("peek")))
        except redis_errors() as error:
            return self._unavailable("check", error)

    def add(self, *keys: str) -> None:
        try:
            self._script(keys=self._keys(keys), args=self._args("add"))
        except redis_errors() as error:
            self._unavailable("count", error)

    def drop_latest(self, key: str) -> None:
        try:
            self._client.zpopmax(self._keys((key,))[0])
        except redis_errors() as error:
            self._unavailable("take-back", error)

    def clear(self, key: str) -> None:
        try:
            self._client.delete(self._keys((key,))[0])
        except redis_errors() as error:
            self._unavailable("clearing", error)


class AsyncRedisWindows(_RedisWindowsBase):
    """asyncio client (the Rasa server's guards and the web chat)."""

    def __init__(self, client: "redis.asyncio.Redis", prefix: str, limit: int, window_s: float,
                 when_unavailable: Optional[int] = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(prefix, limit, window_s, when_unavailable, clock)
        self._client = client
        self._script = client.register_script(WINDOW_SCRIPT)

    async def admit(self, *keys: str) -> Optional[int]:
        try:
            return self._wait(await self._script(keys=self._keys(keys), args=self._args("admit")))
        except redis_errors() as error:
            return self._unavailable("event", error)

    async def retry_after(self, *keys: str) -> Optional[int]:
        try:
            return self._wait(await self._script(keys=self._keys(keys), args=self._args("peek")))
        except redis_errors() as error:
            return self._unavailable("check", error)

    async def add(self, *keys: str) -> None:
        try:
            await self._script(keys=self._keys(keys), args=self._args("add"))
        except redis_errors() as error:
            self._unavailable("count", error)

    async def drop_latest(self, key: str) -> None:
        try:
            await self._client.zpopmax(self._keys((key,))[0])
        except redis_errors() as error:
            self._unavailable("take-back", error)

    async def clear(self, key: str) -> None:
        try:
            await self._client.delete(self._keys((key,))[0])
        except redis_errors() as error:
            self._unavailable("clearing", error)
