"""The one place that picks where shared state lives: in the process (the embedded default) or in Redis
(cluster mode, BOT_REDIS_URL set). Each owner names its state ("rate:sender", "login", "wechat"…); in Redis
its keys are "<BOT_REDIS_PREFIX><name>:<key>"."""
from __future__ import annotations

from typing import Optional

from bot.settings import Settings
from bot.shared_state.store import KeyValueStore, LocalStore
from bot.shared_state.windows import DEFAULT_MAX_KEYS, AsyncLocalWindows, AsyncWindows, LocalWindows, Windows


def namespace(settings: Settings, name: str) -> str:
    """The prefix of one owner's keys in Redis."""
    return f"{settings.redis_prefix}{name}:"


def shared_windows(settings: Settings, name: str, limit: int, window_s: float,
                   when_unavailable: Optional[int] = None, max_keys: int = DEFAULT_MAX_KEYS) -> Windows:
    """Blocking windows. When Redis cannot be reached: admitted (None) or refused with that wait in seconds."""
    if not settings.cluster:
        return LocalWindows(limit, window_s, max_keys=max_keys)
    from bot.shared_state.redis_clients import blocking_client
    from bot.shared_state.redis_windows import RedisWindows

    return RedisWindows(blocking_client(settings.redis_url), namespace(settings, name), limit, window_s,
                        when_unavailable)


def shared_async_windows(settings: Settings, name: str, limit: int, window_s: float,
                         max_keys: int = DEFAULT_MAX_KEYS) -> AsyncWindows:
    """Async windows for rate limits: when Redis cannot be reached they admit (and log it), so customers are
    not locked out by a hiccup."""
    if not settings.cluster:
        return AsyncLocalWindows(LocalWindows(limit, window_s, max_keys=max_keys))
    from bot.shared_state.redis_clients import async_client
    from bot.shared_state.redis_windows import AsyncRedisWindows

    return AsyncRedisWindows(async_client(settings.redis_url), namespace(settings, name), limit, window_s)


def shared_store(settings: Settings, name: str) -> KeyValueStore:
    if not settings.cluster:
        return LocalStore()
    from bot.shared_state.redis_clients import async_client
    from bot.shared_state.redis_store import RedisStore

    return RedisStore(async_client(settings.redis_url), namespace(settings, name))
