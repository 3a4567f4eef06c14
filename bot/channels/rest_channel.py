"""Rasa's REST channel for server-to-server use, closed: `POST /webhooks/rest/webhook`.

Each integration (BOT_REST_TOKENS, "name:token,…") sends `Authorization: Bearer <its token>`; its senders
live in their own namespace ("rest:<integration>:<customer id or guest>:<sender>"), so no caller reaches a
web or WeChat conversation, or another integration's. A caller names a signed-in customer only with a token
the store signed (`metadata.customer_token`, docs/STORE_TOKENS.md); a plain `metadata.customer_id` is
ignored. The verified customer is part of the conversation id: the same sender with another customer's
token, or without one, is another conversation (`bot.identity.conversation_ids.rest_local_id`)."""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.identity.conversation_ids import conversation_id, is_plain_local_id, rest_local_id
from bot.identity.customer_tokens import CustomerTokens
from bot.identity.verified import VerifiedIdentity, stamp
from bot.observability.masking import mask_id
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)
MAX_SENDER_CHARS = 100
# Metadata nested deeper than this is refused: Rasa copies and serialises it recursively with every event.
MAX_NESTING = 32


class BadRequest(ValueError):
    """The request cannot be taken; the message says why (sent back with a 400)."""


def integration_for(authorization: Optional[str], integrations: Mapping[str, str]) -> Optional[str]:
    """The integration whose token the `Authorization: Bearer …` header carries, else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for known, name in integrations.items():  # compare with every token, in constant time each
        if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
            found = name
    return found


def read_body(raw: bytes) -> Tuple[str, str, Dict[str, Any]]:
    """The sender, the message and the metadata of a webhook request; BadRequest when malformed."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body must be JSON") from None
    except RecursionError:
        raise BadRequest(f"the request body is nested too deeply (at most {MAX_NESTING} levels)") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS or not is_plain_local_id(sender):
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_CHARS} letters, digits and _ . : @ -")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    if nesting(metadata) > MAX_NESTING:
        raise BadRequest(f"'metadata' is nested too deeply (at most {MAX_NESTING} levels)")
    return sender, message, metadata or {}


def nesting(value: Any) -> int:
    """How deeply lists and objects are nested in a JSON value (0 for a scalar), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def identity_for(metadata: Mapping[str, Any], tokens: CustomerTokens) -> VerifiedIdentity:
    """A signed-in customer when the metadata carries a valid customer token; a guest otherwise."""
    claims = tokens.verify(metadata.get("customer_token"))
    return VerifiedIdentity("rest", customer_id=claims.customer_id if claims else None)


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class VerifiedRestInput(RestInput):
    """Keeps Rasa's name "rest" (and so its URL); credentials.yml registers it instead of `rest:`."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "VerifiedRestInput":
        return cls(get_settings())

    def __init__(self, settings: Settings) -> None:
        self._integrations = settings.rest_integrations
        self._tokens = CustomerTokens.from_settings(settings)
        if not self._integrations:
            logger.warning("No REST integration is configured (BOT_REST_TOKENS): the REST channel refuses every call")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        hook = Blueprint("verified_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            integration = integration_for(request.headers.get("authorization"), self._integrations)
            if integration is None:
                return _error(401, "send 'Authorization: Bearer <token>' with the token of a configured "
                                   "integration (BOT_REST_TOKENS)")
            try:
                sender, text, metadata = read_body(request.body)
            except BadRequest as error:
                return _error(400, str(error))
            identity = identity_for(metadata, self._tokens)
            local = rest_local_id(integration, sender, identity.customer_id)
            if not is_plain_local_id(local):  # a long integration name leaves less room for the sender
                return _error(400, "'sender' is too long for this integration's name and this customer's id")
            sender_id = conversation_id("rest", local)
            metadata = stamp(metadata, identity)
            if request.args.get("stream", "").lower() == "true":
                return response.stream(self.stream_response(on_new_message, text, sender_id, self.name(), metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # what was said so far still goes back; Rasa's channel does the same
                logger.exception("REST message of conversation %s failed", mask_id(sender_id))
            return response.json(collector.messages)

        return hook
