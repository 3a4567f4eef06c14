"""Reads a conversation's emotion trajectory from the `emotion` entities of its customer messages
(`bot.emotion.customer_signals` adds them to each message's parse data)."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

_ORDER = {"calm": 0, "upset": 1, "angry": 2}
HISTORY_LENGTH = 20


def history_from_events(events: Iterable[Mapping[str, Any]], limit: int = HISTORY_LENGTH) -> List[Dict[str, Any]]:
    """[{level, score}, …] of the customer's messages, oldest first, the last `limit` of them."""
    history: List[Dict[str, Any]] = []
    for event in events:
        if event.get("event") != "user":
            continue
        entities = {e.get("entity"): e.get("value") for e in (event.get("parse_data") or {}).get("entities") or []
                    if isinstance(e, Mapping)}
        if "emotion" in entities:
            history.append({"level": entities["emotion"], "score": float(entities.get("emotion_score") or 0.0)})
    return history[-limit:]


def peak_level(current: Optional[str], history: Optional[Iterable[object]], window: int = 6) -> str:
    """The strongest level among the current one and the last `window` messages: a customer who
    was angry a moment ago is still treated as angry while they type the details."""
    recent = list(history or [])[-window:]
    levels = [current or "calm"] + [h.get("level", "calm") for h in recent if isinstance(h, dict)]
    return max(levels, key=lambda level: _ORDER.get(level, 0))
