"""Sliding windows of events per key ("at most N in the last T seconds"), for rate limits and the sign-in
throttle. An event may count under several keys at once (a sign-in counts for its username and for its
address): it is admitted only when every key is under the limit, and then counted under all of them.

Waits are whole seconds until the key may go again, None when it may go now. This module holds the
interface and the in-process implementation; Redis's is in `bot.shared_state.redis_windows`."""
from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable, Deque, Dict, Optional, Protocol, Sequence

DEFAULT_MAX_KEYS = 100_000  # keys remembered at most in memory (those with nothing in the window go first)


class Windows(Protocol):
    """Blocking interface, for code that is not async (the console's sign-in throttle)."""

    limit: int
    window_s: float

    def admit(self, *keys: str) -> Optional[int]:
        """None: under the limit for every key, and counted under each; else the wait (nothing counted)."""

    def retry_after(self, *keys: str) -> Optional[int]:
        """The wait before the keys may go again, None when they may go now; counts nothing."""

    def add(self, *keys: str) -> None:
        """Counts an event under each key, whatever the limit (beyond it, the oldest events are forgotten)."""

    def drop_latest(self, key: str) -> None:
        """Takes back the newest event of the key."""

    def clear(self, key: str) -> None:
        """Forgets every event of the key."""


class AsyncWindows(Protocol):
    """The same, for async code (the Rasa server's guards and channels)."""

    limit: int
    window_s: float

    async def admit(self, *keys: str) -> Optional[int]: ...

    async def retry_after(self, *keys: str) -> Optional[int]: ...

    async def add(self, *keys: str) -> None: ...

    async def drop_latest(self, key: str) -> None: ...

    async def clear(self, key: str) -> None: ...


def whole_seconds(wait_s: float) -> int:
    """A wait as the whole seconds a caller is told (at least 1: "now" is None, not 0)."""
    return max(1, math.ceil(wait_s))


class LocalWindows:
    """In this process's memory: the embedded default, where one process of each kind runs.

    What a caller sends is a key, so memory is bounded: idle keys are swept every `sweep_every` calls, and
    past `max_keys` keys the idle ones, then the longest-tracked, are forgotten."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = DEFAULT_MAX_KEYS, sweep_every: int = 1000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._sweep_every = sweep_every
        self._calls = 0
        self._events: Dict[str, Deque[float]] = {}

    def admit(self, *keys: str) -> Optional[int]:
        now = self._tick()
        wait = self._wait(keys, now)
        if wait is None:
            self._add(keys, now)
        return wait

    def retry_after(self, *keys: str) -> Optional[int]:
        return self._wait(keys, self._tick())

    def add(self, *keys: str) -> None:
        self._add(keys, self._tick())

    def drop_latest(self, key: str) -> None:
        events = self._events.get(key)
        if events:
            events.pop()

    def clear(self, key: str) -> None:
        self._events.pop(key, None)

    def tracked(self) -> int:
        """How many keys are remembered now."""
        return len(self._events)

    def _tick(self) -> float:
        now = self._clock()
        self._calls += 1
        if self._calls % self._sweep_every == 0:
            self._forget_idle(now)
        return now

    def _wait(self, keys: Sequence[str], now: float) -> Optional[int]:
        waits = []
        for key in keys:
            events = self._events.get(key)
            if not events:
                continue
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                waits.append(events[0] + self.window_s - now)
        return whole_seconds(max(waits)) if waits else None

    def _add(self, keys: Sequence[str], now: float) -> None:
        if len(self._events) + len(keys) > self._max_keys:
            self._forget_idle(now)
            excess = len(self._events) + len(keys) - self._max_keys * 9 // 10
            for key in list(self._events)[:max(0, excess)]:  # dicts keep insertion order: the oldest first
                del self._events[key]
        for key in keys:
            self._events.setdefault(key, deque(maxlen=self.limit)).append(now)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.window_s]:
            del self._events[key]


class AsyncLocalWindows:
    """LocalWindows behind the async interface (nothing to wait for: it is memory)."""

    def __init__(self, local: LocalWindows) -> None:
        self.local = local
        self.limit = local.limit
        self.window_s = local.window_s

    async def admit(self, *keys: str) -> Optional[int]:
        return self.local.admit(*keys)

    async def retry_after(self, *keys: str) -> Optional[int]:
        return self.local.retry_after(*keys)

    async def add(self, *keys: str) -> None:
        self.local.add(*keys)

    async def drop_latest(self, key: str) -> None:
        self.local.drop_latest(key)

    async def clear(self, key: str) -> None:
        self.local.clear(key)
