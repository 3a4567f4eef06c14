"""Starts child processes in their own process groups, restarts one that crashes (with backoff, logged
and counted), and stops all of them together. Only a child that keeps crashing (MAX_CRASHES within
CRASH_WINDOW_S) makes the supervisor give up, and then it stops everything."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Deque, Dict, List, Optional, Sequence

logger = logging.getLogger(__name__)

# A crashed child is restarted after 1, 2, 4 … seconds (at most BACKOFF_CAP_S), the delay growing with its
# crashes in the window; the MAX_CRASHES-th crash within CRASH_WINDOW_S stops the run.
FIRST_BACKOFF_S = 1.0
BACKOFF_CAP_S = 30.0
MAX_CRASHES = 5
CRASH_WINDOW_S = 300.0


class StartupError(RuntimeError):
    """A child process exited or did not answer in time; the message says which."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    argv: List[str] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)
    cwd: Optional[Path] = None
    restarts: int = 0
    crashes: Deque[float] = field(default_factory=deque)  # monotonic times of crashes within the window
    restart_at: Optional[float] = None  # set while a restart is pending


def backoff_s(crashes_in_window: int, first_s: float = FIRST_BACKOFF_S, cap_s: float = BACKOFF_CAP_S) -> float:
    """The wait before restarting a child with this many recent crashes: 1, 2, 4 … seconds, capped."""
    return min(cap_s, first_s * 2 ** max(0, crashes_in_window - 1))


class Supervisor:
    """Owns the servers of one run: nothing it started outlives it."""

    def __init__(self, max_crashes: int = MAX_CRASHES, crash_window_s: float = CRASH_WINDOW_S,
                 first_backoff_s: float = FIRST_BACKOFF_S, backoff_cap_s: float = BACKOFF_CAP_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.children: List[Child] = []
        self._stopping = False
        self.max_crashes = max_crashes
        self.crash_window_s = crash_window_s
        self._first_backoff_s = first_backoff_s
        self._backoff_cap_s = backoff_cap_s
        self._clock = clock

    def start(self, name: str, argv: Sequence[str], env: Dict[str, str], cwd: Path) -> Child:
        child = Child(name, _spawn(argv, env, cwd), list(argv), dict(env), cwd)
        self.children.append(child)
        return child

    def wait_until_ready(self, child: Child, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StartupError(f"{child.name} exited with code {child.process.returncode} while starting")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status < 500:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        raise StartupError(f"{child.name} did not answer at {url} within {timeout_s:.0f} s")

    def install_signal_handlers(self) -> None:
        """Ctrl-C, SIGTERM and SIGHUP stop the run. Only the first one interrupts: a second Ctrl-C (or the
        same signal sent to the whole process group) must not break off the bounded shutdown in stop_all."""
        interrupted = False

        def handle(signum: int, _frame: object) -> None:
            nonlocal interrupted
            if interrupted:
                return
            interrupted = True
            raise KeyboardInterrupt(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, handle)

    def supervise(self, poll_s: float = 0.5) -> Child:
        """Keeps the children running until one crashes too often; returns that one (the caller stops all)."""
        while True:
            given_up = self.check()
            if given_up is not None:
                return given_up
            time.sleep(poll_s)

    def check(self) -> Optional[Child]:
        """One round: notes children that exited, restarts those whose backoff is over. Returns a child that
        crashed MAX_CRASHES times within the window (nothing is restarted then)."""
        if self._stopping:
            return None
        now = self._clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._restart(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            child.crashes.append(now)
            while child.crashes and child.crashes[0] <= now - self.crash_window_s:
                child.crashes.popleft()
            if len(child.crashes) >= self.max_crashes:
                logger.error("%s exited with code %s: %d crashes within %.0f s, giving up", child.name, code,
                             len(child.crashes), self.crash_window_s)
                return child
            delay = backoff_s(len(child.crashes), self._first_backoff_s, self._backoff_cap_s)
            logger.warning("%s exited with code %s (crash %d within %.0f s); restarting in %.0f s",
                           child.name, code, len(child.crashes), self.crash_window_s, delay)
            _signal_group(child.process, signal.SIGKILL)  # whatever it left behind, before the port is reused
            child.restart_at = now + delay
        return None

    def _restart(self, child: Child) -> None:
        child.restart_at = None
        try:
            child.process = _spawn(child.argv, child.env, child.cwd or Path.cwd())
        except OSError as error:  # counts as one more crash at the next check
            logger.error("%s could not be restarted: %s", child.name, error)
            return
        child.restarts += 1
        logger.warning("%s restarted (pid %d, restart %d of this run)", child.name, child.process.pid,
                       child.restarts)

    def stop_all(self, timeout_s: float = 15.0) -> None:
        if self._stopping:
            return
        self._stopping = True
        for child in reversed(self.children):
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                pass
            # Kill whatever is left in the group, including grandchildren (Sanic workers).
            _signal_group(child.process, signal.SIGKILL)
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _spawn(argv: Sequence[str], env: Dict[str, str], cwd: Path) -> subprocess.Popen:
    # A new session (process group) per child lets us signal the child and anything it spawned.
    return subprocess.Popen(list(argv), env=env, cwd=str(cwd), start_new_session=True)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
