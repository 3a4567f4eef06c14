"""A stand-in for Rasa's HTTP API (tracker events, execute, and the tracker), on a free local port: it
records the calls it gets (not the tracker reads) and the bot events it accepted, per conversation.
It answers 503 while ``state["down"]`` is true, as Rasa does while restarting, and 400 for the
conversations in ``state["refuse"]`` (a conversation Rasa will never take a message for)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from aiohttp import web


async def fake_rasa(calls: List[Tuple[Any, ...]], state: Dict[str, Any]) -> Tuple[web.AppRunner, str]:
    """Starts the stand-in; returns its runner (to clean up) and its base URL."""
    trackers: Dict[str, List[Dict[str, Any]]] = state.setdefault("trackers", {})

    def refusal(request: web.Request) -> web.Response:
        if state.get("down"):
            return web.Response(status=503, text="restarting")
        if request.match_info["id"] in state.get("refuse", ()):
            return web.json_response({"status": "failure", "reason": "BadRequest",
                                      "message": "this conversation takes no messages"}, status=400)
        return None

    async def events(request: web.Request) -> web.Response:
        refused = refusal(request)
        if refused is not None:
            return refused
        body = await request.json()
        calls.append(("events", request.match_info["id"], body, dict(request.query)))
        trackers.setdefault(request.match_info["id"], []).extend(body if isinstance(body, list) else [body])
        return web.json_response({})

    async def execute(request: web.Request) -> web.Response:
        refused = refusal(request)
        if refused is not None:
            return refused
        calls.append(("execute", request.match_info["id"], (await request.json())["name"], dict(request.query)))
        return web.json_response({})

    async def tracker(request: web.Request) -> web.Response:
        if state.get("down"):
            return web.Response(status=503, text="restarting")
        conversation = request.match_info["id"]
        return web.json_response({"sender_id": conversation, "events": trackers.get(conversation, [])})

    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", events)
    app.router.add_post("/conversations/{id}/execute", execute)
    app.router.add_get("/conversations/{id}/tracker", tracker)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
