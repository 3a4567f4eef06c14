"""A stand-in for Rasa's HTTP API (tracker events and execute), on a free local port: it records the
calls it gets, and answers 503 while ``state["down"]`` is true, as Rasa does while restarting."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from aiohttp import web


async def fake_rasa(calls: List[Tuple[Any, ...]], state: Dict[str, bool]) -> Tuple[web.AppRunner, str]:
    """Starts the stand-in; returns its runner (to clean up) and its base URL."""
    async def events(request: web.Request) -> web.Response:
        if state["down"]:
            return web.Response(status=503, text="restarting")
        calls.append(("events", request.match_info["id"], await request.json(), dict(request.query)))
        return web.json_response({})

    async def execute(request: web.Request) -> web.Response:
        if state["down"]:
            return web.Response(status=503, text="restarting")
        calls.append(("execute", request.match_info["id"], (await request.json())["name"], dict(request.query)))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", events)
    app.router.add_post("/conversations/{id}/execute", execute)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
