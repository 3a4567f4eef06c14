"""The agent console's use cases, one method each: signing in, what the console shows (the overview,
one handoff, its messages, the canned replies), what an agent does (claim, reply, note, resolve,
hand back) and what only an admin does (list, add, deactivate and reactivate agents; assign an overdue
ticket or callback request to an agent). Each returns
plain dataclasses or raises a `WorkspaceError` that says why; the web layer only turns them into HTTP.
Each change is also announced to every console (`bot.handoff.live_events`), which then asks for what changed.

Sign-in is throttled per username and per client address (`bot.handoff.login_throttle`) and runs
on the password executor (`bot.handoff.passwords`), never on the executor the other calls share."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.concurrency import run_blocking
from bot.handoff.agents import AgentError, AgentView, TeamMember, is_admin
from bot.handoff.canned import load_canned_replies
from bot.handoff.claims import ClaimResult, CloseResult, HandoffClaims
from bot.handoff.desk import Availability, HandoffDesk
from bot.handoff.followups import FollowUpError, OverdueCallback, OverdueTicket, is_overdue
from bot.handoff.gateway import TranscriptReader
from bot.handoff.live_events import QUEUE_CHANGED, LiveEvent, LivePublisher, NoPublisher, publish_all
from bot.handoff.login_throttle import DEFAULT_MAX_FAILURES, LoginThrottle
from bot.handoff.outbox import ReplyDelivery, ReplyView
from bot.handoff.passwords import WeakPasswordError, password_executor
from bot.handoff.records import HandoffError, HandoffView, is_owned_by
from bot.handoff.ticket_orders import OrderOption, TicketOrders
from bot.storage.models import utcnow


class WorkspaceError(Exception):
    """A console request that cannot be carried out; the subclass says which kind, the message why."""


class NotFound(WorkspaceError):
    """No such conversation."""


class Refused(WorkspaceError):
    """The agent may not do this (the conversation is not theirs)."""


class Invalid(WorkspaceError):
    """What the agent sent cannot be used (an empty reply, an unknown presence)."""


class Throttled(WorkspaceError):
    """Too many failed sign-ins for this username or from this address: wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-ins: try again later")
        self.retry_after = retry_after


class TakenByAnother(WorkspaceError):
    """Another agent claimed the conversation first."""

    def __init__(self, owner: Optional[str]) -> None:
        super().__init__("another agent already took this conversation")
        self.owner = owner  # their display name, if known


@dataclass(frozen=True)
class SignedIn:
    token: str
    agent: AgentView


@dataclass(frozen=True)
class HandoffCard:
    """A handoff as a list shows it: with its priority and waiting time at the moment of asking, and, for a
    callback request or a handoff about a complaint, the deadline it is due by and whether it has passed."""

    handoff: HandoffView
    priority: int
    waiting_s: int
    due_at: Optional[datetime] = None
    overdue: bool = False


@dataclass(frozen=True)
class Overview:
    queue: List[HandoffCard]
    mine: List[HandoffCard]
    callbacks: List[HandoffCard]
    team: List[TeamMember]
    availability: Availability
    satisfaction: Dict[str, Any]
    overdue_tickets: List[OverdueTicket] = field(default_factory=list)
    summaries: Dict[int, Dict[str, str]] = field(default_factory=dict)  # handoff id -> summary per language


@dataclass(frozen=True)
class HandoffDetail:
    card: HandoffCard
    context: Dict[str, Any]
    agent: Optional[AgentView]  # who has it, if anyone
    notes: List[Dict[str, Any]]
    undelivered: List[int]  # ids of the agent's replies still waiting for Rasa
    failed: List[ReplyView]  # the agent's replies that can never be delivered, with why


@dataclass(frozen=True)
class ReplyResult:
    id: int
    delivered: bool


class AgentWorkspace:
    def __init__(self, desk: HandoffDesk, claims: HandoffClaims, delivery: ReplyDelivery,
                 transcript: TranscriptReader, canned_path: Path, throttle: Optional[LoginThrottle] = None,
                 ticket_orders: Optional[TicketOrders] = None, publisher: Optional[LivePublisher] = None) -> None:
        self._desk = desk
        self._claims = claims
        self._delivery = delivery
        self._transcript = transcript
        self._canned_path = canned_path
        self._throttle = throttle or LoginThrottle(DEFAULT_MAX_FAILURES)
        self._ticket_orders = ticket_orders
        self._publisher: LivePublisher = publisher or NoPublisher()

    # signing in -------------------------------------------------------------------------------
    async def sign_in(self, username: str, password: str, address: str) -> Optional[SignedIn]:
        """A new session for the agent, who is then online; None for a wrong username or password;
        `Throttled` after too many failures for the username or from the client's address."""
        wait = self._throttle.begin(username, address)
        if wait is not None:
            raise Throttled(wait)
        signed_in = await run_blocking(self._sign_in, username, password, executor=password_executor())
        if signed_in is not None:
            self._throttle.succeeded(username, address)
            await self._announce(QUEUE_CHANGED)  # the team list
        return signed_in

    async def agent_for(self, token: Optional[str]) -> Optional[AgentView]:
        """The agent of a session token, while the session lasts."""
        return await run_blocking(self._desk.agents.agent_for, token)

    async def sign_out(self, token: str, agent_id: int) -> None:
        await run_blocking(self._desk.agents.sign_out, token, agent_id)
        await self._announce(QUEUE_CHANGED)

    async def set_presence(self, agent_id: int, presence: str) -> None:
        await run_blocking(self._set_presence, agent_id, presence)
        await self._announce(QUEUE_CHANGED)

    async def still_signed_in(self, token: Optional[str]) -> bool:
        """Whether the session lasts. Read only: a half-open stream (a laptop gone to sleep) would otherwise
        keep an absent agent "online" until TCP gives up; the console's own requests are its heartbeat."""
        return await run_blocking(self._desk.agents.agent_for, token) is not None

    # reading ----------------------------------------------------------------------------------
    async def overview(self, agent_id: int) -> Overview:
        """The queue, the agent's own conversations, callbacks, the team and the service; being asked
        for it every few seconds is also the agent's heartbeat."""
        return await run_blocking(self._overview, agent_id, utcnow())

    async def canned_replies(self) -> List[Dict[str, object]]:
        return await run_blocking(load_canned_replies, self._canned_path)

    async def handoff(self, handoff_id: int) -> HandoffDetail:
        return await run_blocking(self._detail, handoff_id)

    async def messages(self, handoff_id: int, after: int) -> List[Dict[str, Any]]:
        """The conversation's messages after the one with id ``after``, as they arrive."""
        handoff = await self._existing(handoff_id)
        return await run_blocking(self._transcript.messages_after, handoff.conversation_id, after)

    # changes ----------------------------------------------------------------------------------
    async def claim(self, agent_id: int, handoff_id: int) -> ClaimResult:
        await self._existing(handoff_id)
        result = await self._claims.claim(handoff_id, agent_id)
        if not result.claimed:
            raise TakenByAnother(await run_blocking(self._owner_name, result.handoff))
        await self._announce(QUEUE_CHANGED, LiveEvent("handoff", handoff=handoff_id))
        return result

    async def reply(self, agent_id: int, handoff_id: int, text: str) -> ReplyResult:
        """Stores the reply, then tries to deliver it at once (the relay retries if Rasa is away); it goes
        after the conversation's earlier replies, so it may wait for one that is being retried."""
        await self._own(agent_id, handoff_id)
        text = text.strip()
        if not text:
            raise Invalid("a reply needs some text")
        try:
            reply = await run_blocking(self._desk.outbox.add_reply, handoff_id, agent_id, text)
        except HandoffError as error:
            raise Refused(str(error)) from None
        await self._delivery.deliver_conversation(reply.conversation_id)  # this conversation's only
        delivered = (await run_blocking(self._desk.outbox.get_reply, reply.id)).delivered_at is not None
        await self._announce(LiveEvent("handoff", handoff=handoff_id))
        return ReplyResult(reply.id, delivered)

    async def order_options(self, handoff_id: int) -> List[OrderOption]:
        """The customer's recent orders, to put one on a ticket (none for a guest, who gives the number)."""
        handoff = await self._existing(handoff_id)
        if self._ticket_orders is None:
            return []
        return await run_blocking(self._ticket_orders.options, handoff)

    async def attach_order(self, agent: AgentView, handoff_id: int, ticket_number: str, order_number: str) -> str:
        """Puts the customer's order on their ticket (the agent who owns the conversation only); returns the
        order's number as stored. `Invalid` when the order is not the customer's or the ticket not theirs."""
        handoff = await self._own(agent.id, handoff_id)
        if self._ticket_orders is None:
            raise Invalid("tickets cannot be changed here")
        try:
            ticket = await run_blocking(self._ticket_orders.attach, handoff, ticket_number, order_number,
                                        f"agent:{agent.username}")
        except HandoffError as error:
            raise Invalid(str(error)) from None
        await self._announce(LiveEvent("handoff", handoff=handoff_id))
        return str(ticket.order_number)

    async def note(self, agent_id: int, handoff_id: int, text: str) -> None:
        await self._existing(handoff_id)
        try:
            await run_blocking(self._desk.notes.add, handoff_id, agent_id, text)
        except HandoffError as error:
            raise Invalid(str(error)) from None
        await self._announce(LiveEvent("handoff", handoff=handoff_id))

    # admins only --------------------------------------------------------------------------------
    async def agents(self, acting: AgentView) -> List[AgentView]:
        """Every account, deactivated ones included."""
        _admin_only(acting)
        return await run_blocking(self._desk.agents.all)

    async def add_agent(self, acting: AgentView, username: str, display_name: str, password: str, role: str,
                        language: str) -> AgentView:
        _admin_only(acting)
        try:
            return await run_blocking(self._desk.agents.create, username, display_name, password, role, language,
                                      executor=password_executor())
        except (AgentError, WeakPasswordError) as error:
            raise Invalid(str(error)) from None

    async def set_active(self, acting: AgentView, agent_id: int, active: bool) -> List[int]:
        """Deactivates (their sessions end, their conversations go back to the queue: returns those
        handoff ids) or reactivates an agent. An admin cannot deactivate themselves."""
        _admin_only(acting)
        if await run_blocking(self._desk.agents.get, agent_id) is None:
            raise NotFound("no such agent")
        if not active and agent_id == acting.id:
            raise Invalid("you cannot deactivate yourself")
        try:
            if active:
                await run_blocking(self._desk.agents.reactivate, agent_id)
                await self._announce(QUEUE_CHANGED)
                return []
            requeued = await run_blocking(self._desk.agents.deactivate, agent_id)
        except AgentError as error:
            raise Invalid(str(error)) from None
        for handoff_id in requeued:  # the relay retries what Rasa does not hear now
            await self._claims.tell_rasa(handoff_id)
        await self._announce(QUEUE_CHANGED, *(LiveEvent("handoff", handoff=h) for h in requeued))
        return requeued

    async def assign_ticket(self, acting: AgentView, number: str, agent_id: int) -> OverdueTicket:
        """An admin names the agent who follows up an open ticket (recorded in its history)."""
        _admin_only(acting)
        try:
            ticket = await run_blocking(self._desk.followups.assign_ticket, number, agent_id, acting.username)
        except LookupError as error:
            raise NotFound(str(error)) from None
        except FollowUpError as error:
            raise Invalid(str(error)) from None
        await self._announce(QUEUE_CHANGED)
        return ticket

    async def assign_callback(self, acting: AgentView, number: str, agent_id: int) -> OverdueCallback:
        """An admin names the agent who is to call a waiting callback request (by handoff number) back."""
        _admin_only(acting)
        try:
            callback = await run_blocking(self._desk.followups.assign_callback, number, agent_id)
        except LookupError as error:
            raise NotFound(str(error)) from None
        except FollowUpError as error:
            raise Invalid(str(error)) from None
        await self._announce(QUEUE_CHANGED)
        return callback

    async def close(self, agent_id: int, handoff_id: int, outcome: str) -> CloseResult:
        """Resolve (``resolved``) or hand back to the bot (``returned``)."""
        await self._own(agent_id, handoff_id)
        try:
            result = await self._claims.close(handoff_id, agent_id, outcome)
        except HandoffError as error:
            raise Refused(str(error)) from None
        await self._announce(QUEUE_CHANGED, LiveEvent("handoff", handoff=handoff_id))
        return result

    # the steps --------------------------------------------------------------------------------
    async def _announce(self, *events: LiveEvent) -> None:
        await publish_all(self._publisher, events)

    async def _existing(self, handoff_id: int) -> HandoffView:
        handoff = await run_blocking(self._desk.queue.get, handoff_id)
        if handoff is None:
            raise NotFound("no such conversation")
        return handoff

    async def _own(self, agent_id: int, handoff_id: int) -> HandoffView:
        handoff = await self._existing(handoff_id)
        if not is_owned_by(handoff, agent_id):
            raise Refused("this conversation is not yours")
        return handoff

    def _card(self, handoff: HandoffView, now: datetime,
              ticket_deadlines: Optional[Dict[str, Optional[datetime]]] = None) -> HandoffCard:
        waiting = int(((handoff.claimed_at or now) - handoff.created_at).total_seconds())
        if handoff.status == "callback":
            due: Optional[datetime] = self._desk.followups.callback_due(handoff.created_at)
        else:
            deadlines = (ticket_deadlines if ticket_deadlines is not None
                         else self._desk.followups.ticket_deadlines([handoff.ticket_number or ""]))
            due = deadlines.get(handoff.ticket_number or "")
        return HandoffCard(handoff, self._desk.queue.priority_of(handoff, now), waiting, due,
                           is_overdue(due, handoff.status in ("queued", "claimed", "callback"), now))

    def _owner_name(self, handoff: Optional[HandoffView]) -> Optional[str]:
        owner = self._desk.agents.get(handoff.agent_id) if handoff and handoff.agent_id else None
        return owner.display_name if owner else None

    def _sign_in(self, username: str, password: str) -> Optional[SignedIn]:
        agents = self._desk.agents
        token = agents.sign_in(username, password)
        if token is None:
            return None
        agent = agents.agent_for(token)
        agents.set_presence(agent.id, "online")
        return SignedIn(token, agents.get(agent.id))

    def _set_presence(self, agent_id: int, presence: str) -> None:
        try:
            self._desk.agents.set_presence(agent_id, presence)
        except AgentError as error:
            raise Invalid(str(error)) from None

    def _overview(self, agent_id: int, now: datetime) -> Overview:
        desk = self._desk
        desk.agents.heartbeat(agent_id, now)
        queue, mine, callbacks = desk.queue.queued(now), desk.queue.of_agent(agent_id), desk.queue.callbacks()
        deadlines = desk.followups.ticket_deadlines(h.ticket_number or "" for h in queue + mine)
        return Overview(
            queue=[self._card(h, now, deadlines) for h in queue],
            mine=[self._card(h, now, deadlines) for h in mine],
            callbacks=[self._card(h, now, deadlines) for h in callbacks],
            team=desk.agents.team(now),
            availability=desk.availability(now),
            satisfaction=desk.survey.summary(),
            overdue_tickets=desk.followups.overdue_tickets(now),
            summaries=desk.queue.summaries([h.id for h in queue + mine + callbacks]),
        )

    def _detail(self, handoff_id: int) -> HandoffDetail:
        desk = self._desk
        handoff = desk.queue.get(handoff_id)
        if handoff is None:
            raise NotFound("no such conversation")
        agent = desk.agents.get(handoff.agent_id) if handoff.agent_id else None
        replies = desk.outbox.replies(handoff.id)
        return HandoffDetail(
            card=self._card(handoff, utcnow()), context=desk.queue.context(handoff.id), agent=agent,
            notes=desk.notes.of(handoff.id),
            undelivered=[r.id for r in replies if r.pending],
            failed=[r for r in replies if r.failed_at is not None],
        )


def _admin_only(agent: AgentView) -> None:
    if not is_admin(agent):
        raise Refused("only an admin may do this")
