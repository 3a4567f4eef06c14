"""Failed console sign-ins counted per username and per client address: after `max_failures` within
the window, that username (from anywhere) or that address (for any username) must wait until the
oldest failure leaves the window.

The counts are sliding windows (`bot.shared_state.windows`), given by whoever builds the throttle: in this
process's memory by default (one web process), shared by every web server in cluster mode (bot/services.py
builds them in Redis, refusing sign-ins for UNAVAILABLE_WAIT_S when Redis cannot be reached: a sign-in may
wait, guessing must not go uncounted).

What a caller sends is not trusted as a key: a text that cannot be a username (too long, odd characters)
counts for the address only, an address is cut to the length of an IPv6 address, and in memory past
`_TRACKED_KEYS` keys with failures in the window the longest-tracked are forgotten, so a flood of made-up
names cannot fill the memory (in Redis every count expires with its window)."""
from __future__ import annotations

import time
from typing import Callable, Optional, Tuple

from bot.handoff.agents import is_username
from bot.shared_state.windows import LocalWindows, Windows

WINDOW_S = 15 * 60  # BOT_LOGIN_MAX_FAILURES is "per 15 minutes"
DEFAULT_MAX_FAILURES = 5  # the default of BOT_LOGIN_MAX_FAILURES
UNAVAILABLE_WAIT_S = 30  # the wait a sign-in is told when the shared counts cannot be read
_TRACKED_KEYS = 10_000  # usernames and addresses remembered at most in memory (idle ones go first)
_MAX_ADDRESS_CHARS = 45  # the longest textual IPv6 address


class LoginThrottle:
    def __init__(self, max_failures: int, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic, windows: Optional[Windows] = None) -> None:
        """`windows` counts the failures (at most `max_failures` in `window_s`); by default in this process."""
        self._windows: Windows = windows or LocalWindows(max_failures, window_s, clock, max_keys=_TRACKED_KEYS)

    @staticmethod
    def _keys(username: str, address: str) -> Tuple[str, ...]:
        """The counts an attempt touches: its address's, and its username's when it can be one (no agent
        has any other name, so guessing one cannot lock anybody out)."""
        address_key = "address:" + (address or "unknown")[:_MAX_ADDRESS_CHARS]
        name = (username or "").strip().lower()
        return ("username:" + name, address_key) if is_username(name) else (address_key,)

    def retry_after(self, username: str, address: str) -> Optional[int]:
        """Seconds to wait before this username or this address may try again; None: go ahead."""
        return self._windows.retry_after(*self._keys(username, address))

    def begin(self, username: str, address: str) -> Optional[int]:
        """Before a password is checked: the seconds to wait (the attempt is refused), or None; the attempt
        then counts as a failure until `succeeded` says otherwise, so a burst of guesses made side by side
        is counted as it arrives, not after the slow checks."""
        return self._windows.admit(*self._keys(username, address))

    def failed(self, username: str, address: str) -> None:
        self._windows.add(*self._keys(username, address))

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears the username's count, and takes back the address's count of this attempt
        (not its earlier failures: it may be guessing other usernames)."""
        *user_key, address_key = self._keys(username, address)
        for key in user_key:
            self._windows.clear(key)
        self._windows.drop_latest(address_key)

    def tracked(self) -> int:
        """How many usernames and addresses are remembered now (counts kept in this process only)."""
        windows = self._windows
        return windows.tracked() if isinstance(windows, LocalWindows) else 0
