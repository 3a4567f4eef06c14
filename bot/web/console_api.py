"""The agent console's JSON API. Every call but sign-in needs a session cookie; changes to a
conversation go to the database first, then to Rasa (pause, replies, hand-back, the survey)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from aiohttp import web

from bot.handoff.agents import AgentError, AgentView
from bot.handoff.canned import load_canned_replies
from bot.rasa.conversation_log import ConversationLog
from bot.handoff.desk import HandoffDesk
from bot.handoff.queue import HandoffError, HandoffView
from bot.rasa.http_api import RasaConversations
from bot.observability.masking import mask_id
from bot.settings import Settings
from bot.storage.models import utcnow
from bot.web.relay import ReplyRelay

logger = logging.getLogger(__name__)
COOKIE = "cs_console_session"


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") + "Z" if value else None


class ConsoleApi:
    def __init__(self, settings: Settings, desk: HandoffDesk, log: ConversationLog, rasa: RasaConversations,
                 relay: ReplyRelay) -> None:
        self._settings = settings
        self._desk = desk
        self._log = log
        self._rasa = rasa
        self._relay = relay

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

    # helpers ----------------------------------------------------------------------------------
    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def _agent(self, request: web.Request) -> AgentView:
        agent = await self._run(self._desk.agents.agent_for, request.cookies.get(COOKIE))
        if agent is None:
            raise web.HTTPUnauthorized(text='{"error": "sign in first"}', content_type="application/json")
        return agent

    async def _json(self, request: web.Request) -> Dict[str, Any]:
        try:
            body = await request.json()
        except Exception:
            raise _error(400, "the request body must be JSON") from None
        if not isinstance(body, dict):
            raise _error(400, "the request body must be a JSON object")
        return body

    async def _handoff(self, request: web.Request) -> HandoffView:
        handoff = await self._run(self._desk.queue.get, int(request.match_info["id"]))
        if handoff is None:
            raise _error(404, "no such conversation")
        return handoff

    def _view(self, handoff: HandoffView, now: datetime) -> Dict[str, Any]:
        data = asdict(handoff)
        for key in ("created_at", "claimed_at", "closed_at"):
            data[key] = _iso(data[key])
        data["priority"] = handoff.priority(now)
        data["waiting_s"] = int(((handoff.claimed_at or now) - handoff.created_at).total_seconds())
        data["conversation_masked"] = mask_id(handoff.conversation_id)
        return data

    # sign-in ----------------------------------------------------------------------------------
    async def login(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        token = await self._run(self._desk.agents.sign_in, str(body.get("username", "")), str(body.get("password", "")))
        if token is None:
            raise _error(401, "wrong username or password")
        agent = await self._run(self._desk.agents.agent_for, token)
        await self._run(self._desk.agents.set_presence, agent.id, "online")
        agent = await self._run(self._desk.agents.get, agent.id)
        response = web.json_response({"agent": _agent_json(agent)})
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                            max_age=self._settings.agent_session_hours * 3600)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        await self._run(self._desk.agents.sign_out, request.cookies.get(COOKIE, ""), agent.id)
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"agent": _agent_json(await self._agent(request))})

    async def presence(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        body = await self._json(request)
        try:
            await self._run(self._desk.agents.set_presence, agent.id, str(body.get("presence")))
        except AgentError as error:
            raise _error(400, str(error)) from None
        return web.json_response({"presence": body.get("presence")})

    # reading ----------------------------------------------------------------------------------
    async def overview(self, request: web.Request) -> web.Response:
        """The queue, the agent's own conversations, callbacks and the team; also the heartbeat."""
        agent = await self._agent(request)
        now = utcnow()
        await self._run(self._desk.agents.heartbeat, agent.id, now)
        queue = await self._run(self._desk.queue.queued, now)
        mine = await self._run(self._desk.queue.of_agent, agent.id)
        callbacks = await self._run(self._desk.queue.callbacks)
        team = await self._run(self._desk.agents.team, now)
        availability = await self._run(self._desk.availability, now)
        satisfaction = await self._run(self._desk.queue.satisfaction)
        return web.json_response({
            "queue": [self._view(h, now) for h in queue],
            "mine": [self._view(h, now) for h in mine],
            "callbacks": [self._view(h, now) for h in callbacks],
            "team": [{**_agent_json(m.agent), "online": m.online, "open_conversations": m.open_conversations}
                     for m in team],
            "service": {"open": availability.open_now, "hours": availability.hours,
                        "agents_online": availability.agents_online},
            "satisfaction": satisfaction,
        })

    async def canned(self, request: web.Request) -> web.Response:
        await self._agent(request)
        path = self._settings.kb_dir / "canned_replies.yml"
        return web.json_response({"replies": await self._run(load_canned_replies, path)})

    async def handoff(self, request: web.Request) -> web.Response:
        await self._agent(request)
        handoff = await self._handoff(request)
        context = await self._run(self._desk.queue.context, handoff.id)
        notes = await self._run(self._desk.queue.notes, handoff.id)
        replies = await self._run(self._desk.queue.replies, handoff.id)
        agent = await self._run(self._desk.agents.get, handoff.agent_id) if handoff.agent_id else None
        return web.json_response({
            "handoff": self._view(handoff, utcnow()), "context": context,
            "agent": _agent_json(agent) if agent else None,
            "notes": [{**n, "at": _iso(n["at"])} for n in notes],
            "undelivered": [r.id for r in replies if r.delivered_at is None],
        })

    async def messages(self, request: web.Request) -> web.Response:
        await self._agent(request)
        handoff = await self._handoff(request)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise _error(400, "after must be a number") from None
        messages = await self._run(self._log.messages_after, handoff.conversation_id, after)
        return web.json_response({"messages": messages})

    # changes ----------------------------------------------------------------------------------
    async def claim(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        handoff = await self._handoff(request)
        won = await self._run(self._desk.queue.claim, handoff.id, agent.id)
        if not won:
            current = await self._run(self._desk.queue.get, handoff.id)
            owner = await self._run(self._desk.agents.get, current.agent_id) if current and current.agent_id else None
            raise _error(409, "another agent already took this conversation",
                         owner=owner.display_name if owner else None)
        logger.info("handoff %s claimed by %s", handoff.number, agent.username)
        warning = await self._relay.sync_handoff(handoff.id)
        return web.json_response({"claimed": True, **({"warning": warning} if warning else {})})

    async def _own(self, request: web.Request) -> tuple:
        agent = await self._agent(request)
        handoff = await self._handoff(request)
        if handoff.status != "claimed" or handoff.agent_id != agent.id:
            raise _error(403, "this conversation is not yours")
        return agent, handoff

    async def reply(self, request: web.Request) -> web.Response:
        agent, handoff = await self._own(request)
        text = str((await self._json(request)).get("text", "")).strip()
        if not text:
            raise _error(400, "a reply needs some text")
        try:
            reply = await self._run(self._desk.queue.add_reply, handoff.id, agent.id, text)
        except HandoffError as error:
            raise _error(403, str(error)) from None
        await self._relay.deliver_pending()
        delivered = (await self._run(self._desk.queue.get_reply, reply.id)).delivered_at is not None
        return web.json_response({"id": reply.id, "delivered": delivered}, status=201)

    async def note(self, request: web.Request) -> web.Response:
        agent = await self._agent(request)
        handoff = await self._handoff(request)
        text = str((await self._json(request)).get("text", ""))
        try:
            await self._run(self._desk.queue.add_note, handoff.id, agent.id, text)
        except HandoffError as error:
            raise _error(400, str(error)) from None
        return web.json_response({"ok": True}, status=201)

    async def resolve(self, request: web.Request) -> web.Response:
        return await self._close(request, "resolved")

    async def hand_back(self, request: web.Request) -> web.Response:
        return await self._close(request, "returned")

    async def _close(self, request: web.Request, outcome: str) -> web.Response:
        agent, handoff = await self._own(request)
        try:
            view = await self._run(self._desk.queue.close, handoff.id, agent.id, outcome)
        except HandoffError as error:
            raise _error(403, str(error)) from None
        warning = await self._relay.sync_handoff(handoff.id)  # resume, then the survey or "the bot is back"
        return web.json_response({"status": view.status, **({"warning": warning} if warning else {})})


def _agent_json(agent: AgentView) -> Dict[str, Any]:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name, "role": agent.role,
            "language": agent.language, "presence": agent.presence}


def _error(status: int, message: str, **extra: Any) -> web.HTTPException:
    import json

    classes = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
               409: web.HTTPConflict}
    return classes[status](text=json.dumps({"error": message, **extra}, ensure_ascii=False),
                           content_type="application/json")
