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
Rasa's SocketIOOutput (which emits to room=recipient id) reaches exactly this conversation's browsers.

A new connection and a new session cost nothing, so each client address may make at most
BOT_RATE_PER_ADDRESS connections, session requests and messages a minute together (a sliding window of
bot/shared_state; the address as in bot/rasa/request_limits.py: behind a proxy on this machine, its
X-Forwarded-For): past that a connection is
refused, a session request ends the connection, and a message is answered utter_slow_down.

Several replicas (cluster mode, BOT_REDIS_URL): the socket.io server publishes its room emits through Redis
(bot/shared_state/socketio_manager.py), so an agent's reply executed by any Rasa replica reaches the
customer's socket on whichever replica holds it. What stays in one process is only what belongs to one
connection (its socket.io session: customer, address, conversation), which stays on one replica (sticky
routing); answers to one connection (session_confirm, slow down) go to it directly, not through Redis. Signed
session ids are checked from their signature alone, so a reconnect to another replica resumes the same
conversation; the per-address count is kept in Redis, shared by every replica."""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple
from urllib.parse import parse_qs

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from bot.identity.conversation_ids import conversation_id
from bot.identity.customer_tokens import CustomerTokens
from bot.identity.session_ids import SessionIds
from bot.identity.verified import VerifiedIdentity, stamp
from bot.observability.masking import mask_id
from bot.rasa.domain_responses import response_choice
from bot.rasa.message_guard import SLOW_DOWN_RESPONSE
from bot.rasa.request_limits import WINDOW_S, client_address
from bot.settings import Settings, get_settings
from bot.shared_state.factory import shared_async_windows
from bot.shared_state.socketio_manager import socketio_manager

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


def connection_address(environ: Mapping[str, Any]) -> str:
    """The client address of a socket.io connection. Engine.io's environ says REMOTE_ADDR 127.0.0.1 for every
    client under Sanic, so the address is the Sanic request's peer, or a loopback proxy's X-Forwarded-For
    entry, as for the webhooks."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) if request is not None else None
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    return client_address(str(peer or ""), forwarded if isinstance(forwarded, str) else None)


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
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads: no language
            custom_data = None
    language = custom_data.get("language") if isinstance(custom_data, Mapping) else None
    passed = {"language": language} if language in LANGUAGES else {}
    return stamp(passed, VerifiedIdentity("web", customer_id=customer_id))


AGENT_CLASS = "rw-from-agent"  # the widget's class for an agent's message (bot/web/static/store.css)


def speaker_style(agent: object) -> Optional[Dict[str, str]]:
    """What the widget is told about who wrote a message: rasa-webchat adds a top-level `customCss` of
    style "class" to the message's classes and keeps it on the message, where the page reads the agent's
    name (bot/web/static/store.js). None for the assistant's own messages."""
    if not isinstance(agent, str) or not agent.strip():
        return None
    return {"style": "class", "css": AGENT_CLASS, "agent": agent.strip()[:40]}


class SpeakerSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, naming the agent on an agent's messages (their metadata says `agent`)."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        style = speaker_style(kwargs.get("agent"))
        if style is None:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        for message_part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": message_part, "customCss": style})


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
        # connections, sessions and messages of one address, counted together by every replica
        self._per_address = shared_async_windows(settings, "rate:webchat", settings.rate_per_address, WINDOW_S)
        self._settings = settings
        self._default_language = settings.default_language

    def get_output_channel(self) -> Optional[OutputChannel]:
        """What agents' messages and the console's steps go out through (`output_channel=latest`)."""
        return SpeakerSocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Origins are not checked here (as in Rasa's channel): a guest from anywhere learns nothing, and a
        # customer token is only in the store page's hands.
        manager = socketio_manager(self._settings)  # None: in this process (the embedded default)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=manager)
        hook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # Rasa's get_output_channel uses it (agent replies, output_channel=latest)
        namespace = self.namespace

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        if manager is not None:
            @hook.listener("after_server_start")
            async def listen_to_other_replicas(_app: Any, _loop: Any) -> None:
                """python-socketio starts listening on Redis at the first connection; a replica listens from
                its start instead, so that nothing published before that first connection is missed."""
                if not sio.manager_initialized:
                    sio.manager_initialized = True
                    sio.manager.initialize()

        async def bind(sid: Text, requested: object) -> str:
            """Binds the connection to a session (resumed or new), joins its room, confirms it."""
            state = await sio.get_session(sid, namespace=namespace)
            signed, conversation = resume_or_issue(self._sessions, requested, state.get("customer_id"))
            if state.get("conversation") and state["conversation"] != conversation:
                sio.leave_room(sid, state["conversation"], namespace=namespace)
            sio.enter_room(sid, conversation, namespace=namespace)
            state.update(conversation=conversation, session=signed)
            await sio.save_session(sid, state, namespace=namespace)
            await sio.emit("session_confirm", signed, room=sid, namespace=namespace, ignore_queue=True)
            return conversation

        async def allowed(sid: Text, what: str) -> bool:
            """Counts one event of this connection's address; False (logged) when the address is over its limit."""
            address = (await sio.get_session(sid, namespace=namespace)).get("address") or "unknown"
            if await self._per_address.admit(address) is None:
                return True
            logger.warning("web chat: more than %d connections, sessions and messages a minute from one address "
                           "(%s refused)", self._per_address.limit, what)
            return False

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            address = connection_address(environ or {})
            wait = await self._per_address.admit(address)
            if wait is not None:
                logger.warning("web chat: more than %d connections, sessions and messages a minute from one "
                               "address (connection refused)", self._per_address.limit)
                raise SocketRefused({"error": "too_many_requests", "retry_after": wait})
            claims = self._tokens.verify(handshake_token(auth, environ or {}))
            customer_id = claims.customer_id if claims else None
            await sio.save_session(sid, {"customer_id": customer_id, "address": address}, namespace=namespace)
            logger.debug("web chat connection %s (%s)", sid, "signed in" if customer_id else "guest")
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            if not await allowed(sid, "session request"):
                await sio.disconnect(sid, namespace=namespace)
                return
            requested = data.get("session_id") if isinstance(data, Mapping) else None
            await bind(sid, requested)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not await allowed(sid, "message"):
                custom = data.get(self.metadata_key) if isinstance(data, Mapping) else None
                language = message_metadata(custom, None).get("language") or self._default_language
                text = response_choice(None, SLOW_DOWN_RESPONSE, language)
                if text:
                    await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace,
                                   ignore_queue=True)
                return
            if not isinstance(data, Mapping) or not isinstance(data.get("message"), str):
                logger.warning("web chat message without text from connection %s ignored", sid)
                return
            state = await sio.get_session(sid, namespace=namespace)
            conversation = state.get("conversation") or await bind(sid, None)  # never the payload's session_id
            metadata = message_metadata(data.get(self.metadata_key), state.get("customer_id"))
            output = SpeakerSocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(data["message"], output, conversation, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:
                logger.exception("web chat message of conversation %s failed", mask_id(conversation))

        return hook
