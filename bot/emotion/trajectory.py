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
            history.append({"level": level_of(entities["emotion"]), "score": score_of(entities.get("emotion_score"))})
    return history[-limit:]


def level_of(value: Any) -> str:
    """An emotion level as stored or sent (a slot, an entity): one of calm/upset/angry, calm for anything else."""
    return value if isinstance(value, str) and value in _ORDER else "calm"


def score_of(value: Any) -> float:
    """An emotion score as stored or sent: a number in [0, 1], 0 for anything else."""
    if isinstance(value, bool):
        return 0.0
    try:
        score = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return score if 0.0 <= score <= 1.0 else 0.0


def _recent(history: Optional[Iterable[object]], window: Optional[int]) -> List[Mapping[str, Any]]:
    entries = list(history or [])
    if window is not None:
        entries = entries[-window:] if window > 0 else []
    return [h for h in entries if isinstance(h, Mapping)]


def peak_level(current: Optional[str], history: Optional[Iterable[object]], window: Optional[int] = None) -> str:
    """How angry the customer is: the strongest level among the current one and their last `window`
    messages (all of `history` when None). A customer who was angry a moment ago is still treated as
    angry while they type the details."""
    levels = [level_of(current)] + [level_of(h.get("level")) for h in _recent(history, window)]
    return max(levels, key=lambda level: _ORDER[level])


def peak_score(history: Optional[Iterable[object]], window: Optional[int] = None) -> float:
    """The highest emotion score among the last `window` messages (all of `history` when None); 0 without any."""
    return max([score_of(h.get("score", 0.0)) for h in _recent(history, window)] or [0.0])
