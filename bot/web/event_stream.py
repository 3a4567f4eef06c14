"""GET /api/stream: the console's live events as server-sent events (`EventSource` in console.js), so the
console asks for the overview or a conversation when something changed, and polls only slowly besides.

Each event is one line of JSON naming what changed (`bot.handoff.live_events`), never what it says. A comment
line every `heartbeat_s` keeps proxies from closing a quiet stream; at the same time the agent's session is
checked (and counts as the console's heartbeat): a session that ended ends the stream with `signed-out`."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web

from bot.handoff.live_events import LiveHub, LocalBroadcaster
from bot.settings import Settings

logger = logging.getLogger(__name__)

LIVE_HUB = web.AppKey("live_hub", object)
HEARTBEAT_S = 15.0
RECONNECT_MS = 3000  # how soon the browser reconnects a dropped stream


def live_hub(settings: Settings) -> LiveHub:
    """Redis pub/sub in cluster mode (every web server hears every event), else this process's broadcaster."""
    if settings.cluster:
        from bot.web.live_redis import RedisLiveHub

        return RedisLiveHub(settings.redis_url, f"{settings.redis_prefix}console-events")
    return LocalBroadcaster()


def _frame(kind: str, data: str) -> bytes:
    return f"event: {kind}\ndata: {data}\n\n".encode("utf-8")


async def event_stream(request: web.Request, hub: LiveHub, still_signed_in: Callable[[], Awaitable[bool]],
                       heartbeat_s: float = HEARTBEAT_S) -> web.StreamResponse:
    """Streams the hub's events to one console until the client goes, the session ends or the server stops."""
    subscription = hub.subscribe()
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",  # nginx passes each event on at once
    })
    try:
        await response.prepare(request)
        await response.write(f"retry: {RECONNECT_MS}\n".encode() + _frame("ready", "{}"))
        loop = asyncio.get_running_loop()
        checked_at = loop.time()
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), heartbeat_s)
            except asyncio.TimeoutError:
                event = None
                timed_out = True
            else:
                timed_out = False
                if event is None:  # the server is stopping
                    break
                await response.write(_frame(event.kind, event.to_json()))
            if loop.time() - checked_at >= heartbeat_s:
                checked_at = loop.time()
                if not await still_signed_in():
                    await response.write(_frame("signed-out", "{}"))
                    break
            if timed_out:
                await response.write(b": still here\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the console went away
    finally:
        subscription.close()
    return response
