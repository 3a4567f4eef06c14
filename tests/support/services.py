"""The machine's PostgreSQL, Redis and RabbitMQ for the cluster tests (issue #13).

Each `require_*` returns a connection URL, or skips the test with a reason naming the missing service.
In CI (CI=true) a missing service fails the test instead: CI runs on machines that have all three, and
must not skip what it can run. Addresses can be pointed elsewhere with BOT_TEST_POSTGRES_URL,
BOT_TEST_REDIS_URL and BOT_TEST_BROKER_URL.

`fresh_postgres_database()` creates an empty database of its own for one test (dropped afterwards), so
tests never see each other's rows and can run against a server that holds other databases.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from bot.runtime.ports import reachable

POSTGRES_URL = os.environ.get("BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BROKER_URL = os.environ.get("BOT_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _missing(service: str, url: str) -> None:
    reason = f"needs {service} at {urlsplit(url).hostname}:{urlsplit(url).port} (not reachable here)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI machines run it, so this is a failure, not a skip")
    pytest.skip(reason)


def require_postgres() -> str:
    if not reachable(POSTGRES_URL, 5432):
        _missing("PostgreSQL", POSTGRES_URL)
    return POSTGRES_URL


def require_redis() -> str:
    if not reachable(REDIS_URL, 6379):
        _missing("Redis", REDIS_URL)
    return REDIS_URL


def require_rabbitmq() -> str:
    if not reachable(BROKER_URL, 5672):
        _missing("RabbitMQ", BROKER_URL)
    return BROKER_URL


@contextmanager
def fresh_postgres_database(prefix: str = "bot_test") -> Iterator[str]:
    """A new, empty PostgreSQL database for the duration of the block; yields its URL."""
    import sqlalchemy as sa

    admin_url = require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,))
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def fresh_redis_prefix() -> str:
    """A key prefix of its own for one test, so tests sharing the Redis server never meet."""
    return f"bot-test-{uuid.uuid4().hex[:10]}:"
