"""Failed console sign-ins counted per username and per client address: after `max_failures` within
the window, that username (from anywhere) or that address (for any username) must wait until the
oldest failure leaves the window. Counted in this process's memory: the console has one web process.

What a caller sends is not trusted as a key: a text that cannot be a username (too long, odd characters)
counts for the address only, an address is cut to the length of an IPv6 address, and past `_TRACKED_KEYS`
keys with failures in the window the longest-tracked are forgotten, so a flood of made-up names cannot
fill the memory."""
from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable, Deque, Dict, Optional, Tuple

from bot.handoff.agents import is_username

WINDOW_S = 15 * 60  # BOT_LOGIN_MAX_FAILURES is "per 15 minutes"
DEFAULT_MAX_FAILURES = 5  # the default of BOT_LOGIN_MAX_FAILURES
_TRACKED_KEYS = 10_000  # usernames and addresses remembered at most (those with nothing in the window go first)
_MAX_ADDRESS_CHARS = 45  # the longest textual IPv6 address

Key = Tuple[str, str]


class LoginThrottle:
    def __init__(self, max_failures: int, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._failures: Dict[Key, Deque[float]] = {}

    @staticmethod
    def _keys(username: str, address: str) -> Tuple[Key, ...]:
        """The counts an attempt touches: its address's, and its username's when it can be one (no agent
        has any other name, so guessing one cannot lock anybody out)."""
        address_key = ("address", (address or "unknown")[:_MAX_ADDRESS_CHARS])
        name = (username or "").strip().lower()
        return (("username", name), address_key) if is_username(name) else (address_key,)

    def retry_after(self, username: str, address: str) -> Optional[int]:
        """Seconds to wait before this username or this address may try again; None: go ahead."""
        now = self._clock()
        waits = []
        for key in self._keys(username, address):
            failures = self._recent(key, now)
            if len(failures) >= self._max:
                waits.append(failures[0] + self._window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def begin(self, username: str, address: str) -> Optional[int]:
        """Before a password is checked: the seconds to wait (the attempt is refused), or None; the attempt
        then counts as a failure until `succeeded` says otherwise, so a burst of guesses made side by side
        is counted as it arrives, not after the slow checks."""
        wait = self.retry_after(username, address)
        if wait is None:
            self.failed(username, address)
        return wait

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        keys = self._keys(username, address)
        if len(self._failures) + len(keys) > _TRACKED_KEYS:
            self._forget_old(now)
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=self._max)).append(now)

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears the username's count, and takes back the address's count of this attempt
        (not its earlier failures: it may be guessing other usernames)."""
        *user_key, address_key = self._keys(username, address)
        for key in user_key:
            self._failures.pop(key, None)
        failures = self._failures.get(address_key)
        if failures:
            failures.pop()

    def tracked(self) -> int:
        """How many usernames and addresses are remembered now."""
        return len(self._failures)

    def _recent(self, key: Key, now: float) -> Deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def _forget_old(self, now: float) -> None:
        """Forgets the keys with nothing in the window; if that is not enough, the longest-tracked ones."""
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self._window]:
            del self._failures[key]
        excess = len(self._failures) - _TRACKED_KEYS * 9 // 10
        for key in list(self._failures)[:max(0, excess)]:  # dicts keep insertion order: the oldest first
            del self._failures[key]
