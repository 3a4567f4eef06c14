"""An agent puts an order on a customer's ticket from the console: the angry short path of the complaint
form asks only for a phone, so its ticket often has no order. The order must be that customer's: a
signed-in customer's own order, or, for a guest, an order placed with the phone left on the ticket."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from bot.complaints.tickets import TicketError, TicketService, TicketView
from bot.customers.directory import CustomerDirectory, OrderSummary, normalize_order_number
from bot.handoff.queue import HandoffQueue
from bot.handoff.records import HandoffError, HandoffView

RECENT_ORDERS = 10  # how many of a customer's orders the console offers to choose from


@dataclass(frozen=True)
class OrderOption:
    order_number: str
    items: str
    status: str
    placed_at: str  # ISO date


class TicketOrders:
    def __init__(self, queue: HandoffQueue, tickets: TicketService, customers: CustomerDirectory) -> None:
        self._queue = queue
        self._tickets = tickets
        self._customers = customers

    def options(self, handoff: HandoffView) -> List[OrderOption]:
        """The signed-in customer's recent orders to choose from; none for a guest (who types the number)."""
        if not handoff.customer_id:
            return []
        return [OrderOption(o.order_number, o.items, o.status, o.placed_at.date().isoformat())
                for o in self._customers.orders_of(handoff.customer_id)[:RECENT_ORDERS]]

    def attach(self, handoff: HandoffView, ticket_number: str, order_text: str, actor: str) -> TicketView:
        """Attaches the order to the ticket and shows it in the handoff's context; HandoffError says why not."""
        ticket = self._ticket_of(handoff, ticket_number)
        number = normalize_order_number(order_text)
        if number is None:
            raise HandoffError("an order number is GD followed by 10 digits")
        order = self._customers.find_order(number)
        if order is None or not self._belongs(order, handoff, ticket):
            raise HandoffError(f"order {number} is not this customer's")
        try:
            updated = self._tickets.attach_order(ticket.number, number, actor)
        except TicketError as error:
            raise HandoffError(str(error)) from None
        self._queue.update_context(handoff.id, lambda context: _with_order(context, updated))
        return updated

    def _ticket_of(self, handoff: HandoffView, ticket_number: str) -> TicketView:
        ticket = self._tickets.visible_to(str(ticket_number or ""), handoff.conversation_id, handoff.customer_id)
        if ticket is None:
            raise HandoffError("no such ticket in this conversation")
        return ticket

    def _belongs(self, order: OrderSummary, handoff: HandoffView, ticket: TicketView) -> bool:
        if handoff.customer_id:
            return order.customer_id == handoff.customer_id
        owner = self._customers.get_customer(order.customer_id)
        return bool(ticket.phone and owner and owner.phone and _digits(owner.phone) == _digits(ticket.phone))


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-11:]


def _with_order(context: Dict[str, Any], ticket: TicketView) -> Dict[str, Any]:
    for shown in context.get("tickets") or []:
        if isinstance(shown, dict) and shown.get("number") == ticket.number:
            shown["order_number"] = ticket.order_number
    return context


def order_json(option: OrderOption) -> Dict[str, Optional[str]]:
    return {"order_number": option.order_number, "items": option.items, "status": option.status,
            "placed_at": option.placed_at}
