"""WeChat's server API, the two calls we need: the access_token (cached until it expires, refreshed
when WeChat says it is invalid) and the customer-service message. The base URL is a setting, so tests
run against a local fake of WeChat's server.

WeChat gives one valid access_token per account: a replica that fetches a new one invalidates the others'.
So the token lives in a shared store (bot/shared_state: this process's memory by default, Redis in cluster
mode, as wechatpy's RedisStorage keeps it), and a short lock in that store lets one replica fetch at a time
while the others wait for what it stores. A token WeChat rejects is replaced once for everybody: whoever
finds the stored token still the rejected one fetches, the others take the new one."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

import aiohttp

from bot.channels.wechat.protocol import split_text
from bot.handoff.gateway import UNDELIVERABLE_MARK
from bot.observability.masking import mask_id
from bot.shared_state.store import KeyValueStore, LocalStore, SharedStateUnavailable

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)
TOKEN_INVALID = (40001, 40014, 42001)  # invalid credential, invalid token, token expired
# The customer cannot be reached by a customer-service message, whatever we retry: past the 48 hours
# since their last message (45015), too many messages since it (45047), unfollowed (43004), no such openid
# (40003). The error then carries the mark that tells the agents' reply outbox to stop trying.
RECIPIENT_UNREACHABLE = {45015: "past the 48-hour window", 45047: "too many messages since the customer's last one",
                         43004: "the customer unfollowed the account", 40003: "no such openid"}
EARLY_REFRESH_S = 300
# One replica fetches the token at a time; the others wait for it this long at most (then fetch themselves),
# looking for it in the store every TOKEN_POLL_S.
TOKEN_LOCK_S = 10.0
TOKEN_POLL_S = 0.05
# WeChat takes customer-service messages for a customer until 48 hours after their last message.
CUSTOMER_SERVICE_WINDOW_S = 48 * 3600


class WeChatApiError(RuntimeError):
    """WeChat refused a call; the message carries its errcode and errmsg."""


class WeChatApi:
    def __init__(self, base_url: str, app_id: str, app_secret: str, timeout_s: float = 10.0,
                 token_store: Optional[KeyValueStore] = None) -> None:
        """`token_store` holds the access_token for every replica (by default this process's memory)."""
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: Optional[aiohttp.ClientSession] = None
        self._store: KeyValueStore = token_store or LocalStore()
        self._token_key = f"access_token:{app_id}"
        self._fetch_lock_key = f"access_token_fetch:{app_id}"
        self._holder = uuid.uuid4().hex  # whose fetch lock it is
        self._lock: Optional[asyncio.Lock] = None
        self.token_fetches = 0

    @classmethod
    def from_settings(cls, settings: "Settings") -> "WeChatApi":
        """The account of the settings, its token shared by every replica in cluster mode (Redis)."""
        from bot.shared_state.factory import shared_store

        return cls(settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret,
                   token_store=shared_store(settings, "wechat"))

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def access_token(self, rejected: Optional[str] = None) -> str:
        """The account's current token; when WeChat has just `rejected` one, a token other than that one."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # the coroutines of this process ask the store one at a time
            try:
                return await self._shared_token(rejected)
            except SharedStateUnavailable as error:
                logger.error("WeChat access_token: the shared store is unavailable (%s); fetching one for this "
                             "call only", error)
                token, _ = await self._fetch_token()
                return token

    async def _shared_token(self, rejected: Optional[str]) -> str:
        """From the store, or fetched under the store's lock; while another holds the lock, its token is
        awaited (the lock expires after TOKEN_LOCK_S, should its holder die in the middle)."""
        deadline = time.monotonic() + 2 * TOKEN_LOCK_S
        while time.monotonic() < deadline:
            current = await self._store.get(self._token_key)
            if current and current != rejected:
                return current
            if await self._store.put_new(self._fetch_lock_key, self._holder, TOKEN_LOCK_S):
                try:
                    current = await self._store.get(self._token_key)  # stored while we took the lock?
                    if current and current != rejected:
                        return current
                    token, lifetime_s = await self._fetch_token()
                    await self._store.put(self._token_key, token, lifetime_s)
                    return token
                finally:
                    await self._store.delete(self._fetch_lock_key, only_if=self._holder)
            await asyncio.sleep(TOKEN_POLL_S)
        raise WeChatApiError(f"no access_token after {2 * TOKEN_LOCK_S:.0f} s: another replica holds the fetch lock")

    async def _fetch_token(self) -> Tuple[str, float]:
        """A new token from WeChat (which invalidates the previous one) and how long to keep it."""
        http = await self._http()
        params = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret}
        async with http.get(f"{self._base}/cgi-bin/token", params=params) as response:
            data: Dict[str, Any] = await response.json(content_type=None)
        if "access_token" not in data:
            raise WeChatApiError(f"access_token refused: {data.get('errcode')} {data.get('errmsg')}")
        self.token_fetches += 1
        return str(data["access_token"]), max(60, int(data.get("expires_in", 7200)) - EARLY_REFRESH_S)

    async def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        token: Optional[str] = None
        for attempt in (1, 2):
            token = await self.access_token(rejected=token if attempt == 2 else None)
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
