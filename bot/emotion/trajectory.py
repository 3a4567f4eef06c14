"""Reads the emotion trajectory a conversation keeps (the `emotion_history` slot)."""
from __future__ import annotations

from typing import Iterable, Optional

_ORDER = {"calm": 0, "upset": 1, "angry": 2}


def peak_level(current: Optional[str], history: Optional[Iterable[object]], window: int = 6) -> str:
    """The strongest level among the current one and the last `window` messages: a customer who
    was angry a moment ago is still treated as angry while they type the details."""
    recent = list(history or [])[-window:]
    levels = [current or "calm"] + [h.get("level", "calm") for h in recent if isinstance(h, dict)]
    return max(levels, key=lambda level: _ORDER.get(level, 0))
