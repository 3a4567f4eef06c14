"""The few calls the agent console makes to Rasa's HTTP API (the server runs with --enable-api).

Messages reach the customer through Rasa, on the channel the customer last wrote from
(``output_channel=latest``), and are recorded in the conversation like any bot message."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot.handoff.gateway import UNDELIVERABLE_MARK, ConversationRefused, GatewayUnavailable

# Answers that say something about Rasa's state or ours (auth, rate, timeouts), not about the conversation.
_TRANSIENT_4XX = (401, 403, 408, 409, 425, 429)


class RasaUnavailable(GatewayUnavailable):
    """Rasa could not be reached or refused the call; the message says which."""


class RasaRefused(RasaUnavailable, ConversationRefused):
    """Rasa refused the call for this conversation for good (a 4xx, or the channel's "undeliverable")."""


class RasaConversations:
    """Rasa's side of `bot.handoff.gateway.ConversationGateway`: how agents' actions reach a conversation."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, timeout_s: float = 10.0,
                 token: str = "") -> None:
        self._base = base_url.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        # Rasa's HTTP API takes its token (BOT_RASA_TOKEN) as the `token` query parameter.
        self._params = {"token": token} if token else None

    def _url(self, conversation_id: str, tail: str) -> str:
        # ":" stays as it is: Rasa's server (Sanic) does not decode the id in the path, and conversation
        # ids are namespaced by channel ("rest:shop:42", "web:…", "wechat:…", bot/identity/conversation_ids.py).
        return f"{self._base}/conversations/{quote(conversation_id, safe=':@')}/{tail}"

    async def _post(self, url: str, body: Any) -> Any:
        return await self._call("POST", url, body)

    async def _call(self, method: str, url: str, body: Any = None) -> Any:
        try:
            async with self._session.request(method, url, json=body, params=self._params,
                                             timeout=self._timeout) as response:
                if response.status >= 400:
                    raise _refusal(response.status, await response.text())
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa is not reachable: {error}") from error

    async def append(self, conversation_id: str, events: List[Dict[str, Any]], deliver: bool = False) -> None:
        """Adds events to the conversation; with ``deliver`` the bot messages among them are sent."""
        query = "?output_channel=latest&execute_side_effects=true" if deliver else ""
        await self._post(self._url(conversation_id, "tracker/events" + query), events)

    async def execute(self, conversation_id: str, action: str) -> None:
        """Runs an action (e.g. a response) as if the bot had chosen it, delivering what it says, then
        listens, as Rasa does after its own actions: the customer's next message starts a clean turn,
        and a fallback's rewind of that message cannot undo what came before (a resume, say)."""
        await self._post(self._url(conversation_id, "execute?output_channel=latest"), {"name": action})
        await self.append(conversation_id, [{"event": "action", "name": "action_listen"}])

    async def say(self, conversation_id: str, text: str, agent_name: str, reply_id: Optional[int] = None) -> None:
        metadata = {"agent": agent_name, "reply_id": reply_id}
        await self.append(conversation_id, [{"event": "bot", "text": text, "metadata": metadata}], deliver=True)

    async def has_reply(self, conversation_id: str, reply_id: int) -> bool:
        """Reads the whole tracker (every session): a bot event carrying the reply's id means it went out."""
        tracker = await self._call("GET", self._url(conversation_id, "tracker?include_events=ALL"))
        return any(event.get("event") == "bot" and (event.get("metadata") or {}).get("reply_id") == reply_id
                   for event in (tracker or {}).get("events") or [])

    async def pause_for_agent(self, conversation_id: str, agent_name: str) -> None:
        await self.append(conversation_id, [
            {"event": "pause"},
            {"event": "slot", "name": "handoff_state", "value": "claimed"},
            {"event": "slot", "name": "handoff_agent", "value": agent_name},
        ])

    async def resume_bot(self, conversation_id: str) -> None:
        await self.append(conversation_id, [
            {"event": "resume"},
            {"event": "slot", "name": "handoff_state", "value": None},
            {"event": "slot", "name": "handoff_agent", "value": None},
            {"event": "slot", "name": "handoff_number", "value": None},
        ])

    async def return_to_queue(self, conversation_id: str) -> None:
        await self.append(conversation_id, [
            {"event": "resume"},
            {"event": "slot", "name": "handoff_state", "value": "queued"},
            {"event": "slot", "name": "handoff_agent", "value": None},
        ])


def _refusal(status: int, body: str) -> RasaUnavailable:
    """A 4xx about the conversation, or a channel's "undeliverable" passed on in a 500, is for good;
    anything else (Rasa restarting, our token refused) is worth trying again."""
    message = f"Rasa answered {status}: {body[:300]}"
    if UNDELIVERABLE_MARK in body or (400 <= status < 500 and status not in _TRANSIENT_4XX):
        return RasaRefused(message)
    return RasaUnavailable(message)
