"""The agent console's JSON API, HTTP only: each endpoint reads the request (the session cookie, the
conversation id, the body), makes one call to the agent workspace (`bot.handoff.workspace`) and
turns the result, or the workspace's refusal, into JSON. Every call but sign-in needs a session."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any, Dict, Iterator, Optional, Type

from aiohttp import web

from bot.handoff.agents import AgentView
from bot.handoff.workspace import (
    AgentWorkspace, HandoffCard, Invalid, NotFound, Refused, TakenByAnother, WorkspaceError,
)
from bot.observability.masking import mask_id

COOKIE = "cs_console_session"
# Built when the server starts (it needs the event loop's HTTP session to Rasa): see bot.web.app.
WORKSPACE = web.AppKey("workspace", AgentWorkspace)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") + "Z" if value else None


class ConsoleApi:
    def __init__(self, session_hours: int) -> None:
        self._session_hours = session_hours

    def routes(self) -> list:
        return [
            web.post("/api/login", self.login),
            web.post("/api/logout", self.logout),
            web.get("/api/me", self.me),
            web.post("/api/presence", self.presence),
            web.get("/api/overview", self.overview),
            web.get("/api/canned", self.canned),
            web.get(r"/api/handoffs/{id:\d+}", self.handoff),
            web.get(r"/api/handoffs/{id:\d+}/messages", self.messages),
            web.post(r"/api/handoffs/{id:\d+}/claim", self.claim),
            web.post(r"/api/handoffs/{id:\d+}/reply", self.reply),
            web.post(r"/api/handoffs/{id:\d+}/note", self.note),
            web.post(r"/api/handoffs/{id:\d+}/resolve", self.resolve),
            web.post(r"/api/handoffs/{id:\d+}/return", self.hand_back),
        ]

    # reading the request ----------------------------------------------------------------------
    @staticmethod
    def _workspace(request: web.Request) -> AgentWorkspace:
        return request.app[WORKSPACE]

    async def _agent(self, request: web.Request) -> AgentView:
        agent = await self._workspace(request).agent_for(request.cookies.get(COOKIE))
        if agent is None:
            raise web.HTTPUnauthorized(text='{"error": "sign in first"}', content_type="application/json")
        return agent

    @staticmethod
    async def _json(request: web.Request) -> Dict[str, Any]:
        try:
            body = await request.json()
        except Exception:
            raise _error(400, "the request body must be JSON") from None
        if not isinstance(body, dict):
            raise _error(400, "the request body must be a JSON object")
        return body

    @staticmethod
    def _id(request: web.Request) -> int:
        return int(request.match_info["id"])

    # sign-in ----------------------------------------------------------------------------------
    async def login(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        signed_in = await self._workspace(request).sign_in(str(body.get("username", "")),
                                                           str(body.get("password", "")))
        if signed_in is None:
            raise _error(401, "wrong username or password")
        response = web.json_response({"agent": _agent_json(signed_in.agent)})
        response.set_cookie(COOKIE, signed_in.token, httponly=True, samesite="Strict", path="/",
                            max_age=self._session_hours * 3600)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        await self._workspace(request).sign_out(request.cookies.get(COOKIE, ""), agent.id)
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"agent": _agent_json(await self._agent(request))})

    async def presence(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        body = await self._json(request)
        with _as_http():
            await self._workspace(request).set_presence(agent.id, str(body.get("presence")))
        return web.json_response({"presence": body.get("presence")})

    # reading ----------------------------------------------------------------------------------
    async def overview(self, request: web.Request) -> web.Response:
        """The queue, the agent's own conversations, callbacks and the team; also the heartbeat."""
        agent = await self._agent(request)
        overview = await self._workspace(request).overview(agent.id)
        availability = overview.availability
        return web.json_response({
            "queue": [_card_json(c) for c in overview.queue],
            "mine": [_card_json(c) for c in overview.mine],
            "callbacks": [_card_json(c) for c in overview.callbacks],
            "team": [{**_agent_json(m.agent), "online": m.online, "open_conversations": m.open_conversations}
                     for m in overview.team],
            "service": {"open": availability.open_now, "hours": availability.hours,
                        "agents_online": availability.agents_online},
            "satisfaction": overview.satisfaction,
        })

    async def canned(self, request: web.Request) -> web.Response:
        await self._agent(request)
        return web.json_response({"replies": await self._workspace(request).canned_replies()})

    async def handoff(self, request: web.Request) -> web.Response:
        await self._agent(request)
        with _as_http():
            detail = await self._workspace(request).handoff(self._id(request))
        return web.json_response({
            "handoff": _card_json(detail.card), "context": detail.context,
            "agent": _agent_json(detail.agent) if detail.agent else None,
            "notes": [{**n, "at": _iso(n["at"])} for n in detail.notes],
            "undelivered": detail.undelivered,
        })

    async def messages(self, request: web.Request) -> web.Response:
        await self._agent(request)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise _error(400, "after must be a number") from None
        with _as_http():
            messages = await self._workspace(request).messages(self._id(request), after)
        return web.json_response({"messages": messages})

    # changes ----------------------------------------------------------------------------------
    async def claim(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        with _as_http():
            result = await self._workspace(request).claim(agent.id, self._id(request))
        return web.json_response({"claimed": True, **_warning(result.rasa_warning)})

    async def reply(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        text = str((await self._json(request)).get("text", ""))
        with _as_http():
            reply = await self._workspace(request).reply(agent.id, self._id(request), text)
        return web.json_response({"id": reply.id, "delivered": reply.delivered}, status=201)

    async def note(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        text = str((await self._json(request)).get("text", ""))
        with _as_http():
            await self._workspace(request).note(agent.id, self._id(request), text)
        return web.json_response({"ok": True}, status=201)

    async def resolve(self, request: web.Request) -> web.Response:
        return await self._close(request, "resolved")

    async def hand_back(self, request: web.Request) -> web.Response:
        return await self._close(request, "returned")

    async def _close(self, request: web.Request, outcome: str) -> web.Response:
        agent = await self._agent(request)
        with _as_http():
            result = await self._workspace(request).close(agent.id, self._id(request), outcome)
        return web.json_response({"status": result.handoff.status, **_warning(result.rasa_warning)})


# turning results into JSON ----------------------------------------------------------------------
def _agent_json(agent: AgentView) -> Dict[str, Any]:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name, "role": agent.role,
            "language": agent.language, "presence": agent.presence}


def _card_json(card: HandoffCard) -> Dict[str, Any]:
    data = asdict(card.handoff)
    for key in ("created_at", "claimed_at", "closed_at"):
        data[key] = _iso(data[key])
    data["priority"] = card.priority
    data["waiting_s"] = card.waiting_s
    data["conversation_masked"] = mask_id(card.handoff.conversation_id)
    return data


def _warning(warning: Optional[str]) -> Dict[str, str]:
    """Why Rasa was not told yet (the relay keeps trying); absent when it was."""
    return {"warning": warning} if warning else {}


_STATUS: Dict[Type[WorkspaceError], int] = {Invalid: 400, Refused: 403, NotFound: 404, TakenByAnother: 409}


@contextmanager
def _as_http() -> Iterator[None]:
    """Turns the workspace's refusals into JSON errors with their status code."""
    try:
        yield
    except TakenByAnother as error:
        raise _error(409, str(error), owner=error.owner) from None
    except WorkspaceError as error:
        raise _error(_STATUS[type(error)], str(error)) from None


def _error(status: int, message: str, **extra: Any) -> web.HTTPException:
    classes = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
               409: web.HTTPConflict}
    return classes[status](text=json.dumps({"error": message, **extra}, ensure_ascii=False),
                           content_type="application/json")
