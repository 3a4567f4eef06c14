"""WeChat's server API, the two calls we need: the access_token (cached until it expires, refreshed
when WeChat says it is invalid) and the customer-service message. The base URL is a setting, so tests
run against a local fake of WeChat's server."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Optional

import aiohttp

from bot.channels.wechat.protocol import split_text
from bot.handoff.gateway import UNDELIVERABLE_MARK
from bot.observability.masking import mask_id

logger = logging.getLogger(__name__)
TOKEN_INVALID = (40001, 40014, 42001)  # invalid credential, invalid token, token expired
# The customer cannot be reached by a customer-service message, whatever we retry: past the 48 hours
# since their last message (45015), too many messages since it (45047), unfollowed (43004), no such openid
# (40003). The error then carries the mark that tells the agents' reply outbox to stop trying.
RECIPIENT_UNREACHABLE = {45015: "past the 48-hour window", 45047: "too many messages since the customer's last one",
                         43004: "the customer unfollowed the account", 40003: "no such openid"}
EARLY_REFRESH_S = 300
# WeChat takes customer-service messages for a customer until 48 hours after their last message.
CUSTOMER_SERVICE_WINDOW_S = 48 * 3600


class WeChatApiError(RuntimeError):
    """WeChat refused a call; the message carries its errcode and errmsg."""


class WeChatApi:
    def __init__(self, base_url: str, app_id: str, app_secret: str, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: Optional[aiohttp.ClientSession] = None
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock: Optional[asyncio.Lock] = None
        self.token_fetches = 0

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def access_token(self, refresh: bool = False) -> str:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not refresh and self._token and time.monotonic() < self._expires_at:
                return self._token
            http = await self._http()
            params = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret}
            async with http.get(f"{self._base}/cgi-bin/token", params=params) as response:
                data: Dict[str, Any] = await response.json(content_type=None)
            if "access_token" not in data:
                raise WeChatApiError(f"access_token refused: {data.get('errcode')} {data.get('errmsg')}")
            self.token_fetches += 1
            self._token = str(data["access_token"])
            self._expires_at = time.monotonic() + max(60, int(data.get("expires_in", 7200)) - EARLY_REFRESH_S)
            return self._token

    async def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        for attempt in (1, 2):
            token = await self.access_token(refresh=attempt == 2)
            http = await self._http()
            async with http.post(f"{self._base}{path}", params={"access_token": token}, json=body) as response:
                data: Dict[str, Any] = await response.json(content_type=None)
            code = int(data.get("errcode", 0) or 0)
            if code in TOKEN_INVALID and attempt == 1:
                logger.info("WeChat access_token rejected (%s); fetching a new one", code)
                continue
            if code in RECIPIENT_UNREACHABLE:
                raise WeChatApiError(f"{UNDELIVERABLE_MARK} {path} failed: {code} {data.get('errmsg')} "
                                     f"({RECIPIENT_UNREACHABLE[code]})")
            if code != 0:
                raise WeChatApiError(f"{path} failed: {code} {data.get('errmsg')}")
            return data
        raise WeChatApiError(f"{path} failed after refreshing the access_token")

    async def send_text(self, openid: str, text: str) -> int:
        """Sends a customer-service text message, split where WeChat's length limit needs; returns the parts."""
        parts = split_text(text)
        for part in parts:
            await self._post("/cgi-bin/message/custom/send",
                             {"touser": openid, "msgtype": "text", "text": {"content": part}})
        logger.info("sent %d WeChat message part(s) to %s", len(parts), mask_id(openid))
        return len(parts)
