"""Every group of figures for one period and filters, computed once: the console's metrics page
(`GET /api/admin/metrics`) and `python -m bot report` both call `ServiceMetrics.compute`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from bot.handoff.followups import FollowUps
from bot.metrics import complaints, containment, handoffs, knowledge, mood, satisfaction, servqual, volume
from bot.metrics.conversations import ConversationFolder
from bot.metrics.cube import ConversationCube, Windows
from bot.metrics.figures import DEFINITIONS, LABELS, Section
from bot.metrics.scope import Filters, Period, Scope, local_day
from bot.storage.database import Database
from bot.storage.models import utcnow

SECTIONS = ("volume", "containment", "knowledge_base", "handoff", "satisfaction", "complaints", "mood", "servqual")


@dataclass(frozen=True)
class Policy:
    """The policy numbers the figures depend on (from the settings; README's table)."""

    zone: str
    default_language: str
    quiet_minutes: int = 60
    return_hours: int = 24
    empathy_minutes: int = 10

    @classmethod
    def from_settings(cls, settings: Any) -> "Policy":
        return cls(settings.timezone, settings.default_language, settings.metrics_quiet_minutes,
                   settings.metrics_return_hours, settings.metrics_empathy_minutes)


class ServiceMetrics:
    def __init__(self, database: Database, policy: Policy, followups: FollowUps,
                 clock: Optional[Callable[[], datetime]] = None) -> None:
        self._db = database
        self._clock = clock or utcnow  # naive UTC now; the tests set the time
        self._policy = policy
        self._followups = followups
        self.cube = ConversationCube(Windows(policy.quiet_minutes * 60.0, policy.return_hours * 3600.0,
                                             policy.empathy_minutes * 60.0))
        self.folder = ConversationFolder(database, policy.zone, policy.default_language, self.cube)

    def period(self, since: Optional[str], until: Optional[str], now: Optional[datetime] = None) -> Period:
        """A period from the page's or the command's words (today, 7d, 30d, dates); ScopeError if unusable."""
        return Period.parse(since, until, local_day(now or self._clock(), self._policy.zone), self._policy.zone)

    def compute(self, period: Period, filters: Filters, now: Optional[datetime] = None,
                refresh: bool = True) -> Dict[str, Any]:
        """Brings the conversations up to date with Rasa's events, then computes every figure."""
        now = now or self._clock()
        if refresh:
            self.folder.refresh()
        policy = self._policy
        scope = Scope(period, filters, now, quiet_s=policy.quiet_minutes * 60.0, return_s=policy.return_hours * 3600.0,
                      empathy_s=policy.empathy_minutes * 60.0)
        with self._db.engine.connect() as connection:
            cells = self.cube.cells_in(connection, scope)
            sections: Dict[str, Section] = {}
            hours = self.cube.hours_in(connection, scope)
            for section in (volume.compute(cells, hours, scope), containment.compute(cells, scope),
                            knowledge.compute(connection, scope),
                            handoffs.compute(connection, scope, cells, self._followups),
                            satisfaction.compute(connection, scope),
                            complaints.compute(connection, scope, self._followups), mood.compute(cells, scope)):
                sections[section.key] = section
            sections["servqual"] = servqual.compute(connection, scope, cells, sections, self._followups)
        return {
            "period": period.as_json(),
            "filters": {"channel": filters.channel, "language": filters.language},
            "generated_at": now.isoformat(timespec="seconds") + "Z",
            "sections": [sections[key].as_json() for key in SECTIONS],
            "definitions": {key: definition.as_json() for key, definition in DEFINITIONS.items()},
            "labels": LABELS,
        }
