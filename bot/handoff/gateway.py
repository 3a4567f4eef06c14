"""What the handoff needs from the conversation engine (Rasa) to tell a customer what agents did,
as Protocols: `bot.rasa` implements them (`RasaConversations`, `ConversationLog`) and the caller
passes them in, so `bot.handoff` never imports Rasa's side."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol


class GatewayUnavailable(RuntimeError):
    """The conversation engine could not be reached or refused the call; what was asked stays pending."""


class ConversationGateway(Protocol):
    """Tells a conversation what happened; each call raises `GatewayUnavailable` when it cannot."""

    async def say(self, conversation_id: str, text: str, agent_name: str, reply_id: Optional[int] = None) -> None:
        """Delivers an agent's message to the customer, recorded in the conversation."""

    async def pause_for_agent(self, conversation_id: str, agent_name: str) -> None:
        """The bot falls silent while the named agent has the conversation."""

    async def resume_bot(self, conversation_id: str) -> None:
        """The bot answers again."""

    async def execute(self, conversation_id: str, action: str) -> None:
        """Runs one of the bot's actions or responses, as if the bot had chosen it."""


class TranscriptReader(Protocol):
    def messages_after(self, conversation_id: str, after_id: int = 0) -> List[Dict[str, Any]]:
        """Customer, bot and agent messages with an ``id``, those after ``after_id``."""
