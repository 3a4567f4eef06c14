"""Who a message comes from, as our channels verified it, carried in the message's metadata.

Only our input channels write `verified_identity`; each first removes whatever the caller put under
that key (and any `customer_id` or `customer_token`) from the metadata it received, so a caller can
claim nothing. `action_session_start` recognises a customer from this key and from nothing else."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from bot.identity.conversation_ids import CHANNELS

KEY = "verified_identity"
# Keys by which a caller might try to say who it is: never passed on from a caller's metadata.
RESERVED_KEYS = (KEY, "customer_id", "customer_token")
MAX_ID_CHARS = 128


@dataclass(frozen=True)
class VerifiedIdentity:
    """The channel a message came through, the store's customer it is signed in as (None for a guest)
    and the channel's own verified id of the sender (the WeChat openid), if any."""

    channel: str
    customer_id: Optional[str] = None
    external_id: Optional[str] = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None and self.external_id is None

    def as_metadata(self) -> Dict[str, Optional[str]]:
        return {"channel": self.channel, "customer_id": self.customer_id, "external_id": self.external_id}


def stamp(metadata: Optional[Mapping[str, Any]], identity: VerifiedIdentity) -> Dict[str, Any]:
    """The caller's metadata without any claim of identity, plus the identity this channel verified."""
    cleaned = {key: value for key, value in (metadata or {}).items()
               if isinstance(key, str) and key not in RESERVED_KEYS}
    cleaned[KEY] = identity.as_metadata()
    return cleaned


def identity_in(metadata: Optional[Mapping[str, Any]]) -> Optional[VerifiedIdentity]:
    """The identity a channel stamped on a message's (or a session's) metadata; None when there is none
    or it is malformed."""
    if not isinstance(metadata, Mapping):
        return None
    raw = metadata.get(KEY)
    if not isinstance(raw, Mapping) or raw.get("channel") not in CHANNELS:
        return None
    customer_id, external_id = raw.get("customer_id"), raw.get("external_id")
    for value in (customer_id, external_id):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS):
            return None
    return VerifiedIdentity(raw["channel"], customer_id, external_id)
