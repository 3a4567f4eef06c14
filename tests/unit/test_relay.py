"""What agents do reaches Rasa even when Rasa was down at the time: the relay retries from the database.
Rasa is played by a small local HTTP server that records the calls of Rasa's HTTP API."""
import asyncio
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.handoff.agents import AgentDirectory
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.rasa.http_api import RasaConversations
from bot.web.relay import ReplyRelay


async def fake_rasa(calls, state):
    async def events(request):
        if state["down"]:
            return web.Response(status=503, text="restarting")
        calls.append(("events", request.match_info["id"], await request.json(), dict(request.query)))
        return web.json_response({})

    async def execute(request):
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


def test_claim_reply_and_resolve_reach_rasa_after_it_comes_back(database):
    agents, queue = AgentDirectory(database), HandoffQueue(database)
    agent = agents.create("li", "小李", "password-1")
    handoff = queue.request(HandoffRequest("c1", "socketio", None, "zh", "regular", "calm", "explicit",
                                           {"summary": {"zh": "s"}}), available=True, now=datetime(2026, 11, 23))
    calls, state = [], {"down": True}

    async def scenario():
        runner, url = await fake_rasa(calls, state)
        async with aiohttp.ClientSession() as http:
            relay = ReplyRelay(queue, agents, RasaConversations(url, http))
            assert queue.claim(handoff.id, agent.id)
            assert await relay.sync_handoff(handoff.id)  # Rasa down: a warning, the step stays pending
            queue.add_reply(handoff.id, agent.id, "您好")
            assert await relay.deliver_pending() == 0
            assert [h.rasa_pending for h in queue.rasa_pending()] == ["claimed"]
            state["down"] = False
            await relay.sync_pending()
            assert await relay.deliver_pending() == 1
            queue.close(handoff.id, agent.id, "resolved")
            assert await relay.sync_handoff(handoff.id) is None
        await runner.cleanup()

    asyncio.run(scenario())
    assert queue.rasa_pending() == [] and queue.undelivered() == []
    kinds = [(c[0], c[2] if c[0] == "execute" else [e.get("event") for e in c[2]]) for c in calls]
    assert kinds == [
        ("events", ["pause", "slot", "slot"]), ("execute", "utter_handoff_agent_joined"), ("events", ["action"]),
        ("events", ["bot"]),
        ("events", ["resume", "slot", "slot", "slot"]), ("execute", "action_ask_satisfaction"), ("events", ["action"]),
    ]
    bot_event = calls[3][2][0]
    assert bot_event["text"] == "您好" and bot_event["metadata"]["agent"] == "小李"
    assert calls[3][3] == {"output_channel": "latest", "execute_side_effects": "true"}
