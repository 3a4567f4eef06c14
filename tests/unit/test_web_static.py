"""/static/ serves the pages' scripts and styles, not the pages: a page there would run without the policy
its own route gives it (the console's CSP, X-Frame-Options) and could be framed by another site."""
import asyncio

import aiohttp
from aiohttp.test_utils import TestServer

from bot.services import Services
from bot.web.app import CONSOLE_POLICY, create_app
from tests.support.fake_rasa import fake_rasa


def test_pages_are_not_served_from_static_and_static_files_carry_the_consoles_policy(tmp_settings, database):
    async def scenario():
        rasa, url = await fake_rasa([], {"down": False})
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1])))
        server = TestServer(create_app(services))
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                for page in ("console.html", "store.html", "CONSOLE.HTML", "console%2Ehtml", "console.html/"):
                    async with http.get(server.make_url(f"/static/{page}")) as response:
                        assert response.status == 404, page
                        assert "<script" not in await response.text()
                async with http.get(server.make_url("/static/console.js")) as response:
                    assert response.status == 200
                    assert response.headers["Content-Security-Policy"] == CONSOLE_POLICY
                    assert response.headers["X-Frame-Options"] == "DENY"
                async with http.get(server.make_url("/console/")) as response:  # the page, on its own route
                    assert response.status == 200 and "frame-ancestors 'none'" in \
                        response.headers["Content-Security-Policy"]
        finally:
            await server.close()
            await rasa.cleanup()
            services.database.engine.dispose()

    asyncio.run(scenario())
