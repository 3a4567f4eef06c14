"""Queue priority: tier, emotion and the reason at entry, plus the minutes the customer has waited.

The queue is ordered by priority, then by waiting time, so a regular customer who has waited long
enough overtakes a VIP who just arrived: key customers first, every customer fairly."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

TIER_POINTS = {"vip": 30, "regular": 0}
EMOTION_POINTS = {"angry": 20, "upset": 10, "calm": 0}
REASON_POINTS = {"safety": 40, "repeat": 15, "angry": 10, "vip": 0, "misunderstood": 5, "explicit": 0}
POINTS_PER_MINUTE_WAITED = 2
WAITING_POINTS_CAP = 60  # half an hour of waiting weighs as much as safety plus VIP


def base_priority(tier: Optional[str], emotion: Optional[str], reason: str) -> int:
    return (TIER_POINTS.get(tier or "regular", 0) + EMOTION_POINTS.get(emotion or "calm", 0)
            + REASON_POINTS.get(reason, 0))


def current_priority(base: int, queued_at: datetime, now: datetime) -> int:
    waited_minutes = max(0.0, (now - queued_at).total_seconds() / 60)
    return base + min(WAITING_POINTS_CAP, int(waited_minutes * POINTS_PER_MINUTE_WAITED))


def queue_order_key(base: int, queued_at: datetime, now: datetime) -> tuple:
    """Sort key: higher priority first, then who has waited longest."""
    return (-current_priority(base, queued_at, now), queued_at)


def estimated_wait_minutes(ahead: int, agents_online: int, minutes_per_customer: float) -> int:
    """A plain estimate: the customers ahead, shared among the agents online, at the usual pace."""
    agents = max(1, agents_online)
    return max(1, round((ahead + 1) * minutes_per_customer / agents))
