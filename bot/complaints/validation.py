"""Checks what a customer types into the complaint form."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.customers.directory import CustomerDirectory

_SKIP = re.compile(
    r"^(没有|无|没|不知道|忘了|跳过|不用|算了吧|不方便|skip|none|no|n/?a|don't know|dont know|not sure|no order|nope)[\s。.!！]*$",
    re.IGNORECASE,
)
_CN_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_INTL = re.compile(r"(\+\d{1,3})[\s-]?(\d[\d\s-]{6,13}\d)")


def is_skip(text: str) -> bool:
    """The customer declines to give an optional detail."""
    return bool(_SKIP.match((text or "").strip()))


def normalize_phone(text: str) -> Optional[str]:
    """A mainland mobile (11 digits, 1[3-9]…) or an international number with +country code."""
    compact = re.sub(r"[\s-]", "", text or "")
    match = _CN_MOBILE.search(compact)
    if match:
        return match.group(1)
    match = _INTL.search(text or "")
    if match:
        digits = re.sub(r"\D", "", match.group(2))
        if 6 <= len(digits) <= 14:
            return match.group(1) + digits
    return None


def is_meaningful_description(text: str) -> bool:
    """More than "I want to complain": something that says what happened."""
    stripped = re.sub(r"[\s\W_]+", "", text or "")
    if len(stripped) < 6:
        return False
    generic = r"^(我要投诉|我想投诉|投诉|要投诉你们|我要投诉你们|iwanttocomplain|iwanttomakeacomplaint|complaint|makeacomplaint)$"
    return not re.match(generic, stripped.lower())


# While the complaint form asks what happened, these are not part of the account.
NOT_AN_ACCOUNT = frozenset({"cancel", "request_human", "greet", "goodbye", "thanks", "bot_challenge"})


def is_description_turn(active_loop: Optional[str], requested_slot: Optional[str], intent: Optional[str],
                        text: str) -> bool:
    """While the complaint form asks what happened, what the customer writes is their account, even
    when it reads like a question or a status check ("快递三天了还没到，这是怎么回事？"): the form
    takes it instead of the knowledge base or the ticket lookup answering it. Not when they cancel,
    ask for a person, greet or say goodbye, press a button, or say too little to be an account."""
    if active_loop != "complaint_form" or requested_slot != "complaint_description":
        return False
    if intent in NOT_AN_ACCOUNT or text.startswith("/"):
        return False
    return is_meaningful_description(text)


SKIPPED = "skipped"


@dataclass(frozen=True)
class OrderCheck:
    """The value to store for the complaint's order (None: ask again) and the response that says why."""

    value: Optional[str]
    response: Optional[str] = None
    order_number: Optional[str] = None


def check_complaint_order(text: str, directory: CustomerDirectory, customer_id: Optional[str]) -> OrderCheck:
    """A GD order number of this customer's, a skip, or a reason to ask again.

    Another customer's order is answered like an unknown one, so its existence is not revealed."""
    text = (text or "").strip()
    match = re.search(r"gd\s*\d{10}", text, re.IGNORECASE)
    if not match:
        return OrderCheck(SKIPPED) if is_skip(text) else OrderCheck(None, "utter_complaint_order_invalid")
    number = re.sub(r"\s", "", match.group(0)).upper()
    order = directory.find_order(number)
    if order is None or (customer_id and order.customer_id != customer_id):
        return OrderCheck(None, "utter_complaint_order_not_found", number)
    return OrderCheck(number)
