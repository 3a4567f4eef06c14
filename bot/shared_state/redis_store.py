"""The key-value store in Redis, shared by every replica. Keys carry the store's prefix (BOT_REDIS_PREFIX and
the owner's name); errors of the server come out as SharedStateUnavailable, for the owner to decide."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from bot.shared_state.redis_clients import key_part, redis_errors
from bot.shared_state.store import SharedStateUnavailable

if TYPE_CHECKING:
    import redis.asyncio

# Deletes KEYS[1] only when it holds ARGV[1] (releasing a lock that is still ours, not one taken since).
DELETE_IF_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisStore:
    def __init__(self, client: "redis.asyncio.Redis", prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._delete_if = client.register_script(DELETE_IF_SCRIPT)

    def _key(self, key: str) -> str:
        return self._prefix + key_part(key)

    async def get(self, key: str) -> Optional[str]:
        try:
            value = await self._client.get(self._key(key))
        except redis_errors() as error:
            raise SharedStateUnavailable(f"reading {self._key(key)} from Redis: {error}") from error
        return value.decode("utf-8") if isinstance(value, bytes) else value

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        try:
            await self._client.set(self._key(key), value, px=max(1, int(ttl_s * 1000)))
        except redis_errors() as error:
            raise SharedStateUnavailable(f"writing {self._key(key)} to Redis: {error}") from error

    async def put_new(self, key: str, value: str, ttl_s: float) -> bool:
        try:
            return bool(await self._client.set(self._key(key), value, px=max(1, int(ttl_s * 1000)), nx=True))
        except redis_errors() as error:
            raise SharedStateUnavailable(f"writing {self._key(key)} to Redis: {error}") from error

    async def delete(self, key: str, only_if: Optional[str] = None) -> bool:
        try:
            if only_if is None:
                return bool(await self._client.delete(self._key(key)))
            return bool(await self._delete_if(keys=[self._key(key)], args=[only_if]))
        except redis_errors() as error:
            raise SharedStateUnavailable(f"deleting {self._key(key)} in Redis: {error}") from error
