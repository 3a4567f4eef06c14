"""Tables for the assistant's own records (Rasa keeps conversations in its `events` table)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

# Conversation and sender ids: a channel's prefix and its own id reach about 133 characters (revision
# 0002_cluster widened them from 128; PostgreSQL enforces the length).
ID_LENGTH = 160


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Customer(Base):
    __tablename__ = "customers"

    id = Column(String(64), primary_key=True)
    name = Column(String(128), nullable=False)
    tier = Column(String(16), nullable=False, default="regular")  # regular | vip
    language = Column(String(8), nullable=False, default="zh")
    phone = Column(String(32))
    email = Column(String(255))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    identities = relationship("ChannelIdentity", back_populates="customer", cascade="all, delete-orphan")
    orders = relationship("Order", back_populates="customer", cascade="all, delete-orphan")


class ChannelIdentity(Base):
    """How a customer is known on a channel: a WeChat openid, a web login, a REST sender id."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    channel = Column(String(32), nullable=False)
    external_id = Column(String(ID_LENGTH), nullable=False, index=True)

    customer = relationship("Customer", back_populates="identities")


class Order(Base):
    __tablename__ = "orders"

    order_number = Column(String(32), primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(16), nullable=False)  # paid | shipped | delivered | cancelled | returned
    items = Column(Text, nullable=False)  # human-readable summary, e.g. "AirPods Pro 2 x1"
    total_cents = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False, default="CNY")
    placed_at = Column(DateTime, nullable=False)
    carrier = Column(String(32))
    tracking_number = Column(String(64))

    customer = relationship("Customer", back_populates="orders")


class KbQuery(Base):
    """Every knowledge-base question and what the assistant did with it."""

    __tablename__ = "kb_queries"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False, index=True)
    question = Column(Text, nullable=False)
    normalized = Column(String(255), nullable=False, index=True)
    language = Column(String(8), nullable=False)
    outcome = Column(String(16), nullable=False)  # answered | choices | unanswered | chosen
    entry_id = Column(String(64))
    score = Column(Float)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class KbFeedback(Base):
    """A customer's answer to "was this helpful?"."""

    __tablename__ = "kb_feedback"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False, index=True)
    entry_id = Column(String(64), nullable=False, index=True)
    question = Column(Text)
    helpful = Column(Boolean, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class Ticket(Base):
    """A complaint: told to the customer only after this row is committed."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(16), nullable=False, unique=True)
    idempotency_key = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False, index=True)
    customer_id = Column(String(64), index=True)
    category = Column(String(24), nullable=False)
    severity = Column(String(12), nullable=False)  # critical | high | normal
    emotion_level = Column(String(8), nullable=False)
    emotion_score = Column(Float, nullable=False)
    order_number = Column(String(32), index=True)
    description = Column(Text, nullable=False)
    phone = Column(String(32))
    callback_time = Column(String(64))
    language = Column(String(8), nullable=False, default="zh")
    status = Column(String(16), nullable=False, default="open")  # open | in_progress | resolved | closed
    sla_due_at = Column(DateTime, nullable=False)
    escalated = Column(Boolean, nullable=False, default=False)
    escalation_reason = Column(String(64))
    # Who is to follow it up, when an admin assigned it (service metrics: overdue tickets). An agent's id; no
    # foreign key, because this table is created (migration 3) before the agents' (migration 4).
    assigned_agent_id = Column(Integer, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class TicketEvent(Base):
    """The history of a ticket's status."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    note = Column(Text)
    actor = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Agent(Base):
    """A person who answers handoffs in the agent console (role agent or admin)."""

    __tablename__ = "agents"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="agent")  # agent | admin
    language = Column(String(8), nullable=False, default="zh")
    presence = Column(String(16), nullable=False, default="offline")  # online | away | offline
    last_seen_at = Column(DateTime)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """A signed-in console session; only a hash of the cookie's token is stored."""

    __tablename__ = "agent_sessions"

    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)


class Handoff(Base):
    """A conversation handed to a person: queued, claimed, then resolved, returned to the bot or
    cancelled; or, with nobody available, a callback request the customer left a message for."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    customer_id = Column(String(64), index=True)
    language = Column(String(8), nullable=False, default="zh")
    tier = Column(String(16), nullable=False, default="regular")
    reason = Column(String(24), nullable=False)  # explicit | misunderstood | angry | safety | repeat | vip
    summary = Column(Text, nullable=False)
    base_priority = Column(Integer, nullable=False, default=0)
    status = Column(String(16), nullable=False, index=True)  # queued|claimed|resolved|returned|cancelled|callback
    agent_id = Column(Integer, ForeignKey("agents.id"), index=True)
    ticket_number = Column(String(16))
    context_json = Column(Text, nullable=False)
    callback_message = Column(Text)
    # Asked for while nobody was available (a callback request), whatever its status now.
    callback_requested = Column(Boolean, nullable=False, default=False)
    # What Rasa has still to be told (claimed: pause; resolved/returned: resume), until it has been.
    rasa_pending = Column(String(16), index=True)
    # Which web server is telling Rasa that step, until when (bot.handoff.claims): told once across servers.
    rasa_claimed_by = Column(String(64))
    rasa_lease_until = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    claimed_at = Column(DateTime)
    closed_at = Column(DateTime)


class HandoffNote(Base):
    """An agent's internal note on a handoff: never shown to the customer."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AgentReply(Base):
    """An agent's message to the customer: stored first, then delivered through Rasa (an outbox)."""

    __tablename__ = "agent_replies"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    # Not before this time (retries back off); and, once it can never be delivered, when that was decided.
    next_attempt_at = Column(DateTime)
    failed_at = Column(DateTime, index=True)
    # Which web server is delivering it, until when (bot.handoff.outbox): one relay at a time per reply, and the
    # lease of a server that died runs out.
    claimed_by = Column(String(64))
    lease_until = Column(DateTime)


class SatisfactionRating(Base):
    """The customer's 1–5 rating after a person handled the conversation, with an optional comment."""

    __tablename__ = "satisfaction_ratings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False, index=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="SET NULL"), index=True)
    score = Column(Integer, nullable=False)
    comment = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class WeChatInbound(Base):
    """Every WeChat message or event received, once: WeChat retries for 15 seconds, and a retry
    (even after a restart) is recognised by its MsgId (events: sender + CreateTime)."""

    __tablename__ = "wechat_inbound"

    id = Column(Integer, primary_key=True, autoincrement=True)
    dedupe_key = Column(String(128), nullable=False, unique=True)
    openid = Column(String(128), nullable=False, index=True)
    msg_type = Column(String(32), nullable=False)
    # processing | passive | api | failed; recovering: answered after a crash (bot.channels.wechat.inbox)
    state = Column(String(16), nullable=False, default="processing", index=True)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    answered_at = Column(DateTime)
    # What the bot is to be told, kept only until it is answered: a crash mid-way is finished on restart.
    text = Column(Text)


class WeChatOptions(Base):
    """The numbered options last shown to a WeChat customer (buttons become "1. …", "2. …")."""

    __tablename__ = "wechat_options"

    openid = Column(String(128), primary_key=True)
    options_json = Column(Text, nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ReplyBuckets:
    """The bot's reply times, counted in the buckets of bot.metrics.conversations.REPLY_BUCKETS_S (one column a
    bucket: reply_b0 … reply_b9), on a conversation and summed on a day's cell."""

    reply_b0 = Column(Integer, nullable=False, default=0)
    reply_b1 = Column(Integer, nullable=False, default=0)
    reply_b2 = Column(Integer, nullable=False, default=0)
    reply_b3 = Column(Integer, nullable=False, default=0)
    reply_b4 = Column(Integer, nullable=False, default=0)
    reply_b5 = Column(Integer, nullable=False, default=0)
    reply_b6 = Column(Integer, nullable=False, default=0)
    reply_b7 = Column(Integer, nullable=False, default=0)
    reply_b8 = Column(Integer, nullable=False, default=0)
    reply_b9 = Column(Integer, nullable=False, default=0)


class MetricsConversation(ReplyBuckets, Base):
    """One conversation (a Rasa session of one sender) folded from Rasa's `events` table, so that the service
    metrics read 100,000 conversations instead of a million events (`bot.metrics.conversations`). Times are
    seconds since the epoch, as Rasa stores them; the day, weekday and hour are in the business's time zone."""

    __tablename__ = "metrics_conversations"
    __table_args__ = (
        UniqueConstraint("sender_id", "first_event_id", name="uq_metrics_conversation_session"),
        Index("ix_metrics_conversations_day", "local_day", "channel", "language"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    sender_id = Column(String(255), nullable=False, index=True)
    first_event_id = Column(Integer, nullable=False)
    last_event_id = Column(Integer, nullable=False)
    channel = Column(String(16), nullable=False)  # web | wechat | rest | other (from the sender id)
    language = Column(String(8), nullable=False)
    first_ts = Column(Float, nullable=False)
    started_ts = Column(Float)  # the first customer message; None: the customer never wrote
    last_ts = Column(Float, nullable=False, index=True)
    local_day = Column(String(10))  # YYYY-MM-DD of started_ts
    weekday = Column(Integer)  # 0 = Monday
    hour = Column(Integer)
    customer_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    agent_messages = Column(Integer, nullable=False, default=0)
    misses = Column(Integer, nullable=False, default=0)  # customer turns answered "I did not understand"
    last_turn_missed = Column(Boolean, nullable=False, default=False)
    waiting_at_end = Column(Boolean, nullable=False, default=False)  # still queued for a person at its end
    peak_mood = Column(String(8), nullable=False, default="calm")
    last_mood = Column(String(8), nullable=False, default="calm")
    first_angry_ts = Column(Float)
    handoff_id = Column(Integer)  # the first handoff asked for in it
    handoff_ts = Column(Float)
    tickets = Column(Integer, nullable=False, default=0)  # complaint tickets filed in it
    next_started_ts = Column(Float)  # the same sender's next conversation


class MetricsCell(ReplyBuckets, Base):
    """The conversations of one day, hour, channel, language and worst mood, summed as if each were long over
    (`bot.metrics.cube`): the page reads these few thousand rows, and corrects only the last day's conversations
    for the moment of asking."""

    __tablename__ = "metrics_cells"
    __table_args__ = (Index("ix_metrics_cells_day", "local_day", "channel", "language"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    local_day = Column(String(10), nullable=False)
    hour = Column(Integer, nullable=False)
    channel = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    peak_mood = Column(String(8), nullable=False)
    conversations = Column(Integer, nullable=False, default=0)
    customer_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    agent_messages = Column(Integer, nullable=False, default=0)
    contained = Column(Integer, nullable=False, default=0)
    handed = Column(Integer, nullable=False, default=0)
    ended = Column(Integer, nullable=False, default=0)
    settled = Column(Integer, nullable=False, default=0)
    contained_no_return = Column(Integer, nullable=False, default=0)
    after_miss = Column(Integer, nullable=False, default=0)
    while_waiting = Column(Integer, nullable=False, default=0)
    calmed = Column(Integer, nullable=False, default=0)
    left = Column(Integer, nullable=False, default=0)
    ongoing = Column(Integer, nullable=False, default=0)
    angry_decided = Column(Integer, nullable=False, default=0)
    angry_in_time = Column(Integer, nullable=False, default=0)


class MetricsState(Base):
    """Where the folding of Rasa's events into conversations stands (the last event id read, the time zone)."""

    __tablename__ = "metrics_state"

    key = Column(String(64), primary_key=True)
    value = Column(String(255), nullable=False)


class GuestCheckFailure(Base):
    """A guest's wrong phone digits for an order or a ticket number (bot/customers/guest_lockout.py), counted
    per number across every conversation and channel: after BOT_GUEST_CHECK_MAX_FAILURES in a day, guests can
    no longer check that number. Rows older than the day are deleted as new ones come."""

    __tablename__ = "guest_check_failures"
    __table_args__ = (Index("ix_guest_check_failures_number", "kind", "number", "created_at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(8), nullable=False)  # order | ticket
    number = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class NumberCounter(Base):
    """The last ticket or handoff number given out under a prefix and day, e.g. "TK261130" → 12
    (bot.storage.numbering): raised in the transaction that stores the ticket, so numbers are consecutive."""

    __tablename__ = "number_counters"

    name = Column(String(32), primary_key=True)
    value = Column(Integer, nullable=False)
