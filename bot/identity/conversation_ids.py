"""Conversation (sender) ids are namespaced by channel, so that no channel can reach another's
conversations: a REST caller naming "wechat:o123" still lands in "rest:<integration>:wechat:o123"."""
from __future__ import annotations

import re
from typing import Optional

CHANNELS = ("web", "rest", "wechat")
_SAFE = re.compile(r"[^0-9A-Za-z_.:@\-]")
MAX_LOCAL_ID = 128


def conversation_id(channel: str, local_id: str) -> str:
    """`channel:local_id`, with the local part cleaned of anything but plain id characters."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    local = _SAFE.sub("_", str(local_id or ""))[:MAX_LOCAL_ID]
    if not local:
        raise ValueError("a conversation needs a local id")
    return f"{channel}:{local}"


def is_plain_local_id(local_id: str) -> bool:
    """Whether `conversation_id` would keep this local id as it is (nothing replaced, nothing cut off)."""
    return bool(local_id) and len(local_id) <= MAX_LOCAL_ID and not _SAFE.search(local_id)


def channel_of(conversation: str) -> Optional[str]:
    """The channel a namespaced conversation id belongs to (None for an id from before namespacing)."""
    head = (conversation or "").split(":", 1)[0]
    return head if head in CHANNELS and ":" in conversation else None


def local_id_of(conversation: str, channel: str) -> Optional[str]:
    """The channel's own id inside a conversation id of that channel ("wechat:o123" -> "o123"); None for
    a conversation of another channel."""
    if channel_of(conversation) != channel:
        return None
    return conversation.split(":", 1)[1] or None
