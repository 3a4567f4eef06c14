"""Rasa's event broker as the feed of conversations: the endpoint Rasa publishes to, and the events it publishes
read back as plain values.

In cluster mode (BOT_BROKER_URL=amqp://…) Rasa's Pika broker publishes every event to a fanout exchange and a
durable queue named with the key prefix (BOT_REDIS_PREFIX), so two clusters on one RabbitMQ never meet. In the
embedded default Rasa's SQL broker writes to a SQLite file of its own, var/event_broker.db: not the assistant's
database, where the tracker store's table has the same name (`events`).
The web server reads the feed (`bot.rasa.feed_consumer`) into our own table for the agent's live transcript."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional
from urllib.parse import quote, unquote, urlsplit

from bot.settings import Settings

# The events the console's transcript shows (customer and bot messages, agents' replies among the latter).
FOLLOWED_EVENTS = ("user", "bot")
SQL_BROKER_FILE = "event_broker.db"
AMQP_PORT = 5672
AMQPS_PORT = 5671


@dataclass(frozen=True)
class BrokerAddress:
    """Where the Pika broker and our consumer meet: the server and the names of the exchange and the queue."""

    url: str  # amqp[s]://host:port[/vhost], without the credentials
    username: str
    password: str
    port: int
    vhost: str
    exchange: str
    queue: str

    @property
    def connection_url(self) -> str:
        """The URL with its credentials, for aio-pika."""
        parts = urlsplit(self.url)
        credentials = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        return f"{parts.scheme}://{credentials}{parts.netloc}{parts.path}"


def broker_address(settings: Settings) -> BrokerAddress:
    """BOT_BROKER_URL parsed: guest/guest and the default vhost when the URL names none."""
    parts = urlsplit(settings.broker_url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ValueError("BOT_BROKER_URL must look like amqp://user:password@host:5672/vhost")
    port = parts.port or (AMQPS_PORT if parts.scheme == "amqps" else AMQP_PORT)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else ""
    netloc = f"{parts.hostname}:{port}"
    path = f"/{quote(vhost, safe='')}" if vhost else ""
    prefix = settings.redis_prefix
    return BrokerAddress(url=f"{parts.scheme}://{netloc}{path}", username=unquote(parts.username or "guest"),
                         password=unquote(parts.password or "guest"), port=port, vhost=vhost or "/",
                         exchange=f"{prefix}rasa-events", queue=f"{prefix}events")


def sql_broker_path(settings: Settings) -> Path:
    return settings.var_dir / SQL_BROKER_FILE


def event_broker_endpoint(settings: Settings) -> Optional[Dict[str, Any]]:
    """The `event_broker` section of a Rasa server's endpoints: Pika with BOT_BROKER_URL, else Rasa's SQL broker
    (a faster subclass) on var/event_broker.db. The Pika section carries the broker's password: the endpoints file is private."""
    if settings.broker_url:
        address = broker_address(settings)
        # Rasa's PikaEventBroker builds its connection URL from `url` (scheme, host, port, vhost as the path)
        # plus username and password; `queues` are declared durable and bound to `exchange_name`.
        return {"type": "pika", "url": address.url, "port": address.port,
                "username": quote(address.username, safe=""), "password": quote(address.password, safe=""),
                "queues": [address.queue], "exchange_name": address.exchange,
                "raise_on_failure": False, "should_keep_unpublished_messages": True}
    # Rasa's SQL broker, on a pooled connection with one commit per turn (bot/rasa/feed_broker.py)
    return {"type": "bot.rasa.feed_broker.SqliteFeedBroker", "dialect": "sqlite", "db": str(sql_broker_path(settings))}


@dataclass(frozen=True)
class FeedEvent:
    """One event of one conversation as the broker carried it."""

    conversation_id: str
    type_name: str
    timestamp: float
    key: str  # the same event published twice has the same key (see `event_key`)
    data: Dict[str, Any]  # the event as the tracker store keeps it (without sender_id), reduced for the console


def event_key(conversation_id: str, event: Mapping[str, Any]) -> str:
    """A digest of the conversation id and the whole event: Rasa 3.6 gives events no id, and two distinct events
    of one conversation differ at least in their timestamps. The same for the tracker store's copy."""
    body = {k: v for k, v in event.items() if k != "sender_id"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{conversation_id}\x1f{canonical}".encode("utf-8")).hexdigest()


def _reduced(event: Mapping[str, Any]) -> Dict[str, Any]:
    """What the console reads of an event: a user event without the NLU's ranking lists (most of its size)."""
    data = {k: v for k, v in event.items() if k != "sender_id"}
    parse = data.get("parse_data")
    if isinstance(parse, dict):
        data["parse_data"] = {k: parse[k] for k in ("intent", "entities", "text") if k in parse}
    return data


def parse_feed_event(body: Any) -> Optional[FeedEvent]:
    """The event in a broker message (bytes or str of JSON, or a dict); None for anything else."""
    try:
        event = json.loads(body) if isinstance(body, (bytes, str)) else body
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("sender_id"), str) or not event.get("event"):
        return None
    try:
        timestamp = float(event.get("timestamp") or 0.0)
    except (TypeError, ValueError):
        timestamp = 0.0
    conversation_id = event["sender_id"]
    return FeedEvent(conversation_id=conversation_id, type_name=str(event["event"]), timestamp=timestamp,
                     key=event_key(conversation_id, event), data=_reduced(event))


def is_followed(event: FeedEvent) -> bool:
    return event.type_name in FOLLOWED_EVENTS
