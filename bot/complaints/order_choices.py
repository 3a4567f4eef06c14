"""A signed-in customer's recent orders as one-tap answers to "which order is it about?", so that even the
angry short path of the complaint form, which asks as little as it can, ends with the order on the ticket."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional

from bot.customers.directory import CustomerDirectory

# What a button's payload sets: the order_number entity, which the complaint form takes as its order.
NO_ORDER = "none"  # read as "skip" by the form (bot.complaints.validation.is_skip)
_TITLE_ITEMS_CHARS = 24


@dataclass(frozen=True)
class OrderChoice:
    order_number: str
    title: str  # what the button says: the number, the date and what was in it
    payload: str


def payload_for(order_number: str) -> str:
    return "/inform" + json.dumps({"order_number": order_number}, ensure_ascii=False)


def recent_order_choices(directory: CustomerDirectory, customer_id: Optional[str], limit: int) -> List[OrderChoice]:
    """The customer's latest `limit` orders, newest first; none for a guest."""
    if not customer_id or limit <= 0:
        return []
    choices = []
    for order in directory.orders_of(customer_id)[:limit]:
        items = order.items if len(order.items) <= _TITLE_ITEMS_CHARS else order.items[:_TITLE_ITEMS_CHARS - 1] + "…"
        title = f"{order.order_number} · {order.placed_at:%m-%d} · {items}"
        choices.append(OrderChoice(order.order_number, title, payload_for(order.order_number)))
    return choices


def no_order_choice(title: str) -> OrderChoice:
    """The button for "it is not about an order"."""
    return OrderChoice(NO_ORDER, title, payload_for(NO_ORDER))
