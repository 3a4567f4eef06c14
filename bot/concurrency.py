"""Running blocking work (database calls, requests-based SDKs) from async code without stalling the loop."""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import Executor
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")


async def run_blocking(fn: Callable[..., T], *args: Any, executor: Optional[Executor] = None, **kwargs: Any) -> T:
    """Runs `fn(*args, **kwargs)` on an executor (the loop's default one unless given) and awaits it."""
    call = functools.partial(fn, *args, **kwargs) if kwargs else functools.partial(fn, *args)
    return await asyncio.get_running_loop().run_in_executor(executor, call)
