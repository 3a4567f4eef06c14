"""The few calls the agent console makes to Rasa's HTTP API (the server runs with --enable-api).

Messages reach the customer through Rasa, on the channel the customer last wrote from
(``output_channel=latest``), and are recorded in the conversation like any bot message."""
from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot.handoff.gateway import GatewayUnavailable


class RasaUnavailable(GatewayUnavailable):
    """Rasa could not be reached or refused the call; the message says which."""


class RasaConversations:
    """Rasa's side of `bot.handoff.gateway.ConversationGateway`: how agents' actions reach a conversation."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self._base}/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def _post(self, url: str, body: Any) -> Any:
        try:
            async with self._session.post(url, json=body, timeout=self._timeout) as response:
                if response.status >= 400:
                    raise RasaUnavailable(f"Rasa answered {response.status}: {(await response.text())[:200]}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
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
