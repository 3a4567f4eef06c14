"""Queue priority: tier, emotion and the reason at entry, plus the minutes the customer has waited.

The queue is ordered by priority, then by waiting time, so a regular customer who has waited long
enough overtakes a VIP who just arrived: key customers first, every customer fairly. The points
are settings (BOT_PRIORITY_*); `PriorityPoints.from_settings` reads them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class PriorityPoints:
    """How much each fact weighs in the queue. The defaults are the settings' defaults."""

    vip: int = 30
    angry: int = 20
    upset: int = 10
    reason_safety: int = 40
    reason_repeat: int = 15
    reason_angry: int = 10
    reason_misunderstood: int = 5
    per_minute_waited: float = 2.0
    waiting_cap: int = 60  # half an hour of waiting weighs as much as safety plus VIP

    @classmethod
    def from_settings(cls, settings: "Settings") -> "PriorityPoints":
        return cls(
            vip=settings.priority_vip, angry=settings.priority_angry, upset=settings.priority_upset,
            reason_safety=settings.priority_reason_safety, reason_repeat=settings.priority_reason_repeat,
            reason_angry=settings.priority_reason_angry, reason_misunderstood=settings.priority_reason_misunderstood,
            per_minute_waited=settings.priority_points_per_minute, waiting_cap=settings.priority_waiting_cap,
        )

    def for_tier(self, tier: Optional[str]) -> int:
        return self.vip if tier == "vip" else 0

    def for_emotion(self, emotion: Optional[str]) -> int:
        return {"angry": self.angry, "upset": self.upset}.get(emotion or "calm", 0)

    def for_reason(self, reason: str) -> int:
        # "vip" is counted by the tier and "explicit" adds nothing
        return {"safety": self.reason_safety, "repeat": self.reason_repeat, "angry": self.reason_angry,
                "misunderstood": self.reason_misunderstood}.get(reason, 0)


DEFAULT_POINTS = PriorityPoints()


def base_priority(tier: Optional[str], emotion: Optional[str], reason: str,
                  points: PriorityPoints = DEFAULT_POINTS) -> int:
    return points.for_tier(tier) + points.for_emotion(emotion) + points.for_reason(reason)


def current_priority(base: int, queued_at: datetime, now: datetime, points: PriorityPoints = DEFAULT_POINTS) -> int:
    waited_minutes = max(0.0, (now - queued_at).total_seconds() / 60)
    return base + min(points.waiting_cap, int(waited_minutes * points.per_minute_waited))


def queue_order_key(base: int, queued_at: datetime, now: datetime, points: PriorityPoints = DEFAULT_POINTS) -> tuple:
    """Sort key: higher priority first, then who has waited longest."""
    return (-current_priority(base, queued_at, now, points), queued_at)


def estimated_wait_minutes(ahead: int, agents_online: int, minutes_per_customer: float) -> int:
    """A plain estimate: the customers ahead, shared among the agents online, at the usual pace."""
    agents = max(1, agents_online)
    return max(1, round((ahead + 1) * minutes_per_customer / agents))
