"""The service metrics page's JSON API, admins only (agents get 403): the figures for a period and filters
(`GET /api/admin/metrics?since=7d&until=…&channel=…&language=…`, computed by `bot.metrics.report`), and
assigning an overdue ticket or callback request to an agent (POSTs, same-origin JSON like every console call).
Sessions, the same-origin check and the errors are the console's (`bot.web.console_api`)."""
from __future__ import annotations

from typing import Any, Dict

from aiohttp import web

from bot.concurrency import run_blocking
from bot.handoff.agents import AgentView, is_admin
from bot.metrics.report import ServiceMetrics
from bot.metrics.scope import Filters, ScopeError
from bot.settings import Settings
from bot.web.console_api import COOKIE, WORKSPACE, _as_http, _error, _iso, cross_site_refusal


class MetricsApi:
    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self._settings = settings
        self._metrics = metrics

    def routes(self) -> list:
        return [
            web.get("/api/admin/metrics", self.figures),
            web.post(r"/api/admin/tickets/{number:TK\d{10}}/assign", self.assign_ticket),
            web.post(r"/api/admin/callbacks/{number:HD\d{10}}/assign", self.assign_callback),
        ]

    async def _admin(self, request: web.Request) -> AgentView:
        agent = await request.app[WORKSPACE].agent_for(request.cookies.get(COOKIE))
        if agent is None:
            raise _error(401, "sign in first")
        if not is_admin(agent):
            raise _error(403, "only an admin may see the service metrics")
        return agent

    async def figures(self, request: web.Request) -> web.Response:
        await self._admin(request)
        query = request.query
        try:
            period = self._metrics.period(query.get("since"), query.get("until"))
            filters = Filters.parse(query.get("channel"), query.get("language"))
        except ScopeError as error:
            raise _error(400, str(error)) from None
        report = await run_blocking(self._metrics.compute, period, filters)
        return web.json_response(report, headers={"Cache-Control": "no-store"})

    async def assign_ticket(self, request: web.Request) -> web.Response:
        acting, agent_id = await self._assignment(request)
        with _as_http():
            ticket = await request.app[WORKSPACE].assign_ticket(acting, request.match_info["number"], agent_id)
        return web.json_response({"ticket": ticket.number, "assigned_agent_id": ticket.assigned_agent_id,
                                  "assigned": ticket.assigned_agent, "sla_due_at": _iso(ticket.sla_due_at)})

    async def assign_callback(self, request: web.Request) -> web.Response:
        acting, agent_id = await self._assignment(request)
        with _as_http():
            callback = await request.app[WORKSPACE].assign_callback(acting, request.match_info["number"], agent_id)
        return web.json_response({"handoff": callback.number, "assigned_agent_id": callback.assigned_agent_id,
                                  "assigned": callback.assigned_agent, "due_at": _iso(callback.due_at)})

    async def _assignment(self, request: web.Request) -> Any:
        refusal = cross_site_refusal(request, self._settings.web_url)
        if refusal:
            raise _error(403, refusal)
        acting = await self._admin(request)
        try:
            body: Dict[str, Any] = await request.json()
        except web.HTTPException:
            raise
        except Exception:
            raise _error(400, "the request body must be JSON") from None
        agent_id = body.get("agent_id") if isinstance(body, dict) else None
        if not isinstance(agent_id, int) or isinstance(agent_id, bool):
            raise _error(400, "agent_id must be the id of an agent")
        return acting, agent_id
