"""A small key-value store with expiry, for values every replica must see alike (WeChat's access token) and
short locks between replicas (`put_new` succeeds for one caller only). This module holds the interface and
the in-process implementation; Redis's is in `bot.shared_state.redis_store`."""
from __future__ import annotations

import time
from typing import Callable, Dict, Optional, Protocol, Tuple


class SharedStateUnavailable(RuntimeError):
    """The shared store cannot be reached (Redis is down or too slow); the message says what failed."""


class KeyValueStore(Protocol):
    async def get(self, key: str) -> Optional[str]:
        """The value, None when there is none or it expired."""

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        """Sets the value, to expire after `ttl_s` seconds."""

    async def put_new(self, key: str, value: str, ttl_s: float) -> bool:
        """Sets the value only when the key has none; True when this call set it (a lock taken)."""

    async def delete(self, key: str, only_if: Optional[str] = None) -> bool:
        """Removes the key (only when it holds `only_if`, if given: a lock released by its holder only)."""


class LocalStore:
    """In this process's memory: the embedded default. Expired values are dropped when read or written."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: Dict[str, Tuple[str, float]] = {}

    async def get(self, key: str) -> Optional[str]:
        found = self._values.get(key)
        if found is None:
            return None
        if found[1] <= self._clock():
            del self._values[key]
            return None
        return found[0]

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        now = self._clock()
        self._values = {k: v for k, v in self._values.items() if v[1] > now}
        self._values[key] = (value, now + ttl_s)

    async def put_new(self, key: str, value: str, ttl_s: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, value, ttl_s)
        return True

    async def delete(self, key: str, only_if: Optional[str] = None) -> bool:
        current = await self.get(key)
        if current is None or (only_if is not None and current != only_if):
            return False
        del self._values[key]
        return True
