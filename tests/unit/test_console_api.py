"""The agent console's JSON API in process: the web app with its services, two agents with their own
session cookies, and the stand-in for Rasa's HTTP API. Status codes and fields are what the console's
JavaScript reads."""
import asyncio
from datetime import datetime

import aiohttp
from aiohttp.test_utils import TestServer

from bot.handoff.agents import AgentDirectory
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.services import Services
from bot.web.app import create_app
from tests.support.fake_rasa import fake_rasa

HANDOFF_FIELDS = {
    "id", "number", "conversation_id", "channel", "customer_id", "language", "tier", "reason", "summary", "status",
    "agent_id", "ticket_number", "base_priority", "created_at", "claimed_at", "closed_at", "callback_message",
    "rasa_pending", "priority", "waiting_s", "conversation_masked", "due_at", "overdue",
}


class Agent:
    """One agent's browser: its own cookie jar."""

    def __init__(self, server: TestServer) -> None:
        self._server = server
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, method, path, body=None, raw=None):
        """As the console's page calls: from its own origin, every POST with a JSON body."""
        headers = {"Origin": str(self._server.make_url("/").origin())}
        if method == "POST" and body is None and raw is None:
            body = {}
        if raw is not None:
            headers["Content-Type"] = "application/json"
        async with self._http.request(method, self._server.make_url(path), json=body, data=raw,
                                      headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def close(self):
        await self._http.close()


def test_console_api_over_http(database, tmp_settings):
    agents = AgentDirectory(database)
    agents.create("li", "小李", "password-1")
    agents.create("wang", "小王", "password-2")
    handoff = HandoffQueue(database).request(
        HandoffRequest("13812345678", "socketio", None, "zh", "vip", "angry", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=datetime(2026, 11, 23))
    base = f"/api/handoffs/{handoff.id}"
    calls, state = [], {"down": False}

    async def scenario():
        rasa, url = await fake_rasa(calls, state)
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1])))
        server = TestServer(create_app(services))
        await server.start_server()
        li, wang = Agent(server), Agent(server)
        try:
            # signing in
            assert await li.call("GET", "/api/overview") == (401, {"error": "sign in first"})
            assert (await li.call("POST", "/api/login", raw=b"not json"))[0] == 400
            assert (await li.call("POST", "/api/login", {"username": "li", "password": "wrong-one"}))[0] == 401
            status, body = await li.call("POST", "/api/login", {"username": "li", "password": "password-1"})
            assert status == 200 and body["agent"]["display_name"] == "小李" and body["agent"]["presence"] == "online"
            assert (await wang.call("POST", "/api/login", {"username": "wang", "password": "password-2"}))[0] == 200
            assert (await li.call("GET", "/api/me"))[1]["agent"]["username"] == "li"
            assert (await wang.call("POST", "/api/presence", {"presence": "asleep"}))[0] == 400
            assert await wang.call("POST", "/api/presence", {"presence": "away"}) == (200, {"presence": "away"})

            # reading
            status, overview = await li.call("GET", "/api/overview")
            assert status == 200 and set(overview) == {"queue", "mine", "callbacks", "team", "service", "satisfaction",
                                                 "summaries", "overdue_tickets"}
            card = overview["queue"][0]
            assert set(card) == HANDOFF_FIELDS and card["id"] == handoff.id
            assert card["created_at"] == "2026-11-23T00:00:00Z" and card["priority"] > card["base_priority"]
            assert card["conversation_masked"] == "138***678"
            assert overview["mine"] == [] and overview["satisfaction"] == {"ratings": 0, "average": None}
            assert {m["username"]: m["online"] for m in overview["team"]} == {"li": True, "wang": False}
            assert set(overview["service"]) == {"open", "hours", "agents_online"}
            assert (await li.call("GET", "/api/handoffs/999"))[0] == 404
            status, detail = await li.call("GET", base)
            assert status == 200 and set(detail["handoff"]) == HANDOFF_FIELDS
            assert detail["agent"] is None and detail["notes"] == [] and detail["undelivered"] == []
            assert detail["context"] == {"summary": {"zh": "s"}}
            assert (await li.call("GET", f"{base}/messages?after=x"))[0] == 400
            assert await li.call("GET", f"{base}/messages") == (200, {"messages": []})
            status, canned = await li.call("GET", "/api/canned")
            assert status == 200 and isinstance(canned["replies"], list)

            # claiming: one winner, the other learns who
            assert (await li.call("POST", f"{base}/reply", {"text": "您好"}))[0] == 403  # not claimed yet
            assert (await li.call("POST", "/api/handoffs/999/claim"))[0] == 404
            assert await li.call("POST", f"{base}/claim") == (200, {"claimed": True})
            assert await wang.call("POST", f"{base}/claim") == (
                409, {"error": "another agent already took this conversation", "owner": "小李"})
            assert [h["id"] for h in (await li.call("GET", "/api/overview"))[1]["mine"]] == [handoff.id]

            # replying and notes
            assert (await wang.call("POST", f"{base}/reply", {"text": "我来"}))[0] == 403
            assert (await li.call("POST", f"{base}/reply", {"text": "  "}))[0] == 400
            status, reply = await li.call("POST", f"{base}/reply", {"text": "您好，我是小李"})
            assert status == 201 and reply["delivered"] is True
            assert await wang.call("POST", f"{base}/note", {"text": "老客户"}) == (201, {"ok": True})
            assert (await wang.call("POST", f"{base}/note", {"text": " "}))[0] == 400
            status, detail = await li.call("GET", base)
            assert detail["agent"]["display_name"] == "小李" and detail["notes"][0]["text"] == "老客户"
            assert detail["notes"][0]["at"].endswith("Z")

            # Rasa away: stored, told later by the relay
            state["down"] = True
            status, late = await li.call("POST", f"{base}/reply", {"text": "已为您处理"})
            assert status == 201 and late["delivered"] is False
            assert (await li.call("GET", base))[1]["undelivered"] == [late["id"]]
            assert (await wang.call("POST", f"{base}/resolve"))[0] == 403
            status, closed = await li.call("POST", f"{base}/resolve")
            assert status == 200 and closed["status"] == "resolved" and closed["warning"]
            state["down"] = False
            for _ in range(60):
                await asyncio.sleep(0.1)
                told = [c[2] for c in calls if c[0] == "execute"][-1:] == ["action_ask_satisfaction"]
                if told and not (await li.call("GET", base))[1]["undelivered"]:
                    break
            assert (await li.call("GET", base))[1]["undelivered"] == []
            assert (await li.call("POST", f"{base}/return"))[0] == 403  # closed: no longer theirs

            # signing out
            assert await li.call("POST", "/api/logout") == (200, {"ok": True})
            assert (await li.call("GET", "/api/me"))[0] == 401
        finally:
            await li.close()
            await wang.close()
            await server.close()
            await rasa.cleanup()
            services.database.engine.dispose()

    asyncio.run(scenario())
    executed = [c[2] for c in calls if c[0] == "execute"]
    assert executed == ["action_agent_joined", "action_ask_satisfaction"]
    said = [c[2][0]["text"] for c in calls if c[0] == "events" and c[2][0]["event"] == "bot"]
    assert said == ["您好，我是小李", "已为您处理"]  # the last words before the survey


def test_ids_no_database_row_can_have_are_not_found(database, tmp_settings):
    """A handoff or agent id past a 64-bit integer would overflow the database: 404 (and 400 for `after`),
    never a 500."""
    agents = AgentDirectory(database)
    agents.create("boss", "老板", "password-0", role="admin")
    huge = "9" * 30

    async def scenario():
        rasa, url = await fake_rasa([], {"down": False})
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1])))
        server = TestServer(create_app(services))
        await server.start_server()
        boss = Agent(server)
        try:
            assert (await boss.call("POST", "/api/login", {"username": "boss", "password": "password-0"}))[0] == 200
            for method, path in (("GET", f"/api/handoffs/{huge}"), ("GET", f"/api/handoffs/{huge}/messages"),
                                 ("POST", f"/api/handoffs/{huge}/claim"), ("GET", f"/api/handoffs/{2**63}"),
                                 ("POST", f"/api/admin/agents/{huge}/deactivate")):
                assert (await boss.call(method, path))[0] == 404, path
            assert (await boss.call("GET", f"/api/handoffs/0"))[0] == 404
            status, body = await boss.call("GET", f"/api/handoffs/1/messages?after={huge}")
            assert status == 400 and "after" in body["error"]
        finally:
            await boss.close()
            await server.close()
            await rasa.cleanup()
            services.database.engine.dispose()

    asyncio.run(scenario())
