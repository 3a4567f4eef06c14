"""The web server: the demo store page with the website chat (/), the agent console (/console/)
and its API (/api/…). Started by the run command beside Rasa; `python -m bot web` alone."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.rasa.http_api import RasaConversations
from bot.services import Services
from bot.settings import Settings
from bot.web.console_api import WORKSPACE, ConsoleApi
from bot.web.webchat_asset import webchat_script

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
HTTP = web.AppKey("http", aiohttp.ClientSession)
RELAY_TASK = web.AppKey("relay_task", asyncio.Task)


def _page(name: str, settings: Settings) -> web.Response:
    html = (STATIC / name).read_text(encoding="utf-8")
    config = {"socketUrl": settings.rasa_url, "defaultLanguage": settings.default_language}
    html = html.replace("/*BOT_CONFIG*/null", json.dumps(config))
    rasa_ws = settings.rasa_url.replace("http://", "ws://").replace("https://", "wss://")
    # Everything comes from us or Rasa: the widget's own request for a web font is refused too.
    policy = (f"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
              f"img-src 'self' data:; font-src 'self' data:; connect-src 'self' {settings.rasa_url} {rasa_ws}")
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": policy})


def create_app(services: Services) -> web.Application:
    settings = services.settings
    app = web.Application()

    async def start_background(app_: web.Application) -> None:
        """What needs the running event loop: the HTTP session to Rasa, the relay and the console's workspace."""
        app_[HTTP] = aiohttp.ClientSession()
        relay = services.handoff_relay(RasaConversations(settings.rasa_url, app_[HTTP]))
        app_[WORKSPACE] = services.agent_workspace(relay)
        app_[RELAY_TASK] = asyncio.create_task(relay.run())

    async def stop_background(app_: web.Application) -> None:
        app_[RELAY_TASK].cancel()
        await app_[HTTP].close()

    app.on_startup.append(start_background)
    app.on_cleanup.append(stop_background)

    async def store(_request: web.Request) -> web.Response:
        return _page("store.html", settings)

    async def console(_request: web.Request) -> web.Response:
        return _page("console.html", settings)

    async def webchat(_request: web.Request) -> web.StreamResponse:
        script = webchat_script(settings)
        if script is None:
            return web.Response(status=503, text="The website chat is not installed: run `make setup`.")
        return web.FileResponse(script, headers={"Content-Type": "application/javascript",
                                                 "Cache-Control": "max-age=3600"})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/", store)
    app.router.add_get("/console", lambda r: web.HTTPFound("/console/"))
    app.router.add_get("/console/", console)
    app.router.add_get("/vendor/rasa-webchat.js", webchat)
    app.router.add_get("/healthz", health)
    app.router.add_get("/favicon.ico", lambda _r: web.Response(status=204))
    app.router.add_static("/static/", STATIC)
    app.router.add_routes(ConsoleApi(settings.agent_session_hours).routes())
    return app


def serve(settings: Settings) -> None:
    """Serves until interrupted, with this process's services built from `settings`."""
    web.run_app(create_app(Services(settings)), host=settings.host, port=settings.web_port, print=None,
                access_log=None)
