"""Looks up who a customer is and what they ordered, as plain dataclasses."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import ChannelIdentity, Customer, Order

ORDER_NUMBER_PATTERN = re.compile(r"^GD\d{10}$")


@dataclass(frozen=True)
class CustomerProfile:
    id: str
    name: str
    tier: str
    language: str
    phone: Optional[str]

    @property
    def is_vip(self) -> bool:
        return self.tier == "vip"


@dataclass(frozen=True)
class OrderSummary:
    order_number: str
    customer_id: str
    status: str
    items: str
    total: str
    placed_at: datetime
    carrier: Optional[str]
    tracking_number: Optional[str]


def normalize_order_number(text: str) -> Optional[str]:
    """Upper-cases and strips an order number; None when it is not in the store's format."""
    candidate = re.sub(r"[\s#＃]", "", text or "").upper()
    return candidate if ORDER_NUMBER_PATTERN.match(candidate) else None


class CustomerDirectory:
    """Read access to customers and orders."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def find_by_identity(self, external_id: str, channel: Optional[str] = None) -> Optional[CustomerProfile]:
        """The customer known by `external_id` on `channel` (on any channel when None)."""
        query = select(Customer).join(ChannelIdentity).where(ChannelIdentity.external_id == external_id)
        if channel:
            query = query.where(ChannelIdentity.channel == channel)
        with self._db.session() as session:
            customer = session.execute(query.limit(1)).scalars().first()
            return _profile(customer) if customer else None

    def get_customer(self, customer_id: str) -> Optional[CustomerProfile]:
        with self._db.session() as session:
            customer = session.get(Customer, customer_id)
            return _profile(customer) if customer else None

    def find_order(self, order_number: str) -> Optional[OrderSummary]:
        with self._db.session() as session:
            order = session.get(Order, order_number)
            return _order(order) if order else None

    def orders_of(self, customer_id: str) -> List[OrderSummary]:
        query = select(Order).where(Order.customer_id == customer_id).order_by(Order.placed_at.desc())
        with self._db.session() as session:
            return [_order(o) for o in session.execute(query).scalars()]


def _profile(customer: Customer) -> CustomerProfile:
    return CustomerProfile(
        id=customer.id, name=customer.name, tier=customer.tier, language=customer.language, phone=customer.phone
    )


def _order(order: Order) -> OrderSummary:
    return OrderSummary(
        order_number=order.order_number,
        customer_id=order.customer_id,
        status=order.status,
        items=order.items,
        total=f"{order.total_cents / 100:.2f}",
        placed_at=order.placed_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
    )
