"""`python -m bot complaints …`: the operator's view of complaint tickets."""
from __future__ import annotations

import argparse
import sys

from bot.settings import get_settings


def _service():
    from bot.complaints.tickets import TicketService
    from bot.storage.migrations import migrated_database

    settings = get_settings()
    return TicketService(migrated_database(settings), settings.sla_hours)


def cmd_list(args: argparse.Namespace) -> int:
    from bot.observability.masking import mask_pii

    settings = get_settings()
    tickets = _service().list(status=args.status, category=args.category)
    if not tickets:
        print("No tickets match.")
        return 0
    print(f"{'ticket':<14}{'status':<13}{'category':<13}{'severity':<10}{'emotion':<8}{'due (local)':<18}{'order':<14}phone")
    for t in tickets:
        due = settings.local_time(t.sla_due_at).strftime("%Y-%m-%d %H:%M")
        flag = " ESCALATED:" + (t.escalation_reason or "") if t.escalated else ""
        print(f"{t.number:<14}{t.status:<13}{t.category:<13}{t.severity:<10}{t.emotion_level:<8}{due:<18}"
              f"{t.order_number or '-':<14}{mask_pii(t.phone or '-')}{flag}")
        print(f"{'':<14}{mask_pii(t.description)[:100]}")
    return 0


def cmd_set_status(args: argparse.Namespace) -> int:
    from bot.complaints.tickets import TicketError

    service = _service()
    try:
        ticket = service.set_status(args.ticket, args.status, args.note, args.actor)
    except TicketError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"{ticket.number} is now {ticket.status}. History:")
    for item in service.history(ticket.number):
        print(f"  {item.at:%Y-%m-%d %H:%M} UTC  {item.status:<12} {item.actor:<12} {item.note or ''}")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    from bot.complaints.rules import CATEGORIES
    from bot.complaints.tickets import STATUSES

    complaints = commands.add_parser("complaints", help="list complaint tickets and change their status")
    sub = complaints.add_subparsers(dest="complaints_command", required=True)
    listing = sub.add_parser("list", help="tickets by SLA deadline")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--category", choices=CATEGORIES)
    listing.set_defaults(func=cmd_list)
    change = sub.add_parser("set-status", help="change a ticket's status (recorded in its history)")
    change.add_argument("ticket")
    change.add_argument("status", choices=STATUSES)
    change.add_argument("--note")
    change.add_argument("--actor", default="operator")
    change.set_defaults(func=cmd_set_status)
