"""The website chat on socket.io (`/socket.io`, the rasa-webchat widget), with verified identity.

Rasa's own socket.io channel lets a browser name any session id, and joining that room also delivers that
conversation's messages. Here the connection is what counts:

- on connect, a customer token the store signed (`auth.token`, or `?token=` in the handshake URL for
  widgets that cannot pass socket.io's `auth`) binds the connection to that customer; without a valid
  one the visitor is a guest;
- session ids are issued and signed by us, bound to who holds them (the customer, or "guest"); a requested
  session is resumed only when it was issued to this connection's holder, otherwise a new one is issued;
- messages go to the conversation bound to the connection, whatever `session_id` the payload names, and
  carry the verified identity (`bot.identity.verified`) plus the widget's language, nothing else.

The room, the Rasa sender id and the conversation id are one and the same, "web:<session>", so that
Rasa's SocketIOOutput (which emits to room=recipient id) reaches exactly this conversation's browsers."""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.identity.conversation_ids import conversation_id
from bot.identity.customer_tokens import CustomerTokens
from bot.identity.session_ids import SessionIds
from bot.identity.verified import VerifiedIdentity, stamp
from bot.observability.masking import mask_id
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")


def holder_of(customer_id: Optional[str]) -> Optional[str]:
    """Whom a session id is bound to: "customer:<id>", or None (a guest)."""
    return f"customer:{customer_id}" if customer_id else None


def handshake_token(auth: object, environ: Mapping[str, Any]) -> Optional[str]:
    """The customer token a connection presents: socket.io's `auth.token`, else `token` in the query."""
    if isinstance(auth, Mapping) and isinstance(auth.get("token"), str) and auth["token"]:
        return auth["token"]
    values = parse_qs(str(environ.get("QUERY_STRING") or "")).get("token") or []
    return values[0] if values and values[0] else None


def resume_or_issue(sessions: SessionIds, requested: object, customer_id: Optional[str]) -> Tuple[str, str]:
    """The signed session id for this connection and its conversation id: the requested one when it was
    issued to this holder, a new one otherwise (made up, another customer's, a guest's for a customer)."""
    holder = holder_of(customer_id)
    part = sessions.verify(requested, holder)
    signed = requested if part else sessions.issue(holder)
    assert isinstance(signed, str)
    return signed, conversation_id("web", signed.split(".")[0])


def message_metadata(custom_data: object, customer_id: Optional[str]) -> Dict[str, Any]:
    """What a widget message carries on: its language (from the widget's customData) and who sent it."""
    if isinstance(custom_data, str):
        try:
            custom_data = json.loads(custom_data)
        except ValueError:
            custom_data = None
    language = custom_data.get("language") if isinstance(custom_data, Mapping) else None
    passed = {"language": language} if language in LANGUAGES else {}
    return stamp(passed, VerifiedIdentity("web", customer_id=customer_id))


class VerifiedSocketIOInput(SocketIOInput):
    """Keeps Rasa's channel name "socketio" (its output channel, `output_channel=latest`, the widget's path).
    Sessions always persist (rasa-webchat's `session_persistence: true`): a conversation outlives a page."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "VerifiedSocketIOInput":
        credentials = credentials or {}
        return cls(
            get_settings(),
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            metadata_key=credentials.get("metadata_key", "customData"),
        )

    def __init__(self, settings: Settings, user_message_evt: Text = "user_uttered",
                 bot_message_evt: Text = "bot_uttered", namespace: Optional[Text] = None,
                 socketio_path: Text = "/socket.io", metadata_key: Text = "customData") -> None:
        super().__init__(user_message_evt, bot_message_evt, namespace, True, socketio_path, None, "HS256",
                         metadata_key)
        self._tokens = CustomerTokens.from_settings(settings)
        self._sessions = SessionIds.from_settings(settings)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Origins are not checked here (as in Rasa's channel): a guest from anywhere learns nothing, and a
        # customer token is only in the store page's hands.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        hook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # Rasa's get_output_channel uses it (agent replies, output_channel=latest)
        namespace = self.namespace

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def bind(sid: Text, requested: object) -> str:
            """Binds the connection to a session (resumed or new), joins its room, confirms it."""
            state = await sio.get_session(sid, namespace=namespace)
            signed, conversation = resume_or_issue(self._sessions, requested, state.get("customer_id"))
            if state.get("conversation") and state["conversation"] != conversation:
                sio.leave_room(sid, state["conversation"], namespace=namespace)
            sio.enter_room(sid, conversation, namespace=namespace)
            state.update(conversation=conversation, session=signed)
            await sio.save_session(sid, state, namespace=namespace)
            await sio.emit("session_confirm", signed, room=sid, namespace=namespace)
            return conversation

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            claims = self._tokens.verify(handshake_token(auth, environ or {}))
            customer_id = claims.customer_id if claims else None
            await sio.save_session(sid, {"customer_id": customer_id}, namespace=namespace)
            logger.debug("web chat connection %s (%s)", sid, "signed in" if customer_id else "guest")
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, Mapping) else None
            await bind(sid, requested)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, Mapping) or not isinstance(data.get("message"), str):
                logger.warning("web chat message without text from connection %s ignored", sid)
                return
            state = await sio.get_session(sid, namespace=namespace)
            conversation = state.get("conversation") or await bind(sid, None)  # never the payload's session_id
            metadata = message_metadata(data.get(self.metadata_key), state.get("customer_id"))
            output = SocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(data["message"], output, conversation, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:
                logger.exception("web chat message of conversation %s failed", mask_id(conversation))

        return hook
