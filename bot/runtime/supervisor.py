"""Starts child processes in their own process groups and stops all of them together."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence


class StartupError(RuntimeError):
    """A child process exited or did not answer in time; the message says which."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen


class Supervisor:
    """Owns the servers of one run: nothing it started outlives it."""

    def __init__(self) -> None:
        self.children: List[Child] = []
        self._stopping = False

    def start(self, name: str, argv: Sequence[str], env: Dict[str, str], cwd: Path) -> Child:
        # A new session (process group) per child lets us signal the child and anything it spawned.
        process = subprocess.Popen(list(argv), env=env, cwd=str(cwd), start_new_session=True)
        child = Child(name, process)
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

    def wait_for_exit(self) -> Optional[Child]:
        """Blocks until a child exits on its own and returns it."""
        while True:
            for child in self.children:
                if child.process.poll() is not None:
                    return child
            time.sleep(0.5)

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


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
