"""The endpoints file each Rasa server reads: the repository's endpoints.yml with the action server's address
and token from settings, and, when Redis or an event broker is configured (cluster mode), Rasa's
RedisLockStore (two servers never process one conversation at once) and the event broker."""
from __future__ import annotations

import os

import re
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlsplit

import yaml

from bot.settings import Settings, SettingsError

# Rasa expands ${VARIABLE} in endpoints.yml when it reads the file: the secret stays in the environment.
ACTION_TOKEN_REFERENCE = "${BOT_ACTION_TOKEN}"
REDIS_PASSWORD_REFERENCE = "${BOT_REDIS_PASSWORD}"
# Rasa's lock keys start with a prefix of letters and digits only, followed by ":lock:".
LOCK_KEY_PREFIX = "bot"
# Rasa's RedisLockStore with atomic changes (two servers taking one conversation's messages at the same moment
# could both go ahead with Rasa's own); same settings as `type: redis`.
LOCK_STORE_TYPE = "bot.rasa.redis_lock_store.AtomicRedisLockStore"


def lock_key_prefix(redis_prefix: str) -> str:
    """BOT_REDIS_PREFIX ("bot:", "shop-a:") as a lock key prefix Rasa accepts ("bot", "shopa")."""
    return re.sub(r"[^A-Za-z0-9]", "", redis_prefix) or LOCK_KEY_PREFIX


def lock_store_endpoint(redis_url: str, redis_prefix: str = LOCK_KEY_PREFIX) -> Dict[str, Any]:
    """Rasa's Redis lock store (ours, atomic: bot/rasa/redis_lock_store.py) from a redis:// or rediss:// URL
    (host, port, /db, password), its keys under the installation's prefix (BOT_REDIS_PREFIX).

    The password is not written into the file: the caller passes it to Rasa as BOT_REDIS_PASSWORD
    (redis_password())."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SettingsError(f"BOT_REDIS_URL must look like redis://host:6379/0, not {redis_url!r}")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise SettingsError(f"BOT_REDIS_URL names database {path!r}; Redis databases are numbers (redis://host/0)")
    endpoint: Dict[str, Any] = {
        "type": LOCK_STORE_TYPE,
        "url": parts.hostname,
        "port": parts.port or 6379,
        "db": int(path or 0),
        "key_prefix": lock_key_prefix(redis_prefix),
    }
    if parts.username:
        endpoint["username"] = unquote(parts.username)
    if parts.password:
        endpoint["password"] = REDIS_PASSWORD_REFERENCE
    if parts.scheme == "rediss":
        endpoint["use_ssl"] = True
    return endpoint


def redis_password(redis_url: str) -> str:
    """The password in BOT_REDIS_URL ("redis://:secret@host" or "redis://user:secret@host"), or ""."""
    password = urlsplit(redis_url).password
    return unquote(password) if password else ""


def event_broker_endpoint(settings: Settings) -> Optional[Dict[str, Any]]:
    """The event broker the Rasa servers publish conversations to (bot/rasa/event_feed.py decides: Pika to
    RabbitMQ in the cluster, Rasa's SQL broker embedded), or None while that module does not offer one."""
    try:
        from bot.rasa import event_feed  # noqa: WPS433 (optional: it may not exist in every version)
    except ImportError:
        return None
    make = getattr(event_feed, "event_broker_endpoint", None)
    if make is None:
        return None
    endpoint = make(settings)
    return endpoint if isinstance(endpoint, dict) and endpoint else None


def endpoints_config(settings: Settings, action_server_url: Optional[str] = None) -> Dict[str, Any]:
    """The endpoints as a dict: endpoints.yml plus the action server (this replica's own), the lock store
    (with BOT_REDIS_URL) and the event broker (when there is one)."""
    source = settings.project_root / "endpoints.yml"
    endpoints = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    action_endpoint = endpoints.setdefault("action_endpoint", {})
    action_endpoint["url"] = action_server_url or settings.action_server_url
    if settings.action_token:
        action_endpoint["token"] = ACTION_TOKEN_REFERENCE
    if settings.redis_url:
        endpoints["lock_store"] = lock_store_endpoint(settings.redis_url, settings.redis_prefix)
    broker = event_broker_endpoint(settings)
    if broker is not None:
        endpoints["event_broker"] = broker
    return endpoints


def write_endpoints_file(settings: Settings, target: Path, action_server_url: Optional[str] = None) -> Path:
    """Writes the endpoints (endpoints_config) to `target`, e.g. var/endpoints.yml or var/cluster/endpoints-0.yml."""
    target.parent.mkdir(parents=True, exist_ok=True)
    config = endpoints_config(settings, action_server_url)
    # Owner-only, like var/secrets/: the event broker's section carries RabbitMQ's password.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(target, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return target
