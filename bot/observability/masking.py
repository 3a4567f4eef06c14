"""Masks phone numbers, ID-card numbers, e-mail addresses and customer ids for logs and screens."""
from __future__ import annotations

import logging
import re
from typing import Any

_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
# A mainland mobile number as people write it: 13812345678, 138 1234 5678, 138-1234-5678, with or without
# the country code (8613812345678, +86 138 1234 5678, 0086-138-1234-5678). The prefix and first three stay.
_CN_MOBILE = re.compile(r"(?<![\d+])((?:(?:\+|00)?86[ \-]?)?1[3-9]\d)[ \-]?\d{4}[ \-]?(\d{4})(?!\d)")
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


def mask_record(record: logging.LogRecord) -> None:
    """Masks personal data in a record's message, its formatted traceback and its stack, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is logged as it is rather than dropped
        message = None
    if message is not None:
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when it is set, so the traceback is written as masked here.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)


class MaskingFilter(logging.Filter):
    """Masks personal data in every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_masking() -> None:
    """Masks every record this process creates, whichever handler writes it: Rasa, Sanic and rasa_sdk
    set up their own handlers (some after we do), so the mask is applied when a record is made."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_pii", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        mask_record(record)
        return record

    masked_record.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


def configure_logging(level: str = "INFO") -> None:
    """Root logging with masking on every handler; called by entry points, never on import."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
    install_masking()
