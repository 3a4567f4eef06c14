"""Decides what a customer may be told about an order, given who is asking."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from bot.customers.directory import CustomerDirectory, normalize_order_number

STATUS_NAMES = {
    "paid": ("已付款，待发货", "paid, waiting to ship"),
    "shipped": ("已发货，运输中", "shipped, on its way"),
    "delivered": ("已签收", "delivered"),
    "cancelled": ("已取消", "cancelled"),
    "returned": ("已退货退款", "returned and refunded"),
}


@dataclass(frozen=True)
class OrderAnswer:
    """Which response to send and the values it needs."""

    response: str
    values: Dict[str, str] = field(default_factory=dict)


def answer_order_query(
    directory: CustomerDirectory, raw_order_number: str, customer_id: Optional[str]
) -> OrderAnswer:
    """Full details to the order's owner; status only to an unidentified asker; nothing to anyone else."""
    number = normalize_order_number(raw_order_number)
    if number is None:
        return OrderAnswer("utter_order_not_found", {"order_number": raw_order_number.strip()})
    order = directory.find_order(number)
    if order is None:
        return OrderAnswer("utter_order_not_found", {"order_number": number})
    if customer_id and order.customer_id != customer_id:
        return OrderAnswer("utter_order_not_yours", {"order_number": number})
    if not customer_id:
        zh, en = STATUS_NAMES.get(order.status, (order.status, order.status))
        return OrderAnswer("utter_order_status_brief", {"order_number": number, "status_zh": zh, "status_en": en})
    return OrderAnswer(
        f"utter_order_status_{order.status}",
        {
            "order_number": number,
            "items": order.items,
            "carrier": order.carrier or "",
            "tracking_number": order.tracking_number or "",
        },
    )
