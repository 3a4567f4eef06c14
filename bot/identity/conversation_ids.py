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


def channel_of(conversation: str) -> Optional[str]:
    """The channel a namespaced conversation id belongs to (None for an id from before namespacing)."""
    head = (conversation or "").split(":", 1)[0]
    return head if head in CHANNELS and ":" in conversation else None
