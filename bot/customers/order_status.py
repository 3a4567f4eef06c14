"""Decides what a customer may be told about an order, given who is asking: the owner sees everything,
another signed-in customer nothing, a guest the status alone once the phone's last four digits match."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from bot.customers.directory import CustomerDirectory, normalize_order_number
from bot.customers.guest_verification import Pending, phone_matches

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
    pending: Optional[Pending] = None  # the bot now asks a guest for the phone's last four digits


def answer_order_query(
    directory: CustomerDirectory, raw_order_number: str, customer_id: Optional[str]
) -> OrderAnswer:
    """Full details to the order's owner; nothing to another customer; a guest is asked for the last four
    digits of the phone on the order (whether or not it exists: the question itself reveals nothing)."""
    number = normalize_order_number(raw_order_number)
    if number is None:
        return OrderAnswer("utter_order_not_found", {"order_number": raw_order_number.strip()})
    if not customer_id:
        return OrderAnswer("utter_verify_ask_order_digits", {"order_number": number}, Pending("order", number))
    order = directory.find_order(number)
    if order is None:
        return OrderAnswer("utter_order_not_found", {"order_number": number})
    if order.customer_id != customer_id:
        return OrderAnswer("utter_order_not_yours", {"order_number": number})
    return OrderAnswer(
        f"utter_order_status_{order.status}",
        {
            "order_number": number,
            "items": order.items,
            "carrier": order.carrier or "",
            "tracking_number": order.tracking_number or "",
        },
    )


def answer_guest_order_query(directory: CustomerDirectory, order_number: str, digits: str) -> Optional[OrderAnswer]:
    """The order's status for a guest who gave the last four digits of the phone on it; None (and nothing
    said about the order, not even whether it exists) when they do not match."""
    number = normalize_order_number(order_number)
    order = directory.find_order(number) if number else None
    if order is None:
        return None
    customer = directory.get_customer(order.customer_id)
    if not phone_matches(customer.phone if customer else None, digits):
        return None
    zh, en = STATUS_NAMES.get(order.status, (order.status, order.status))
    return OrderAnswer("utter_order_status_brief", {"order_number": order.order_number, "status_zh": zh,
                                                    "status_en": en})
