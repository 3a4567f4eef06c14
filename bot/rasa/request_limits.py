"""Request limits of the Rasa server (installed by bot/rasa/server_entry.py for `rasa run`):

- a body size limit (Sanic's REQUEST_MAX_SIZE = BOT_MAX_BODY_BYTES): a larger request is answered 413,
  and a larger websocket frame (socket.io) closes the connection;
- at most BOT_RATE_PER_ADDRESS requests a minute to the channel webhooks (/webhooks/…) from one address,
  then 429 with a JSON reason. Behind a reverse proxy on the same machine the client's address is the
  proxy's X-Forwarded-For entry (trusted only from a loopback peer). Two kinds of caller are limited per
  conversation instead (bot/rasa/message_guard.py), because one address speaks for many customers:
  a REST integration presenting its bearer token, and WeChat's servers (every request signed).

The counts are sliding windows of bot/shared_state (in this process by default, in Redis in cluster mode, so
that every replica counts the same address together; if Redis cannot be reached, requests are let through
and the error is logged)."""
from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Any, Iterable, Optional

from bot.settings import Settings
from bot.shared_state.factory import shared_async_windows

logger = logging.getLogger(__name__)
WINDOW_S = 60.0  # the limits are "per minute" (BOT_RATE_PER_SENDER, BOT_RATE_PER_ADDRESS)
LIMITED_PREFIX = "/webhooks/"
# Signed by WeChat and sent from WeChat's few servers for all followers: limited per follower instead.
PER_CONVERSATION_ONLY = ("/webhooks/wechat/",)


def client_address(peer: str, forwarded_for: Optional[str]) -> str:
    """The caller's address: the peer's, or, when the peer is a proxy on this machine, the address that
    proxy recorded last in X-Forwarded-For (earlier entries are whatever the client claimed)."""
    if forwarded_for and _is_loopback(peer):
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer or "unknown"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_limited_per_address(path: str) -> bool:
    return path.startswith(LIMITED_PREFIX) and not path.startswith(PER_CONVERSATION_ONLY)


def presents_integration_token(authorization: Optional[str], tokens: Iterable[str]) -> bool:
    """Whether the request carries the bearer token of one of our REST integrations (constant time)."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    presented_bytes = presented.strip().encode("utf-8")
    found = False
    for token in tokens:
        found |= hmac.compare_digest(presented_bytes, token.encode("utf-8"))
    return found


def limit_requests(app: Any, settings: Settings) -> None:
    """Sets the body limit and adds the per-address middleware to a Sanic app."""
    from sanic import response

    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.WEBSOCKET_MAX_SIZE = settings.max_body_bytes  # a socket.io message over the websocket
    window = shared_async_windows(settings, "rate:address", settings.rate_per_address, WINDOW_S)
    tokens = tuple(settings.rest_integrations)

    async def per_address(request: Any) -> Any:
        if not is_limited_per_address(request.path):
            return None
        if presents_integration_token(request.headers.get("authorization"), tokens):
            return None
        address = client_address(request.ip, request.headers.get("x-forwarded-for"))
        wait = await window.admit(address)
        if wait is None:
            return None
        logger.warning("rate limit: more than %d requests a minute from one address to %s",
                       settings.rate_per_address, request.path)
        return response.json(
            {"error": "too_many_requests",
             "reason": f"more than {settings.rate_per_address} requests a minute from this address; "
                       f"try again in {wait} s"},
            status=429, headers={"Retry-After": str(wait)})

    app.register_middleware(per_address, "request")


def install_request_limits(settings: Settings) -> None:
    """Applies the limits to the app `rasa run` builds (rasa.core.run.configure_app)."""
    import rasa.core.run as rasa_run

    original = rasa_run.configure_app
    if getattr(original, "limits_requests", False):
        return

    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        limit_requests(app, settings)
        return app

    configure_app.limits_requests = True  # type: ignore[attr-defined]
    rasa_run.configure_app = configure_app
