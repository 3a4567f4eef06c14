"""An agent using the console's JSON API over HTTP, with their own session cookie, calling as the console's
page does: from the console's origin, every POST with a JSON body."""
from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from typing import Any, Optional, Tuple


class ConsoleClient:
    def __init__(self, web_url: str) -> None:
        self.web_url = web_url
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body: Optional[dict] = None) -> Tuple[int, Any]:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.web_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Origin": self.web_url})
        try:
            with self._opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def login(self, username: str, password: str) -> dict:
        status, body = self.call("POST", "/api/login", {"username": username, "password": password})
        assert status == 200, body
        return body["agent"]

    def overview(self) -> dict:
        status, body = self.call("GET", "/api/overview")
        assert status == 200, body
        return body

    def messages(self, handoff_id: int, after: int = 0) -> list:
        status, body = self.call("GET", f"/api/handoffs/{handoff_id}/messages?after={after}")
        assert status == 200, body
        return body["messages"]
