"""Loads the demo store's customers and orders from YAML; running it again updates rows in place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict

import yaml
from sqlalchemy import delete

from bot.customers.directory import ORDER_NUMBER_PATTERN
from bot.storage.database import Database
from bot.storage.models import ChannelIdentity, Customer, Order


class DemoDataError(ValueError):
    """The demo file is malformed; the message names the file and the record."""


@dataclass(frozen=True)
class LoadResult:
    customers: int
    orders: int


def load_demo_store(database: Database, path: Path) -> LoadResult:
    try:
        document: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise DemoDataError(f"{path}: not valid YAML: {error}") from error
    customers = document.get("customers") or []
    orders = document.get("orders") or []
    with database.session() as session, session.begin():
        for index, record in enumerate(customers):
            where = f"{path}: customers[{index}]"
            for key in ("id", "name"):
                if not record.get(key):
                    raise DemoDataError(f"{where}: missing '{key}'")
            if record.get("tier", "regular") not in ("regular", "vip"):
                raise DemoDataError(f"{where}: tier must be 'regular' or 'vip'")
            customer = session.get(Customer, record["id"]) or Customer(id=record["id"])
            customer.name = record["name"]
            customer.tier = record.get("tier", "regular")
            customer.language = record.get("language", "zh")
            customer.phone = str(record["phone"]) if record.get("phone") else None
            customer.email = record.get("email")
            session.add(customer)
            session.flush()
            session.execute(delete(ChannelIdentity).where(ChannelIdentity.customer_id == customer.id))
            for identity in record.get("identities") or []:
                session.add(
                    ChannelIdentity(
                        customer_id=customer.id, channel=identity["channel"], external_id=identity["external_id"]
                    )
                )
        for index, record in enumerate(orders):
            where = f"{path}: orders[{index}]"
            number = str(record.get("order_number", ""))
            if not ORDER_NUMBER_PATTERN.match(number):
                raise DemoDataError(f"{where}: order_number {number!r} is not GD followed by 10 digits")
            try:
                placed_at = datetime.strptime(str(record["placed_at"]), "%Y-%m-%d %H:%M")
                total_cents = round(float(record["total"]) * 100)
            except (KeyError, ValueError) as error:
                raise DemoDataError(f"{where}: bad or missing placed_at/total ({error})") from error
            order = session.get(Order, number) or Order(order_number=number)
            order.customer_id = record["customer"]
            order.status = record["status"]
            order.items = record["items"]
            order.total_cents = total_cents
            order.placed_at = placed_at
            order.carrier = record.get("carrier")
            order.tracking_number = record.get("tracking_number")
            session.add(order)
    return LoadResult(customers=len(customers), orders=len(orders))
