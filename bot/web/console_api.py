"""The agent console's JSON API, HTTP only: each endpoint reads the request (the session cookie, the
conversation id, the body), makes one call to the agent workspace (`bot.handoff.workspace`) and
turns the result, or the workspace's refusal, into JSON. Every call but sign-in needs a session.

Every state-changing call (POST) must come from the console's own page: a JSON body
(``Content-Type: application/json``, which a cross-site form cannot send without asking first) and an
``Origin`` equal to the console's own origin; anything else gets 403 with the reason. With the
session cookie's SameSite=Strict that is the defence against cross-site requests."""
from __future__ import annotations

import ipaddress
import json
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, Iterator, Optional, Tuple, Type

from aiohttp import web
from yarl import URL

from bot.handoff.agents import AgentView
from bot.handoff.outbox import ReplyView
from bot.handoff.ticket_orders import order_json
from bot.handoff.workspace import (
    AgentWorkspace, HandoffCard, Invalid, NotFound, Refused, TakenByAnother, Throttled, WorkspaceError,
)
from bot.observability.masking import mask_id
from bot.settings import Settings
from bot.web.console_labels import ticket_labels
from bot.web.event_stream import LIVE_HUB, event_stream

COOKIE = "cs_console_session"
MAX_ROW_ID = 2**63 - 1  # the largest id a database row can have (a signed 64-bit integer)
# Built when the server starts (it needs the event loop's HTTP session to Rasa): see bot.web.app.
WORKSPACE = web.AppKey("workspace", AgentWorkspace)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") + "Z" if value else None


class ConsoleApi:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def routes(self) -> list:
        guarded = self._state_changing
        return [
            web.post("/api/login", guarded(self.login)),
            web.post("/api/logout", guarded(self.logout)),
            web.get("/api/me", self.me),
            web.post("/api/presence", guarded(self.presence)),
            web.get("/api/overview", self.overview),
            web.get("/api/stream", self.stream),
            web.get("/api/canned", self.canned),
            web.get("/api/labels", self.labels),
            web.get(r"/api/handoffs/{id:\d+}", self.handoff),
            web.get(r"/api/handoffs/{id:\d+}/messages", self.messages),
            web.post(r"/api/handoffs/{id:\d+}/claim", guarded(self.claim)),
            web.post(r"/api/handoffs/{id:\d+}/reply", guarded(self.reply)),
            web.post(r"/api/handoffs/{id:\d+}/note", guarded(self.note)),
            web.get(r"/api/handoffs/{id:\d+}/orders", self.orders),
            web.post(r"/api/handoffs/{id:\d+}/attach-order", guarded(self.attach_order)),
            web.post(r"/api/handoffs/{id:\d+}/resolve", guarded(self.resolve)),
            web.post(r"/api/handoffs/{id:\d+}/return", guarded(self.hand_back)),
            web.get("/api/admin/agents", self.agents),
            web.post("/api/admin/agents", guarded(self.add_agent)),
            web.post(r"/api/admin/agents/{id:\d+}/deactivate", guarded(self.deactivate)),
            web.post(r"/api/admin/agents/{id:\d+}/reactivate", guarded(self.reactivate)),
        ]

    # reading the request ----------------------------------------------------------------------
    def _state_changing(self, handler: Handler) -> Handler:
        """The handler, behind the same-origin JSON check every POST of the console passes."""
        async def checked(request: web.Request) -> web.StreamResponse:
            refusal = cross_site_refusal(request, self._settings.web_url)
            if refusal:
                raise _error(403, refusal)
            return await handler(request)

        return checked

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
        except web.HTTPException:  # e.g. 413: the body is over BOT_MAX_BODY_BYTES
            raise
        except Exception:
            raise _error(400, "the request body must be JSON") from None
        if not isinstance(body, dict):
            raise _error(400, "the request body must be a JSON object")
        return body

    @staticmethod
    def _id(request: web.Request) -> int:
        """The path's id; 404 for one no database row can have (the database would overflow: a 500)."""
        value = int(request.match_info["id"])
        if not 0 < value <= MAX_ROW_ID:
            raise _error(404, "no such id")
        return value

    # sign-in ----------------------------------------------------------------------------------
    async def login(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        with _as_http():
            signed_in = await self._workspace(request).sign_in(str(body.get("username", "")),
                                                               str(body.get("password", "")),
                                                               client_address(request))
        if signed_in is None:
            raise _error(401, "wrong username or password")
        response = web.json_response({"agent": _agent_json(signed_in.agent)})
        response.set_cookie(COOKIE, signed_in.token, httponly=True, samesite="Strict", path="/",
                            secure=self._settings.cookie_secure, max_age=self._settings.agent_session_hours * 3600)
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
            "summaries": {str(handoff_id): summary for handoff_id, summary in overview.summaries.items()},
            # Open complaint tickets past their SLA deadline (service metrics, issue #14).
            "overdue_tickets": [{"number": t.number, "category": t.category, "severity": t.severity,
                                 "sla_due_at": _iso(t.sla_due_at), "assigned": t.assigned_agent}
                                for t in overview.overdue_tickets],
        })

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """What changes, as it happens (server-sent events); ends when the session does."""
        await self._agent(request)
        token = request.cookies.get(COOKIE)
        workspace = self._workspace(request)
        return await event_stream(request, request.app[LIVE_HUB], lambda: workspace.still_signed_in(token))

    async def canned(self, request: web.Request) -> web.Response:
        await self._agent(request)
        return web.json_response({"replies": await self._workspace(request).canned_replies()})

    async def labels(self, request: web.Request) -> web.Response:
        """The names of ticket categories and severities in the console's languages, and how many of the
        customer's latest messages make their mood now."""
        await self._agent(request)
        # the mood "now": the strongest of the customer's latest messages, as the queue priority counts it
        return web.json_response({**ticket_labels(), "mood_window": self._settings.emotion_priority_window})

    async def orders(self, request: web.Request) -> web.Response:
        """The customer's recent orders, to put one on their ticket."""
        await self._agent(request)
        with _as_http():
            options = await self._workspace(request).order_options(self._id(request))
        return web.json_response({"orders": [order_json(o) for o in options]})

    async def handoff(self, request: web.Request) -> web.Response:
        await self._agent(request)
        with _as_http():
            detail = await self._workspace(request).handoff(self._id(request))
        return web.json_response({
            "handoff": _card_json(detail.card), "context": detail.context,
            "agent": _agent_json(detail.agent) if detail.agent else None,
            "notes": [{**n, "at": _iso(n["at"])} for n in detail.notes],
            "undelivered": detail.undelivered,
            "failed": [_failed_json(r) for r in detail.failed],
        })

    async def messages(self, request: web.Request) -> web.Response:
        await self._agent(request)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise _error(400, "after must be a number") from None
        if not 0 <= after <= MAX_ROW_ID:
            raise _error(400, f"after must be a number from 0 to {MAX_ROW_ID}")
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

    async def attach_order(self, request: web.Request) -> web.Response:
        """Puts the customer's order on their ticket: {"ticket_number": "TK…", "order_number": "GD…"}."""
        agent = await self._agent(request)
        body = await self._json(request)
        with _as_http():
            order = await self._workspace(request).attach_order(
                agent, self._id(request), str(body.get("ticket_number", "")), str(body.get("order_number", "")))
        return web.json_response({"ticket_number": str(body.get("ticket_number", "")).upper(),
                                  "order_number": order})

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

    # admins only ------------------------------------------------------------------------------
    async def agents(self, request: web.Request) -> web.Response:
        acting = await self._agent(request)
        with _as_http():
            agents = await self._workspace(request).agents(acting)
        return web.json_response({"agents": [_agent_json(a) for a in agents]})

    async def add_agent(self, request: web.Request) -> web.Response:
        acting = await self._agent(request)
        body = await self._json(request)
        username = str(body.get("username", ""))
        with _as_http():
            agent = await self._workspace(request).add_agent(
                acting, username, str(body.get("display_name") or username), str(body.get("password", "")),
                str(body.get("role") or "agent"), str(body.get("language") or "zh"))
        return web.json_response({"agent": _agent_json(agent)}, status=201)

    async def deactivate(self, request: web.Request) -> web.Response:
        acting = await self._agent(request)
        with _as_http():
            requeued = await self._workspace(request).set_active(acting, self._id(request), False)
        return web.json_response({"active": False, "requeued": requeued})

    async def reactivate(self, request: web.Request) -> web.Response:
        acting = await self._agent(request)
        with _as_http():
            await self._workspace(request).set_active(acting, self._id(request), True)
        return web.json_response({"active": True})


# where a request comes from -------------------------------------------------------------------
def _is_loopback(address: Optional[str]) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _first(header: Optional[str]) -> Optional[str]:
    value = (header or "").split(",")[0].strip()
    return value or None


def client_address(request: web.Request) -> str:
    """The client's IP address; behind a proxy on this machine, the one the proxy says it served."""
    remote = request.remote or ""
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    return forwarded[-1] if forwarded and _is_loopback(remote) else remote


def _origin_key(url: str) -> Optional[Tuple[str, str, Optional[int]]]:
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return None
    if not parsed.scheme or not parsed.host:
        return None
    return parsed.scheme.lower(), parsed.host.lower(), parsed.port


def own_origins(request: web.Request, web_url: str) -> set:
    """The console's origin as the browser sees it (the request's scheme and Host; a proxy on this
    machine may say them with X-Forwarded-Proto/-Host), and the configured web URL's."""
    scheme, host = request.scheme, request.host
    if _is_loopback(request.remote):
        scheme = _first(request.headers.get("X-Forwarded-Proto")) or scheme
        host = _first(request.headers.get("X-Forwarded-Host")) or host
    return {key for key in (_origin_key(f"{scheme}://{host}"), _origin_key(web_url)) if key}


def cross_site_refusal(request: web.Request, web_url: str) -> Optional[str]:
    """Why a state-changing request is refused (not JSON, or not from the console's own page); None if it may go on."""
    if request.content_type != "application/json":
        return "the request body must be JSON (Content-Type: application/json)"
    origin = request.headers.get("Origin")
    if not origin:
        return "the request must come from the console's page (no Origin header)"
    if _origin_key(origin) not in own_origins(request, web_url):
        return "the request must come from the console's page (another origin)"
    return None


# turning results into JSON ----------------------------------------------------------------------
def _agent_json(agent: AgentView) -> Dict[str, Any]:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name, "role": agent.role,
            "language": agent.language, "presence": agent.presence, "active": agent.active}


def _card_json(card: HandoffCard) -> Dict[str, Any]:
    handoff = card.handoff
    data = asdict(handoff)
    for key in ("created_at", "claimed_at", "closed_at"):
        data[key] = _iso(data[key])
    data["priority"] = card.priority
    data["waiting_s"] = card.waiting_s
    data["conversation_masked"] = mask_id(handoff.conversation_id)
    data["due_at"] = _iso(card.due_at)  # a callback's due time, or the SLA deadline of the handoff's ticket
    data["overdue"] = card.overdue
    return data


def _failed_json(reply: ReplyView) -> Dict[str, Any]:
    return {"id": reply.id, "text": reply.text, "error": reply.last_error, "at": _iso(reply.failed_at),
            "attempts": reply.attempts}


def _warning(warning: Optional[str]) -> Dict[str, str]:
    """Why Rasa was not told yet (the relay keeps trying); absent when it was."""
    return {"warning": warning} if warning else {}


_STATUS: Dict[Type[WorkspaceError], int] = {Invalid: 400, Refused: 403, NotFound: 404, TakenByAnother: 409,
                                            Throttled: 429}


@contextmanager
def _as_http() -> Iterator[None]:
    """Turns the workspace's refusals into JSON errors with their status code."""
    try:
        yield
    except TakenByAnother as error:
        raise _error(409, str(error), owner=error.owner) from None
    except Throttled as error:
        raise _error(429, str(error), headers={"Retry-After": str(error.retry_after)},
                     retry_after=error.retry_after) from None
    except WorkspaceError as error:
        raise _error(_STATUS[type(error)], str(error)) from None


def _error(status: int, message: str, headers: Optional[Dict[str, str]] = None, **extra: Any) -> web.HTTPException:
    classes = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
               409: web.HTTPConflict, 429: web.HTTPTooManyRequests}
    return classes[status](text=json.dumps({"error": message, **extra}, ensure_ascii=False),
                           content_type="application/json", headers=headers)
