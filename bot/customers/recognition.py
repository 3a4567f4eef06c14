"""Recognises the customer behind a conversation from the identity a channel verified, and only from it:
never from a sender id or a customer id a caller wrote into the metadata."""
from __future__ import annotations

from typing import Optional

from bot.customers.directory import CustomerDirectory, CustomerProfile
from bot.identity.verified import VerifiedIdentity

# Channels whose own verified id (`external_id`) is a customer's identity in the store's records.
IDENTITY_CHANNELS = ("wechat",)


def recognise(directory: CustomerDirectory, identity: Optional[VerifiedIdentity]) -> Optional[CustomerProfile]:
    """The signed-in customer the identity names, or the customer known by its WeChat openid; else None."""
    if identity is None:
        return None
    if identity.customer_id:
        return directory.get_customer(identity.customer_id)
    if identity.external_id and identity.channel in IDENTITY_CHANNELS:
        return directory.find_by_identity(identity.external_id, identity.channel)
    return None
