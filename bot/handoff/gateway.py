"""What the handoff needs from the conversation engine (Rasa) to tell a customer what agents did,
as Protocols: `bot.rasa` implements them (`RasaConversations`, `ConversationLog`) and the caller
passes them in, so `bot.handoff` never imports Rasa's side."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol

# A channel behind the conversation engine that knows a message can never reach its recipient (WeChat's
# 48-hour window has passed, the customer unfollowed) puts this mark in its error; the engine passes the
# error's text on, and the gateway turns it into `ConversationRefused`.
UNDELIVERABLE_MARK = "[undeliverable]"


class GatewayUnavailable(RuntimeError):
    """The conversation engine could not be reached or refused the call; what was asked stays pending."""


class ConversationRefused(GatewayUnavailable):
    """The engine, or the customer's channel behind it, refused this call for this conversation for good
    (a 4xx answer, a customer out of reach): trying again will not help."""


class ConversationGateway(Protocol):
    """Tells a conversation what happened; each call raises `GatewayUnavailable` when it cannot."""

    async def say(self, conversation_id: str, text: str, agent_name: str, reply_id: Optional[int] = None) -> None:
        """Delivers an agent's message to the customer, recorded in the conversation with its ``reply_id``."""

    async def has_reply(self, conversation_id: str, reply_id: int) -> bool:
        """Whether the conversation already holds the agent's message ``reply_id`` (it was delivered)."""

    async def pause_for_agent(self, conversation_id: str, agent_name: str) -> None:
        """The bot falls silent while the named agent has the conversation."""

    async def resume_bot(self, conversation_id: str) -> None:
        """The bot answers again."""

    async def return_to_queue(self, conversation_id: str) -> None:
        """The agent left (deactivated): the customer waits in the queue again, the bot keeps their place."""

    async def execute(self, conversation_id: str, action: str) -> None:
        """Runs one of the bot's actions or responses, as if the bot had chosen it."""


class TranscriptReader(Protocol):
    def messages_after(self, conversation_id: str, after_id: int = 0) -> List[Dict[str, Any]]:
        """Customer, bot and agent messages with an ``id``, those after ``after_id``."""
