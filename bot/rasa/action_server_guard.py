"""The action server's door: only Rasa, which knows the shared secret (BOT_ACTION_TOKEN), runs actions.

Rasa sends the action endpoint's `token` (var/endpoints.yml) as the `token` query parameter of every
call; a request middleware refuses anything else with 401. /health stays open for the supervisor.
Installed through rasa_sdk's plugin hook, so the SDK's own server and command line run unchanged."""
from __future__ import annotations

import hmac
import logging
from typing import Any, Optional

import pluggy

logger = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})
_hookimpl = pluggy.HookimplMarker("rasa_sdk")


def token_matches(presented: Optional[str], expected: str) -> bool:
    """Constant-time comparison; nothing matches an empty expected token."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def presented_token(args: Any, headers: Any) -> Optional[str]:
    """The token of a call: Rasa's `?token=`, or an `Authorization: Bearer` header for other callers."""
    token = args.get("token") if args is not None else None
    if token:
        return str(token)
    authorization = (headers.get("authorization") or "") if headers is not None else ""
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class ActionServerGuard:
    """rasa_sdk plugin: a request middleware on the action server's Sanic app."""

    def __init__(self, token: str) -> None:
        self._token = token

    @_hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        from sanic import response

        async def require_token(request: Any) -> Any:
            if request.path in OPEN_PATHS:
                return None
            if token_matches(presented_token(request.args, request.headers), self._token):
                return None
            logger.warning("action server: refused a %s %s without the shared token", request.method, request.path)
            return response.json({"error": "unauthorized",
                                  "reason": "the action server only answers Rasa (BOT_ACTION_TOKEN)"}, status=401)

        app.register_middleware(require_token, "request")


def install_action_server_guard(token: str) -> None:
    """Registers the guard with rasa_sdk's plugin manager before the SDK builds its app."""
    from rasa_sdk.plugin import plugin_manager

    if not token:
        raise ValueError("the action server needs BOT_ACTION_TOKEN (the run command sets one)")
    plugin_manager().register(ActionServerGuard(token))
