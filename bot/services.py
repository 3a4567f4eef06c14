"""The one place that builds the assistant's services, once per process: actions, the web server and the
channels ask here instead of constructing their own. Everything is created on first use."""
from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Optional

from bot.settings import Settings, get_settings

if TYPE_CHECKING:  # imported lazily below: a process builds only what it uses
    from bot.complaints.tickets import TicketService
    from bot.customers.directory import CustomerDirectory
    from bot.customers.guest_lockout import GuestLockout
    from bot.handoff.desk import HandoffDesk
    from bot.handoff.gateway import ConversationGateway
    from bot.handoff.live_events import LivePublisher
    from bot.rasa.feed_consumer import FeedConsumer
    from bot.handoff.login_throttle import LoginThrottle
    from bot.handoff.relay import HandoffRelay
    from bot.handoff.workspace import AgentWorkspace
    from bot.kb.assistant import FaqAssistant
    from bot.kb.records import KbRecords
    from bot.kb.service import KnowledgeBaseService
    from bot.metrics.report import ServiceMetrics
    from bot.storage.database import Database


class Services:
    """The services of one process, built from one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def database(self) -> "Database":
        from bot.storage.database import get_database

        return get_database(self.settings)

    @cached_property
    def knowledge_base(self) -> "KnowledgeBaseService":
        from bot.kb.service import get_knowledge_base

        return get_knowledge_base(self.settings)

    @cached_property
    def kb_records(self) -> "KbRecords":
        from bot.kb.records import KbRecords

        return KbRecords(self.database)

    @cached_property
    def faq(self) -> "FaqAssistant":
        from bot.kb.assistant import FaqAssistant

        return FaqAssistant(self.knowledge_base, self.kb_records, self.settings.kb_feedback_every)

    @cached_property
    def tickets(self) -> "TicketService":
        from bot.complaints.tickets import TicketService

        return TicketService(self.database, self.settings.sla_hours)

    @cached_property
    def customers(self) -> "CustomerDirectory":
        from bot.customers.directory import CustomerDirectory

        return CustomerDirectory(self.database)

    @cached_property
    def guest_lockout(self) -> "GuestLockout":
        """Wrong phone digits per order or ticket number, across conversations (guest checks)."""
        from bot.customers.guest_lockout import GuestLockout

        return GuestLockout(self.database, self.settings.guest_check_max_failures)

    @cached_property
    def handoff_desk(self) -> "HandoffDesk":
        from bot.handoff.desk import HandoffDesk

        return HandoffDesk(self.settings, self.database)

    @cached_property
    def service_metrics(self) -> "ServiceMetrics":
        """The figures of the console's metrics page and of `python -m bot report`."""
        from bot.metrics.report import Policy, ServiceMetrics

        return ServiceMetrics(self.database, Policy.from_settings(self.settings), self.handoff_desk.followups)

    def handoff_relay(self, gateway: "ConversationGateway") -> "HandoffRelay":
        """Claims and reply delivery through `gateway` (Rasa), and the relay that retries them. Build it once,
        when the event loop runs (the gateway needs its HTTP session): its lock keeps a reply from going twice."""
        from bot.handoff.claims import HandoffClaims
        from bot.handoff.outbox import ReplyDelivery
        from bot.handoff.relay import HandoffRelay

        desk = self.handoff_desk
        delivery = ReplyDelivery(desk.outbox, desk.agents, gateway, self.settings.outbox_max_attempts)
        return HandoffRelay(HandoffClaims(self.database, desk.agents, delivery, gateway), delivery)

    def agent_workspace(self, relay: "HandoffRelay", publisher: "Optional[LivePublisher]" = None) -> "AgentWorkspace":
        """The agent console's use cases, on the relay's claims and delivery; changes announced to `publisher`."""
        from bot.handoff.workspace import AgentWorkspace
        from bot.rasa.conversation_log import ConversationLog

        from bot.handoff.ticket_orders import TicketOrders

        return AgentWorkspace(self.handoff_desk, relay.claims, relay.delivery, ConversationLog(self.database),
                              self.settings.kb_dir / "canned_replies.yml", self.login_throttle(),
                              TicketOrders(self.handoff_desk.queue, self.tickets, self.customers),
                              publisher=publisher)

    def conversation_feed(self, publisher: "LivePublisher") -> "FeedConsumer":
        """The reader of Rasa's event broker (RabbitMQ with BOT_BROKER_URL, else the SQL broker's file) into our
        table for the live transcript; it tells `publisher` which handoffs moved. Run it in the web server."""
        from bot.handoff.live_events import FeedAnnouncer
        from bot.rasa.event_feed import broker_address, sql_broker_path
        from bot.rasa.feed_consumer import FeedConsumer, RabbitSource, SqlBrokerSource
        from bot.rasa.feed_store import FeedStore

        source = (RabbitSource(broker_address(self.settings)) if self.settings.broker_url
                  else SqlBrokerSource(sql_broker_path(self.settings)))
        return FeedConsumer(source, FeedStore(self.database), FeedAnnouncer(self.database, publisher).announce)

    def login_throttle(self) -> "LoginThrottle":
        """Failed sign-ins per username and address, counted by every web server together in cluster mode
        (in Redis; refused for a moment when Redis cannot be reached, never uncounted)."""
        from bot.handoff.login_throttle import UNAVAILABLE_WAIT_S, WINDOW_S, LoginThrottle
        from bot.shared_state.factory import shared_windows

        windows = shared_windows(self.settings, "login", self.settings.login_max_failures, WINDOW_S,
                                 when_unavailable=UNAVAILABLE_WAIT_S)
        return LoginThrottle(self.settings.login_max_failures, windows=windows)


@lru_cache(maxsize=1)
def get_services() -> Services:
    """The process's services, for the process's settings."""
    return Services(get_settings())
