"""The demo store's "sign in as a demo customer": in demo mode (BOT_DEMO), the web server plays the part of
a real store's backend and signs a short-lived customer token (docs/STORE_TOKENS.md) for one of the demo
store's customers, which the store page hands to the chat widget. Outside demo mode these routes answer 404.

    GET  /api/demo/customers                              -> {"customers": [{"id", "name", "tier"}, …]}
    POST /api/demo/customer-token {"customer_id": "C1004"} -> {"token": "…", "customer": {…}, "expires_in": 900}"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from aiohttp import web

from bot.identity.customer_tokens import CustomerTokens, TokenSecretError
from bot.settings import Settings

TOKEN_LIFETIME_S = 900  # the page asks for a fresh token on every load and every reconnection


@dataclass(frozen=True)
class DemoCustomer:
    id: str
    name: str
    tier: str


def demo_customers(store_file: Path) -> Dict[str, DemoCustomer]:
    """The customers of the demo store (demo/store.yml), by id; none when the file is missing."""
    if not store_file.exists():
        return {}
    document = yaml.safe_load(store_file.read_text(encoding="utf-8")) or {}
    found = {}
    for record in document.get("customers") or []:
        if isinstance(record, dict) and record.get("id") and record.get("name"):
            found[str(record["id"])] = DemoCustomer(str(record["id"]), str(record["name"]),
                                                    str(record.get("tier", "regular")))
    return found


def _not_found() -> web.Response:
    return web.json_response({"error": "not found"}, status=404)


class DemoSignIn:
    def __init__(self, settings: Settings) -> None:
        self._enabled = settings.demo
        self._lifetime_s = min(TOKEN_LIFETIME_S, settings.customer_token_max_lifetime_s)
        self._customers = demo_customers(settings.demo_store_file) if settings.demo else {}
        self._tokens: Optional[CustomerTokens] = None
        if settings.demo:
            try:
                self._tokens = CustomerTokens.from_settings(settings)
            except TokenSecretError:
                self._tokens = None  # no secret: nothing to sign with, the routes answer 404

    async def customers(self, _request: web.Request) -> web.Response:
        if not self._enabled or self._tokens is None:
            return _not_found()
        listed: List[Dict[str, str]] = [vars(c) for c in self._customers.values()]
        return web.json_response({"customers": listed}, headers={"Cache-Control": "no-store"})

    async def token(self, request: web.Request) -> web.Response:
        if not self._enabled or self._tokens is None:
            return _not_found()
        try:
            body = await request.json()
        except web.HTTPException:  # e.g. 413: the body is over BOT_MAX_BODY_BYTES
            raise
        except Exception:
            return web.json_response({"error": "the request body must be JSON"}, status=400)
        customer_id = body.get("customer_id") if isinstance(body, dict) else None
        customer = self._customers.get(customer_id) if isinstance(customer_id, str) else None
        if customer is None:
            return web.json_response({"error": "no such demo customer"}, status=404)
        token = self._tokens.issue(customer.id, self._lifetime_s)
        return web.json_response({"token": token, "customer": vars(customer), "expires_in": self._lifetime_s},
                                 headers={"Cache-Control": "no-store"})


def routes(settings: Settings) -> list:
    """The demo sign-in's routes, for bot.web.app."""
    sign_in = DemoSignIn(settings)
    return [web.get("/api/demo/customers", sign_in.customers), web.post("/api/demo/customer-token", sign_in.token)]
