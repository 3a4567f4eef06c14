"""The agent console against hostile or unlucky use, over HTTP: the web server on a free port with its
services and database, Rasa played by the local stand-in of its HTTP API (no model needed).

Cross-site requests refused, sign-in throttled and as slow for unknown usernames as for known ones and
never starving the other calls, the admin role enforced (deactivation included), the console's own CSP,
and agents' replies that cannot be delivered: shown as failed, holding up no other conversation, never
retried forever, never sent twice."""
import asyncio
import statistics
import time
from datetime import datetime
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, make_mocked_request

from bot.handoff.agents import AgentDirectory
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.services import Services
from bot.storage.database import create_database
from bot.storage.migrations import migrate
from bot.web.app import create_app
from bot.web.console_api import cross_site_refusal
from tests.support.fake_rasa import fake_rasa


class Browser:
    """One agent's browser on the console: its own cookies; calls as the console's page makes them unless
    told otherwise (another origin, another body, another client address behind our proxy)."""

    def __init__(self, server: TestServer, address: str = "") -> None:
        self._server = server
        self.origin = str(server.make_url("/").origin())
        self.address = address
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, method, path, body=None, origin=None, raw=None, content_type=None, address=None):
        headers = {"Origin": origin if origin is not None else self.origin}
        if not headers["Origin"]:
            del headers["Origin"]
        if address or self.address:
            headers["X-Forwarded-For"] = address or self.address
        if method == "POST" and body is None and raw is None:
            body = {}
        if raw is not None:
            headers["Content-Type"] = content_type or "application/json"
        async with self._http.request(method, self._server.make_url(path), json=body if raw is None else None,
                                      data=raw, headers=headers) as response:
            return response.status, await response.json(content_type=None), response.headers

    async def login(self, username, password, **kwargs):
        return await self.call("POST", "/api/login", {"username": username, "password": password}, **kwargs)

    async def close(self):
        await self._http.close()


def run_console(tmp_settings, scenario, state=None, **overrides):
    """Runs `scenario(server, calls, state, services)` with the console's web server and a stand-in Rasa."""
    calls, state = [], state if state is not None else {"down": False}

    async def main():
        rasa, url = await fake_rasa(calls, state)
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1]), **overrides))
        server = TestServer(create_app(services))
        await server.start_server()
        try:
            await scenario(server, calls, state, services)
        finally:
            await server.close()
            await rasa.cleanup()
            services.database.engine.dispose()

    asyncio.run(main())
    return calls


def queued(database, conversation, context=None):
    return HandoffQueue(database).request(
        HandoffRequest(conversation, "socketio", None, "zh", "regular", "calm", "explicit",
                       context or {"summary": {"zh": "s"}}),
        available=True, now=datetime(2026, 11, 23))


@pytest.fixture
def database(tmp_settings):
    """The web server's database (the test's settings), with the current schema."""
    db = create_database(tmp_settings.database_url)
    migrate(db.engine)
    yield db
    db.engine.dispose()


@pytest.fixture
def team(database):
    agents = AgentDirectory(database)
    return {"boss": agents.create("boss", "老板", "boss-password", role="admin"),
            "li": agents.create("li", "小李", "li-password"),
            "wang": agents.create("wang", "小王", "wang-password")}


# the pages ------------------------------------------------------------------------------------
def test_the_console_is_served_with_its_own_strict_policy(tmp_settings, database):
    async def scenario(server, _calls, _state, _services):
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/console/")) as page:
                headers = page.headers
            async with http.get(server.make_url("/")) as store:
                store_policy = store.headers["Content-Security-Policy"]
            async with http.get(server.make_url("/static/console.js")) as script:
                assert script.headers["X-Content-Type-Options"] == "nosniff"
        policy = headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy and "script-src 'self';" in policy
        for directive in ("default-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
            assert directive in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        script_src = next(d for d in store_policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src

    run_console(tmp_settings, scenario)


# cross-site requests --------------------------------------------------------------------------
def test_cross_origin_and_non_json_posts_are_refused(tmp_settings, database, team):
    handoff = queued(database, "web:c1")

    async def scenario(server, _calls, _state, _services):
        li = Browser(server)
        try:
            status, body, _ = await li.login("li", "li-password", origin="http://evil.example")
            assert status == 403 and "another origin" in body["error"]
            assert (await li.login("li", "li-password", origin=""))[0] == 403  # no Origin at all
            form = await li.call("POST", "/api/login", raw=b"username=li&password=li-password",
                                 content_type="application/x-www-form-urlencoded")
            assert form[0] == 403 and "JSON" in form[1]["error"]
            plain = await li.call("POST", "/api/login", raw=b'{"username": "li", "password": "li-password"}',
                                  content_type="text/plain")
            assert plain[0] == 403
            assert (await li.login("li", "li-password"))[0] == 200  # from the console's own page

            claim = f"/api/handoffs/{handoff.id}/claim"
            assert (await li.call("POST", claim, origin="http://evil.example"))[0] == 403
            assert (await li.call("POST", claim, raw=b"", content_type="application/x-www-form-urlencoded"))[0] == 403
            assert HandoffQueue(database).get(handoff.id).status == "queued"  # nothing happened
            assert (await li.call("POST", claim))[0] == 200
        finally:
            await li.close()

    run_console(tmp_settings, scenario)


def test_proxy_headers_count_only_from_this_machine():
    web_url = "http://127.0.0.1:8000"

    def post(remote, headers):
        transport = mock.Mock()
        transport.get_extra_info.side_effect = lambda name, default=None: (remote, 4321) if name == "peername" \
            else default
        return make_mocked_request("POST", "/api/login", headers={"Host": "10.1.1.1:8000",
                                                                   "Content-Type": "application/json", **headers},
                                   transport=transport)

    behind_proxy = {"Origin": "https://console.example", "X-Forwarded-Proto": "https",
                    "X-Forwarded-Host": "console.example"}
    assert cross_site_refusal(post("127.0.0.1", behind_proxy), web_url) is None
    assert cross_site_refusal(post("203.0.113.9", behind_proxy), web_url) is not None  # said by anyone else
    assert cross_site_refusal(post("203.0.113.9", {"Origin": "http://10.1.1.1:8000"}), web_url) is None
    assert cross_site_refusal(post("203.0.113.9", {"Origin": "http://127.0.0.1:8000"}), web_url) is None
    assert cross_site_refusal(post("203.0.113.9", {"Origin": "null"}), web_url) is not None


# signing in -----------------------------------------------------------------------------------
def test_sign_in_is_throttled_per_username_and_per_address(tmp_settings, database, team):
    async def scenario(server, _calls, _state, _services):
        guesser = Browser(server)
        try:
            for n in range(3):  # one username guessed from three addresses
                assert (await guesser.login("li", f"guess-{n}", address=f"198.51.100.{n}"))[0] == 401
            status, body, headers = await guesser.login("li", "li-password", address="198.51.100.99")
            assert status == 429 and "too many" in body["error"]
            assert 800 < int(headers["Retry-After"]) <= 900 and body["retry_after"] == int(headers["Retry-After"])
            for name in ("a1", "a2", "a3"):  # one address guessing three usernames
                assert (await guesser.login(name, "whatever-1", address="203.0.113.7"))[0] == 401
            assert (await guesser.login("wang", "wang-password", address="203.0.113.7"))[0] == 429
            assert (await guesser.login("wang", "wang-password", address="203.0.113.8"))[0] == 200
        finally:
            await guesser.close()

    run_console(tmp_settings, scenario, login_max_failures=3)


def test_unknown_usernames_take_as_long_as_known_ones(tmp_settings, database, team):
    async def scenario(server, _calls, _state, _services):
        browser = Browser(server)
        try:
            async def timed(username, n):
                started = time.perf_counter()
                status, _, _ = await browser.login(username, "wrong-password", address=f"192.0.2.{n}")
                assert status == 401
                return time.perf_counter() - started

            await timed("nobody-0", 0)  # warm-up (the dummy hash is made once)
            known, unknown = [], []
            for n in range(1, 8):
                known.append(await timed("li", n))
                unknown.append(await timed(f"nobody-{n}", 100 + n))
            ratio = statistics.median(unknown) / statistics.median(known)
            assert 0.5 <= ratio <= 1.5, f"unknown/known sign-in time {ratio:.2f}"
        finally:
            await browser.close()

    run_console(tmp_settings, scenario, login_max_failures=50)


def test_a_sign_in_flood_does_not_starve_the_other_console_calls(tmp_settings, database, team):
    async def scenario(server, _calls, _state, _services):
        li, flood = Browser(server), Browser(server)
        try:
            assert (await li.login("li", "li-password"))[0] == 200
            attempts = [asyncio.ensure_future(flood.login(f"nobody-{n}", "wrong-password", address=f"192.0.2.{n}"))
                        for n in range(40)]
            await asyncio.sleep(0.05)  # the flood is queued on the password executor
            started = time.perf_counter()
            assert (await li.call("GET", "/api/overview"))[0] == 200
            waited = time.perf_counter() - started
            await asyncio.gather(*attempts)
            flood_took = time.perf_counter() - started
            assert waited < flood_took / 4, (waited, flood_took)  # answered long before the flood was through
        finally:
            await li.close()
            await flood.close()

    run_console(tmp_settings, scenario, login_max_failures=50)


def test_the_session_cookie_is_strict_and_secure_when_configured(tmp_settings, database, team):
    async def scenario(server, _calls, _state, _services):
        li = Browser(server)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(server.make_url("/api/login"), json={"username": "li", "password": "li-password"},
                                     headers={"Origin": li.origin}) as response:
                    cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
        finally:
            await li.close()

    run_console(tmp_settings, scenario, cookie_secure=True)


# the admin role -------------------------------------------------------------------------------
def test_agents_get_403_on_admin_calls_and_an_admin_deactivates_an_agent(tmp_settings, database, team):
    handoff = queued(database, "web:c9")

    async def scenario(server, calls, _state, _services):
        boss, li, wang = Browser(server), Browser(server), Browser(server)
        try:
            for browser, name in ((boss, "boss"), (li, "li"), (wang, "wang")):
                assert (await browser.login(name, f"{name}-password"))[0] == 200
            li_id = team["li"].id
            assert (await li.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200
            # agents may not
            assert (await wang.call("GET", "/api/admin/agents"))[0] == 403
            assert (await wang.call("POST", "/api/admin/agents", {"username": "mole", "display_name": "x",
                                                                  "password": "mole-password"}))[0] == 403
            assert (await wang.call("POST", f"/api/admin/agents/{li_id}/deactivate"))[0] == 403
            assert (await li.call("GET", "/api/me"))[0] == 200
            # an admin may
            status, listed, _ = await boss.call("GET", "/api/admin/agents")
            assert status == 200 and [a["username"] for a in listed["agents"]] == ["boss", "li", "wang"]
            status, added, _ = await boss.call("POST", "/api/admin/agents", {
                "username": "zhou", "display_name": "小周", "password": "zhou-password", "language": "en"})
            assert status == 201 and added["agent"]["role"] == "agent" and added["agent"]["active"] is True
            assert (await boss.call("POST", "/api/admin/agents", {"username": "x!", "password": "short"}))[0] == 400
            assert (await boss.call("POST", f"/api/admin/agents/{team['boss'].id}/deactivate"))[0] == 400
            assert (await boss.call("POST", "/api/admin/agents/999/deactivate"))[0] == 404
            status, done, _ = await boss.call("POST", f"/api/admin/agents/{li_id}/deactivate")
            assert status == 200 and done["requeued"] == [handoff.id]
            # li's session stops working, and the conversation waits for the next agent
            assert (await li.call("GET", "/api/me"))[0] == 401
            assert (await li.call("POST", f"/api/handoffs/{handoff.id}/reply", {"text": "还在"}))[0] == 401
            assert (await li.login("li", "li-password"))[0] == 401
            queue = (await wang.call("GET", "/api/overview"))[1]["queue"]
            assert [h["id"] for h in queue] == [handoff.id] and queue[0]["agent_id"] is None
            assert [c[2] for c in calls if c[0] == "execute"][-1] == "action_handoff_waiting"
            requeue = [c[2] for c in calls if c[0] == "events"][-2]
            assert {"event": "slot", "name": "handoff_state", "value": "queued"} in requeue
            assert (await wang.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200
            assert (await boss.call("POST", f"/api/admin/agents/{li_id}/reactivate"))[0] == 200
            assert (await li.login("li", "li-password"))[0] == 200
        finally:
            for browser in (boss, li, wang):
                await browser.close()

    run_console(tmp_settings, scenario)


# replies that cannot be delivered ---------------------------------------------------------------
def test_an_undeliverable_reply_is_shown_as_failed_and_holds_up_no_other_conversation(tmp_settings, database, team):
    gone, here = queued(database, "web:gone"), queued(database, "web:here")
    state = {"down": False, "refuse": set()}

    async def scenario(server, calls, state, _services):
        li = Browser(server)
        try:
            assert (await li.login("li", "li-password"))[0] == 200
            for handoff in (gone, here):
                assert (await li.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200
            state["refuse"].add("web:gone")  # e.g. the customer's channel will never take it
            status, first, _ = await li.call("POST", f"/api/handoffs/{gone.id}/reply", {"text": "您好，还在吗？"})
            assert status == 201 and first["delivered"] is False
            status, other, _ = await li.call("POST", f"/api/handoffs/{here.id}/reply", {"text": "您好，我是小李"})
            assert status == 201 and other["delivered"] is True
            await asyncio.sleep(2.5)  # a relay round or two
            status, detail, _ = await li.call("GET", f"/api/handoffs/{gone.id}")
            assert detail["undelivered"] == []
            [failed] = detail["failed"]
            assert failed["id"] == first["id"] and failed["text"] == "您好，还在吗？" and "400" in failed["error"]
            assert failed["attempts"] == 1 and failed["at"].endswith("Z")  # not tried again
            assert (await li.call("GET", f"/api/handoffs/{here.id}"))[1]["failed"] == []
        finally:
            await li.close()

    calls = run_console(tmp_settings, scenario, state)
    said = [(c[1], c[2][0]["text"]) for c in calls if c[0] == "events" and c[2][0].get("event") == "bot"]
    assert said == [("web:here", "您好，我是小李")]


def test_a_reply_that_reached_rasa_before_a_crash_is_not_sent_again(tmp_settings, database, team):
    handoff = queued(database, "web:crash")
    state = {"down": False}

    async def scenario(server, calls, state, services):
        li = Browser(server)
        try:
            assert (await li.login("li", "li-password"))[0] == 200
            assert (await li.call("POST", f"/api/handoffs/{handoff.id}/claim"))[0] == 200
            state["down"] = True
            status, reply, _ = await li.call("POST", f"/api/handoffs/{handoff.id}/reply", {"text": "已为您退款"})
            assert status == 201 and reply["delivered"] is False
            # What the crash hid: Rasa had taken the message (its id is in the conversation) before the
            # answer was lost and the reply could be marked.
            state["trackers"].setdefault("web:crash", []).append(
                {"event": "bot", "text": "已为您退款", "metadata": {"agent": "小李", "reply_id": reply["id"]}})
            state["down"] = False
            for _ in range(50):
                await asyncio.sleep(0.1)
                if not (await li.call("GET", f"/api/handoffs/{handoff.id}"))[1]["undelivered"]:
                    break
            assert services.handoff_desk.outbox.get_reply(reply["id"]).delivered_at is not None
        finally:
            await li.close()

    calls = run_console(tmp_settings, scenario, state)
    assert not [c for c in calls if c[0] == "events" and c[2][0].get("event") == "bot"]  # never posted again
