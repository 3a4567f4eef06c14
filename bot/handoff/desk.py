"""The front desk of the handoff: is anyone there, and what happens to a customer who asks. It also
holds the handoff's database-only services (queue, agents, notes, outbox, survey), built once; the
ones that talk to Rasa (claims, reply delivery) are built with a gateway, see `bot.services`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from bot.handoff.agents import AgentDirectory
from bot.handoff.followups import FollowUps
from bot.handoff.hours import ServiceHours, parse_service_hours
from bot.handoff.notes import HandoffNotes
from bot.handoff.outbox import ReplyOutbox
from bot.handoff.priority import PriorityPoints
from bot.handoff.queue import HandoffQueue
from bot.handoff.records import HandoffRequest, HandoffView, QueuePlace
from bot.handoff.survey import SatisfactionSurvey
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import utcnow


@dataclass(frozen=True)
class Availability:
    open_now: bool
    agents_online: int
    hours: str
    next_opening: datetime  # in the business's time zone

    @property
    def available(self) -> bool:
        return self.open_now and self.agents_online > 0


@dataclass(frozen=True)
class HandoffOutcome:
    handoff: HandoffView
    kind: str  # queued | closed | no_agent | claimed
    availability: Availability
    ahead: int = 0
    wait_minutes: int = 0


class HandoffDesk:
    def __init__(self, settings: Settings, database: Database) -> None:
        self._settings = settings
        self.hours: ServiceHours = parse_service_hours(settings.service_hours, settings.service_days)
        self.agents = AgentDirectory(database, settings.agent_session_hours, settings.agent_presence_timeout_s)
        self.queue = HandoffQueue(database, settings.handoff_minutes_per_customer,
                                  PriorityPoints.from_settings(settings))
        self.notes = HandoffNotes(database)
        self.outbox = ReplyOutbox(database)
        self.survey = SatisfactionSurvey(database, self.queue)
        self.followups = FollowUps(database, self.hours, settings.timezone, settings.callback_due_hours)

    def availability(self, now: Optional[datetime] = None) -> Availability:
        now = now or utcnow()
        zone = self._settings.timezone
        return Availability(
            open_now=self.hours.is_open(now, zone), agents_online=self.agents.online_count(now),
            hours=self.hours.describe(), next_opening=self.hours.next_opening(now, zone),
        )

    def request(self, request: HandoffRequest, now: Optional[datetime] = None) -> HandoffOutcome:
        now = now or utcnow()
        availability = self.availability(now)
        handoff = self.queue.request(request, availability.available, now)
        return self.outcome_of(handoff, availability, now)

    def outcome_of(self, handoff: HandoffView, availability: Availability,
                   now: Optional[datetime] = None) -> HandoffOutcome:
        if handoff.status == "callback":
            kind = "closed" if not availability.open_now else "no_agent"
            return HandoffOutcome(handoff, kind, availability)
        if handoff.status == "claimed":
            return HandoffOutcome(handoff, "claimed", availability)
        place: Optional[QueuePlace] = self.queue.place_of(handoff.id, availability.agents_online, now)
        ahead, minutes = (place.ahead, place.wait_minutes) if place else (0, 1)
        return HandoffOutcome(handoff, "queued", availability, ahead, minutes)

    def place(self, conversation_id: str, now: Optional[datetime] = None) -> Optional[HandoffOutcome]:
        now = now or utcnow()
        handoff = self.queue.open_for(conversation_id)
        if handoff is None:
            return None
        return self.outcome_of(handoff, self.availability(now), now)

