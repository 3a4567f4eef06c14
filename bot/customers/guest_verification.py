"""How a guest (a visitor no channel could vouch for) proves an order or a ticket is theirs: its number
plus the last four digits of the phone on it. A few wrong tries, then a person takes over.

The state lives in two slots: `verification_pending` ("order:GD…" or "ticket:TK…", what the bot asked the
digits for) and `verification_failures` (wrong tries in this conversation, never reset, so guessing does not
restart by asking again). Digits are taken only as the answer to the bot's question: right after one of
the actions that ask (see `VERIFYING_ACTIONS`), in a short message whose only number is four digits (or a
whole phone number)."""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Optional

MAX_FAILURES = 3  # wrong tries per conversation before only a person can help
PENDING_SLOT = "verification_pending"
FAILURES_SLOT = "verification_failures"
KINDS = ("order", "ticket")
# The actions that ask for the digits (or say they were wrong and ask again) and the one that checks them.
VERIFY_ACTION = "action_verify_phone_digits"
VERIFYING_ACTIONS = ("action_check_order", "action_check_ticket", VERIFY_ACTION)
MAX_ANSWER_CHARS = 40
_DIGIT_RUNS = re.compile(r"\d+")
_PHONE = re.compile(r"^\+?[\d\s\-]{7,20}$")


@dataclass(frozen=True)
class Pending:
    """What the bot asked the digits for."""

    kind: str  # order | ticket
    number: str

    def encode(self) -> str:
        return f"{self.kind}:{self.number}"

    @classmethod
    def decode(cls, value: object) -> Optional["Pending"]:
        if not isinstance(value, str):
            return None
        kind, _, number = value.partition(":")
        return cls(kind, number) if kind in KINDS and number else None


def digits_in(text: str) -> Optional[str]:
    """The four digits a short answer gives ("5678", "尾号5678", "last four are 5678"), or the last four of
    a whole phone number; None for anything else (an order number, a date, a longer message)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_ANSWER_CHARS:
        return None
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        return digits[-4:] if len(digits) >= 7 else None
    runs = _DIGIT_RUNS.findall(text)
    if len(runs) == 1 and len(runs[0]) == 4 and not re.search(r"[A-Za-z]\d|\d[A-Za-z]", text):
        return runs[0]
    return None


def phone_matches(phone: Optional[str], digits: Optional[str]) -> bool:
    """Whether the phone on record ends with these four digits (compared in constant time)."""
    if not phone or not digits or len(digits) != 4 or not digits.isdigit():
        return False
    on_record = re.sub(r"\D", "", phone)[-4:]
    return len(on_record) == 4 and hmac.compare_digest(on_record, digits)


def is_locked(failures: object) -> bool:
    """Whether this conversation has used up its tries."""
    try:
        return int(float(failures or 0)) >= MAX_FAILURES
    except (TypeError, ValueError):
        return False


def takes_digits(pending: object, previous_action: Optional[str], active_loop: Optional[str], text: str) -> bool:
    """Whether this message answers the bot's request for the digits (and so goes to the verify action)."""
    return (Pending.decode(pending) is not None and previous_action in VERIFYING_ACTIONS and not active_loop
            and digits_in(text) is not None)
