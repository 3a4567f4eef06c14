"""Clients of the Redis server of cluster mode (BOT_REDIS_URL). A call waits at most TIMEOUT_S: the state
kept there is checked on a customer's or an agent's path, which must not hang on a Redis hiccup."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING, Tuple, Type

if TYPE_CHECKING:
    import redis
    import redis.asyncio

TIMEOUT_S = 1.0
_LONGEST_KEY_PART = 128  # longer parts of a key (made-up names, long conversation ids) are hashed


@lru_cache(maxsize=None)
def blocking_client(url: str) -> "redis.Redis":
    """One client per process and URL (its connection pool is thread-safe)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                health_check_interval=30)


def async_client(url: str) -> "redis.asyncio.Redis":
    """A new asyncio client: its connections belong to the event loop that first uses them, so each user
    makes its own inside the process's one loop (connections are opened on first use)."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                        health_check_interval=30)


def redis_errors() -> Tuple[Type[BaseException], ...]:
    """What a Redis call raises when the server cannot be reached or answers with an error."""
    from redis.exceptions import RedisError

    return RedisError, OSError


def key_part(text: str) -> str:
    """A caller's text as part of a key: as it is when short, else its hash (keys stay small whatever is sent)."""
    if len(text) <= _LONGEST_KEY_PART:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
