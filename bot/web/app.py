"""The web server: the demo store page with the website chat (/), the agent console (/console/)
and its API (/api/…). Started by the run command beside Rasa; `python -m bot web` alone."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Awaitable, Callable, Dict, Optional

import aiohttp
from aiohttp import web

from bot.rasa.http_api import RasaConversations
from bot.services import Services
from bot.settings import Settings, parse_service_hours
from bot.web import demo_sign_in
from bot.web.chart_asset import chart_script
from bot.handoff.live_events import AnnouncingGateway
from bot.web.console_api import WORKSPACE, ConsoleApi
from bot.web.event_stream import LIVE_HUB, live_hub
from bot.web.metrics_api import MetricsApi
from bot.web.webchat_asset import webchat_bundle

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
HTTP = web.AppKey("http", aiohttp.ClientSession)
RELAY_TASK = web.AppKey("relay_task", asyncio.Task)
FEED_TASK = web.AppKey("feed_task", asyncio.Task)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# The console shows what customers wrote: nothing but our own script and styles may run or load there,
# and no other site may frame it (SECURITY.md).
CONSOLE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
CONSOLE_HEADERS = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def store_policy(settings: Settings) -> str:
    """The store page: scripts only from us (the widget and store.js); the widget injects its styles and
    talks to Rasa's socket.io; its own request for a web font is refused too."""
    chat = _chat_url(settings)
    chat_ws = chat.replace("http://", "ws://").replace("https://", "wss://")
    return (f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; font-src 'self' data:; connect-src 'self' {chat} {chat_ws}; "
            f"base-uri 'none'")


def _chat_url(settings: Settings) -> str:
    """Where customers' browsers reach the chat: nginx's public address in the cluster, else the Rasa server."""
    return settings.public_url.rstrip("/") or settings.rasa_url


def _page(name: str, settings: Settings, policy: str, headers: Optional[Dict[str, str]] = None) -> web.Response:
    html = (STATIC / name).read_text(encoding="utf-8")
    config = {"socketUrl": _chat_url(settings), "defaultLanguage": settings.default_language,
              "serviceHours": parse_service_hours(settings.service_hours, settings.service_days).describe()}
    html = html.replace("/*BOT_CONFIG*/null", json.dumps(config))
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": policy, **(headers or {})})


# Pages are served by their own routes, with their own policies; under /static/ a page would be served with
# none (and could be framed), so documents that can run script are not served from there at all.
_NOT_STATIC = (".html", ".htm", ".xhtml", ".shtml", ".svg", ".xml")


@web.middleware
async def _no_pages_under_static(request: web.Request, handler: Handler) -> web.StreamResponse:
    """404 for /static/<page>: /console/ and / serve those pages, with their Content-Security-Policy."""
    if request.path.startswith("/static/") and request.path.rstrip("/").lower().endswith(_NOT_STATIC):
        raise web.HTTPNotFound(text="not found")
    return await handler(request)


async def _static_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Static files carry the console's policy too: whatever one is, it runs nothing and is framed nowhere."""
    if request.path.startswith("/static/"):
        response.headers.setdefault("Content-Security-Policy", CONSOLE_POLICY)
        for name, value in CONSOLE_HEADERS.items():
            response.headers.setdefault(name, value)


async def _no_sniffing(_request: web.Request, response: web.StreamResponse) -> None:
    """Every response is read as the type it says it is (a customer's text is never taken for a script)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


def create_app(services: Services) -> web.Application:
    settings = services.settings
    app = web.Application(client_max_size=settings.max_body_bytes)  # larger bodies: 413

    async def start_background(app_: web.Application) -> None:
        """What needs the running event loop: the HTTP session to Rasa, the consoles' live events, the relay,
        the console's workspace and the reader of the conversation feed (Rasa's event broker)."""
        app_[HTTP] = aiohttp.ClientSession()
        hub = live_hub(settings)
        await hub.start()
        app_[LIVE_HUB] = hub
        gateway = AnnouncingGateway(RasaConversations(settings.rasa_url, app_[HTTP], token=settings.rasa_token), hub)
        relay = services.handoff_relay(gateway)
        app_[WORKSPACE] = services.agent_workspace(relay, hub)
        app_[RELAY_TASK] = asyncio.create_task(relay.run())
        app_[FEED_TASK] = asyncio.create_task(services.conversation_feed(hub).run())

    async def end_streams(app_: web.Application) -> None:
        """The consoles' event streams end first (they would hold the shutdown until its timeout)."""
        await app_[LIVE_HUB].close()

    async def stop_background(app_: web.Application) -> None:
        for key in (FEED_TASK, RELAY_TASK):
            app_[key].cancel()
        await asyncio.gather(app_[FEED_TASK], app_[RELAY_TASK], return_exceptions=True)
        await app_[HTTP].close()

    app.on_startup.append(start_background)
    app.on_shutdown.append(end_streams)
    app.on_cleanup.append(stop_background)

    async def store(_request: web.Request) -> web.Response:
        return _page("store.html", settings, store_policy(settings))

    async def console(_request: web.Request) -> web.Response:
        return _page("console.html", settings, CONSOLE_POLICY, CONSOLE_HEADERS)

    async def metrics_page(_request: web.Request) -> web.Response:
        """The service metrics (admins; the page asks the API, which refuses agents), under the console's policy."""
        return _page("metrics.html", settings, CONSOLE_POLICY, CONSOLE_HEADERS)

    async def charts(_request: web.Request) -> web.StreamResponse:
        script = chart_script(settings)
        if script is None:
            return web.Response(status=503, text="The metrics page's charts are not installed: run `make setup`.")
        return web.FileResponse(script, headers={"Content-Type": "application/javascript",
                                                 "Cache-Control": "max-age=86400"})

    async def webchat(_request: web.Request) -> web.StreamResponse:
        script = webchat_bundle(settings)
        if script is None:
            return web.Response(status=503, text="The website chat is not installed: run `make setup`.")
        return web.Response(body=script, headers={"Content-Type": "application/javascript",
                                                  "Cache-Control": "max-age=3600"})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/", store)
    app.router.add_get("/console", lambda r: web.HTTPFound("/console/"))
    app.router.add_get("/console/", console)
    app.router.add_get("/console/metrics", metrics_page)
    app.router.add_get("/vendor/chart.umd.min.js", charts)
    app.router.add_get("/vendor/rasa-webchat.js", webchat)
    app.router.add_get("/healthz", health)
    app.router.add_get("/favicon.ico", lambda _r: web.Response(status=204))
    app.middlewares.append(_no_pages_under_static)
    app.router.add_static("/static/", STATIC)
    app.on_response_prepare.append(_static_headers)
    app.router.add_routes(ConsoleApi(settings).routes())
    app.router.add_routes(MetricsApi(settings, services.service_metrics).routes())
    app.on_response_prepare.append(_no_sniffing)
    app.router.add_routes(demo_sign_in.routes(settings))
    return app


def serve(settings: Settings) -> None:
    """Serves until interrupted, with this process's services built from `settings`."""
    web.run_app(create_app(Services(settings)), host=settings.host, port=settings.web_port, print=None,
                access_log=None)
