"""Hygiene of every customer message, whatever the channel, in one place: the Rasa server.

- Payload shortcuts. Rasa takes a text like `/intent{"entity": "value"}` as that intent with those
  entities, without reading it. A customer's text counts as a shortcut only when it is one of the buttons
  the bot offered since the customer last spoke, or a standing payload that any customer can send anyway
  (the web chat's start, WeChat's "not a text" and its menu); anything else is read as the text it is.
  Entities of an accepted shortcut are checked (emotion level, scores in range) and dropped when wrong.
- Length. A message over BOT_MAX_MESSAGE_CHARS is not read: it becomes intent `message_too_long` (a rule
  answers utter_message_too_long in the customer's language) and only its first characters are stored.
- Rate. More than BOT_RATE_PER_SENDER messages a minute in one conversation: the customer is answered
  utter_slow_down and the message goes no further (nothing is parsed, run or stored). Counted in a sliding
  window of bot/shared_state: in Redis in cluster mode, so a conversation's messages count together
  whichever replica they reach.

The rules are plain functions below; `install_message_guard` (called by bot/rasa/server_entry.py for
`rasa run`) wraps Rasa's `MessageProcessor.parse_message` and `Agent.handle_message` with them."""
from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set

import yaml

from bot.observability.masking import mask_id
from bot.rasa.domain_responses import response_choice
from bot.rasa.request_limits import WINDOW_S
from bot.settings import Settings
from bot.shared_state.factory import shared_async_windows
from bot.text.language import detect_language

logger = logging.getLogger(__name__)

PAYLOAD_PREFIX = "/"
WIDGET_START_PAYLOAD = "/greet"  # the web chat's initPayload (bot/web/static/store.html); WeChat's follow event
NOT_TEXT_PAYLOAD = "/unsupported_message"  # WeChat: an image, a video, a location…
STANDING_PAYLOADS: FrozenSet[str] = frozenset({WIDGET_START_PAYLOAD, NOT_TEXT_PAYLOAD})
TOO_LONG_INTENT = "message_too_long"
SLOW_DOWN_RESPONSE = "utter_slow_down"
EXTRACTOR = "MessageGuard"
EMOTION_LEVELS = ("calm", "upset", "angry")
RATINGS = range(1, 6)
_PAYLOAD_ENTITIES = re.compile(r"\{.*\}", re.DOTALL)


# -- payload shortcuts ---------------------------------------------------------------------------------


def is_payload(text: Optional[str]) -> bool:
    """Whether Rasa would take the text as a shortcut (it strips the text first)."""
    return bool(text) and text.strip().startswith(PAYLOAD_PREFIX)  # type: ignore[union-attr]


def offered_payloads(newest_first: Iterable[Mapping[str, Any]]) -> Set[str]:
    """The button payloads of the bot's messages since the customer last spoke, from the conversation's
    events newest first ({"event": "bot", "data": {"buttons": […]}}, {"event": "user"}, …)."""
    offered: Set[str] = set()
    for event in newest_first:
        kind = event.get("event")
        if kind == "user":
            break
        if kind != "bot":
            continue
        data = event.get("data") or {}
        for button in list(data.get("buttons") or []) + list(data.get("quick_replies") or []):
            payload = button.get("payload") if isinstance(button, Mapping) else None
            if isinstance(payload, str) and payload.strip():
                offered.add(payload.strip())
    return offered


def standing_payloads(menu_file: Optional[Path] = None) -> FrozenSet[str]:
    """Payloads any customer can send at any time: the fixed ones and the WeChat menu's ("/…" entries)."""
    found = set(STANDING_PAYLOADS)
    if menu_file is not None and menu_file.exists():
        menu = (yaml.safe_load(menu_file.read_text(encoding="utf-8")) or {}).get("menu") or {}
        found |= {str(v).strip() for v in menu.values() if str(v).strip().startswith(PAYLOAD_PREFIX)}
    return frozenset(found)


def accepts_payload(text: str, offered: Iterable[str], standing: Iterable[str] = STANDING_PAYLOADS) -> bool:
    stripped = text.strip()
    return stripped in set(offered) or stripped in set(standing)


def as_plain_text(text: str) -> str:
    """What the NLU reads of a shortcut that is not accepted: the words, without the leading "/" (so Rasa
    does not take it as a shortcut) and without its `{…}` entities, which are data, not what the customer
    said ("/request_human{"emotion": "angry"}" reads "request_human")."""
    words = _PAYLOAD_ENTITIES.sub(" ", text.strip().lstrip(PAYLOAD_PREFIX)).strip()
    return words or "?"


def checked_entity(entity: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The entity with its value checked (and normalised), or None when the value is not acceptable."""
    name, value = entity.get("entity"), entity.get("value")
    if name == "emotion":
        return dict(entity) if isinstance(value, str) and value in EMOTION_LEVELS else None
    if name == "emotion_score":
        score = _number(value)
        return {**entity, "value": score} if score is not None and 0.0 <= score <= 1.0 else None
    if name == "satisfaction_score":
        score = _number(value)
        return dict(entity) if score is not None and score == int(score) and int(score) in RATINGS else None
    return dict(entity)


def checked_entities(entities: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    checked = (checked_entity(e) for e in entities if isinstance(e, Mapping))
    return [e for e in checked if e is not None]


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


# -- length ----------------------------------------------------------------------------------------------


def is_too_long(text: Optional[str], limit: int) -> bool:
    return bool(text) and len(text) > limit  # type: ignore[arg-type]


def too_long_parse_data(text: str, limit: int) -> Dict[str, Any]:
    """The reading of a message too long to read: intent message_too_long, the text capped. Its language
    is the one entity, so that the polite answer comes in the customer's language."""
    capped = text[:limit]
    entities = []
    language = detect_language(capped)
    if language:
        entities.append({"entity": "language", "value": language, "start": 0, "end": len(capped),
                         "extractor": EXTRACTOR})
    intent = {"name": TOO_LONG_INTENT, "confidence": 1.0}
    return {"text": capped, "intent": intent, "intent_ranking": [dict(intent)], "entities": entities}


# -- Rasa adapter ------------------------------------------------------------------------------------------


class MessageGuard:
    """The rules above with this server's settings and per-conversation rate windows."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.standing = standing_payloads(settings.kb_dir / "wechat_menu.yml")
        self.rate = shared_async_windows(settings, "rate:sender", settings.rate_per_sender, WINDOW_S)

    async def parse(self, original: Any, processor: Any, message: Any, tracker: Any = None,
                    only_output_properties: bool = True) -> Dict[str, Any]:
        text = message.text or ""
        limit = self.settings.max_message_chars
        if is_too_long(text, limit):
            logger.info("message of %d characters from %s not read (limit %d)", len(text),
                        mask_id(str(message.sender_id)), limit)
            parse_data = too_long_parse_data(text, limit)
            message.text = parse_data["text"]  # what the conversation stores
            return parse_data
        if not is_payload(text) or tracker is None:  # no tracker: Rasa's HTTP API, whose callers hold the token
            return await original(processor, message, tracker, only_output_properties)
        if accepts_payload(text, offered_payloads(_newest_first(tracker)), self.standing):
            parse_data = await original(processor, message, tracker, only_output_properties)
            parse_data["entities"] = checked_entities(parse_data.get("entities") or [])
            return parse_data
        logger.info("typed shortcut from %s read as text (not offered)", mask_id(str(message.sender_id)))
        message.text = as_plain_text(text)
        try:
            parse_data = await original(processor, message, tracker, only_output_properties)
        finally:
            message.text = text  # the conversation stores what the customer typed
        parse_data["text"] = text
        return parse_data

    async def handle(self, original: Any, agent: Any, message: Any) -> Any:
        sender = str(message.sender_id)
        if await self.rate.admit(sender) is None:
            return await original(agent, message)
        logger.warning("conversation %s sends more than %d messages a minute: asked to slow down",
                       mask_id(sender), self.rate.limit)
        language = await self._language(agent, sender)
        text = response_choice(None, SLOW_DOWN_RESPONSE, language)
        if text and message.output_channel is not None:
            await message.output_channel.send_text_message(sender, text)
        return getattr(message.output_channel, "messages", None)

    async def _language(self, agent: Any, sender: str) -> str:
        """The conversation's language (its `language` slot), or the default one."""
        try:
            tracker = await agent.tracker_store.retrieve(sender)
            language = tracker.get_slot("language") if tracker is not None else None
        except Exception:  # a reply in the default language is better than none
            logger.exception("language of conversation %s not read", mask_id(sender))
            language = None
        return language if language in ("zh", "en") else self.settings.default_language


def _newest_first(tracker: Any) -> Iterable[Dict[str, Any]]:
    from rasa.shared.core.events import BotUttered, UserUttered

    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            yield {"event": "user"}
            return
        if isinstance(event, BotUttered):
            yield {"event": "bot", "data": event.data or {}}


def install_message_guard(settings: Settings) -> MessageGuard:
    """Wraps Rasa's message handling with the guard (once per process)."""
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    guard = MessageGuard(settings)
    if getattr(MessageProcessor.parse_message, "message_guard", None) is not None:
        return MessageProcessor.parse_message.message_guard  # type: ignore[attr-defined]
    parse_message = MessageProcessor.parse_message
    handle_message = Agent.handle_message

    async def guarded_parse(self: Any, message: Any, tracker: Any = None,
                            only_output_properties: bool = True) -> Dict[str, Any]:
        return await guard.parse(parse_message, self, message, tracker, only_output_properties)

    async def guarded_handle(self: Any, message: Any) -> Any:
        return await guard.handle(handle_message, self, message)

    guarded_parse.message_guard = guard  # type: ignore[attr-defined]
    MessageProcessor.parse_message = guarded_parse  # type: ignore[assignment]
    Agent.handle_message = guarded_handle  # type: ignore[assignment]
    return guard
