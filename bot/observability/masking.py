"""Masks phone numbers, ID-card numbers, e-mail addresses and customer ids for logs and screens."""
from __future__ import annotations

import logging
import re

_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_CN_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_INTL_PHONE = re.compile(r"(?<![\w])(\+\d{2,3})[\d \-]{4,10}(\d{3})(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def mask_pii(text: str) -> str:
    """The text with personal data replaced: 13812345678 -> 138****5678."""
    text = _ID_CARD.sub(r"\1********\2", text)
    text = _CN_MOBILE.sub(r"\1****\2", text)
    text = _INTL_PHONE.sub(r"\1****\2", text)
    return _EMAIL.sub(r"\1***\2", text)


def mask_id(identifier: str) -> str:
    """A customer or sender id shortened so logs can be correlated without exposing it."""
    if not identifier:
        return identifier
    if len(identifier) <= 6:
        return identifier[0] + "***"
    return f"{identifier[:3]}***{identifier[-3:]}"


class MaskingFilter(logging.Filter):
    """Masks personal data in every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is rather than dropped
            return True
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Root logging with masking on every handler; called by entry points, never on import."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
