"""Conversation (sender) ids are namespaced by channel, so that no channel can reach another's
conversations: a REST caller naming "wechat:o123" still lands in "rest:<integration>:guest:wechat:o123".

A REST conversation also names whom it is verified to be
("rest:<integration>:<customer id or guest>:<sender>"): the same sender with another customer's token, or
with none, is another conversation, so a conversation begun as one customer never goes on as another (nor
as a guest, who would inherit what the customer was shown)."""
from __future__ import annotations

import hashlib
import re
from typing import Optional

CHANNELS = ("web", "rest", "wechat")
_SAFE = re.compile(r"[^0-9A-Za-z_.:@\-]")
MAX_LOCAL_ID = 128
GUEST = "guest"
# A customer id that can stand in a REST conversation id as it is; any other is replaced by a digest, which
# has a "." that such an id cannot have (so no customer id can pass for another, nor for "guest").
_PLAIN_CUSTOMER = re.compile(r"^[0-9A-Za-z_@\-]{1,32}$")


def conversation_id(channel: str, local_id: str) -> str:
    """`channel:local_id`, with the local part cleaned of anything but plain id characters."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    local = _SAFE.sub("_", str(local_id or ""))[:MAX_LOCAL_ID]
    if not local:
        raise ValueError("a conversation needs a local id")
    return f"{channel}:{local}"


def rest_holder(customer_id: Optional[str]) -> str:
    """Who a REST conversation is verified to be, as its id names it: "guest", the customer id when it is
    short and plain, else "c." and a digest of it."""
    if customer_id is None:
        return GUEST
    if customer_id != GUEST and _PLAIN_CUSTOMER.match(customer_id):
        return customer_id
    return "c." + hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:24]


def rest_local_id(integration: str, sender: str, customer_id: Optional[str]) -> str:
    """The local part of a REST conversation id: "<integration>:<holder>:<sender>" (check it with
    `is_plain_local_id` before use: a long sender may leave it too long)."""
    return f"{integration}:{rest_holder(customer_id)}:{sender}"


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
