"""A faithful local stand-in for WeChat's API server (api.weixin.qq.com), for the tests and the benchmark:
the access_token endpoint and the customer-service message endpoint, with WeChat's error codes. Runs in a thread."""
from __future__ import annotations

import asyncio
import secrets
import threading
import time
from typing import Dict, List, Set

from aiohttp import web

from bot.runtime.ports import free_port


class FakeWeChatServer:
    def __init__(self, app_id: str, app_secret: str, expires_in: int = 7200) -> None:
        self.app_id, self.app_secret, self.expires_in = app_id, app_secret, expires_in
        self.port = free_port()
        self.sent: List[Dict] = []
        self.token_requests = 0
        # Customers past WeChat's 48-hour window: a message to them gets errcode 45015, as WeChat answers.
        self.out_of_window: Set[str] = set()
        self._tokens: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if query.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.token_requests += 1
            self._tokens[token] = time.monotonic() + self.expires_in
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if expiry < time.monotonic():
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        body = await request.json()
        if body.get("msgtype") != "text" or not body.get("touser"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        if len(body["text"]["content"].encode("utf-8")) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        if body["touser"] in self.out_of_window:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
        with self._lock:
            self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def revoke_tokens(self) -> None:
        """As when the token is refreshed elsewhere: every token we gave out is now invalid."""
        with self._lock:
            self._tokens.clear()

    def messages_to(self, openid: str) -> List[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.sent if m["touser"] == openid]

    def wait_for_message(self, openid: str, timeout: float = 30, count: int = 1) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages_to(openid)
            if len(messages) >= count:
                return messages
            time.sleep(0.1)
        raise AssertionError(f"WeChat API got {self.messages_to(openid)} for {openid}, wanted {count}")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> "FakeWeChatServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
