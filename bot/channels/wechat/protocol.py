"""WeChat's message protocol, without I/O: signatures (compared in constant time) and the timestamp
window, safe XML, what a message means to the bot, numbered options for buttons, and splitting long
replies. Crypto and parsing are wechatpy's."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message

MAX_BODY_BYTES = 64 * 1024
# WeChat's limit for a text message is 2048 bytes; keep a margin for the numbering and the XML.
MAX_TEXT_BYTES = 2000
UNSUPPORTED = "/unsupported_message"
GREET = "/greet"


class BadRequest(ValueError):
    """The request is not a well-formed WeChat message (answered with 400)."""


def _signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts, joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: Optional[str]) -> bool:
    """Constant-time: how much of a forged signature is right never shows in the answer's timing."""
    return hmac.compare_digest(expected.encode("ascii"), (given or "").encode("utf-8", "replace"))


def signature_ok(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """The request's `signature` (URL verification and every message) is WeChat's for our token."""
    return _same(_signature(token, timestamp or "", nonce or ""), signature)


def message_signature_ok(token: str, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
    """An encrypted message's `msg_signature` covers the ciphertext too."""
    return _same(_signature(token, timestamp or "", nonce or "", encrypt or ""), msg_signature)


def timestamp_fresh(timestamp: str, now: float, max_age_s: float) -> bool:
    """WeChat signs the time it sent the request: one older (or further ahead) than `max_age_s` is a
    replay of a captured request, or from a clock far off, and is refused."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs(now - sent) <= max_age_s


def check_xml(body: bytes) -> None:
    """Refuses what is not small, well-formed XML without DTDs or entities (XML bombs, XXE)."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("message too large")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise BadRequest(f"unsafe XML refused: {type(error).__name__}") from None
    except Exception as error:  # ParseError and friends
        raise BadRequest(f"malformed XML: {error}") from None
    if root.tag != "xml":
        raise BadRequest("not a WeChat message: the root element must be <xml>")


def encrypted_part(body: bytes) -> str:
    check_xml(body)
    root = fromstring(body, forbid_dtd=True)
    encrypt = root.findtext("Encrypt")
    if not encrypt:
        raise BadRequest("an encrypted message needs <Encrypt>")
    return encrypt


@dataclass(frozen=True)
class Inbound:
    openid: str
    account: str  # our official account's id (ToUserName)
    msg_type: str
    dedupe_key: str
    text: Optional[str]  # what the bot is told; None: nothing to answer (e.g. unsubscribe)
    raw: object  # wechatpy's message, for building the reply


def read_message(xml: str, menu: Dict[str, str]) -> Inbound:
    """Parses (already safety-checked) XML into what the assistant should hear."""
    check_xml(xml.encode("utf-8"))
    try:
        message = parse_message(xml)
    except Exception as error:
        raise BadRequest(f"not a WeChat message: {error}") from None
    if message is None or not getattr(message, "source", None):
        raise BadRequest("not a WeChat message: FromUserName is missing")
    kind = message.type
    root = fromstring(xml.encode("utf-8"), forbid_dtd=True)
    if kind == "event" or not root.findtext("MsgId"):
        # WeChat's rule for events is sender + CreateTime; the event and its key are added so that two
        # different events in the same second (a follow, then a menu click) are not taken for a retry.
        key = (f"event:{message.source}:{root.findtext('CreateTime') or ''}:"
               f"{(root.findtext('Event') or '').lower()}:{root.findtext('EventKey') or ''}")
    else:
        key = f"msg:{root.findtext('MsgId')}"
    text: Optional[str]
    if kind == "text":
        text = (message.content or "").strip() or None
    elif kind == "voice":
        text = (message.recognition or "").strip() or UNSUPPORTED
    elif kind == "event":
        event = getattr(message, "event", "")
        if event in ("subscribe", "subscribe_scan"):
            text = GREET
        elif event == "click":
            text = menu.get(message.key) or (message.key or None)
        else:  # unsubscribe, view, location reports…: nothing to say
            text = None
    else:  # image, video, location, link, file…
        text = UNSUPPORTED
    return Inbound(message.source, message.target, kind, key, text, message)


def with_numbered_options(messages: Sequence[dict]) -> Tuple[str, List[str]]:
    """One text for WeChat from the bot's messages; buttons become "1. …" lines the customer answers
    with the number. Returns the text and the payloads in the order of their numbers."""
    parts: List[str] = []
    payloads: List[str] = []
    for message in messages:
        text = (message.get("text") or "").strip()
        buttons = message.get("buttons") or message.get("quick_replies") or []
        lines = [text] if text else []
        for button in buttons:
            payloads.append(str(button.get("payload", "")))
            lines.append(f"{len(payloads)}. {button.get('title', '')}")
        if lines:
            parts.append("\n".join(lines))
    return "\n\n".join(parts), payloads


def option_payload(text: str, payloads: Sequence[str]) -> Optional[str]:
    """The payload of option `text` ("2", "２", "2." …), or None when it is not one of the numbers."""
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789")).rstrip(".。、")
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(payloads):
        return payloads[int(cleaned) - 1]
    return None


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> List[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at a line or sentence end where there is one."""
    pieces: List[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        boundary = max(window.rfind("\n"), *(window.rfind(p) + 1 for p in "。！？!?；;"))
        if boundary > cut // 2:
            cut = boundary
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _fit(text: str, limit: int) -> int:
    """The largest prefix length whose UTF-8 encoding fits in `limit` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > limit:
            return index
    return len(text)


_NUMBER_ONLY = re.compile(r"^\s*[0-9０-９]{1,2}[.。、]?\s*$")


def looks_like_option(text: str) -> bool:
    return bool(_NUMBER_ONLY.match(text or ""))
