"""Migrations (issue #13): a database created by the previous release (the home-made steps up to version 8)
upgrades through Alembic with its rows intact, and the new columns and the numbering work on it; a fresh
database gets the same schema as an upgraded one, and the schema the revisions build is the one the models
declare. On a SQLite file and on the machine's PostgreSQL (skipped, naming it, where it is missing)."""
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.complaints.tickets import ComplaintDraft, TicketService
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.storage.database import Database, create_database
from bot.storage.legacy_migrations import LEGACY_VERSION_TABLE, V8, legacy_version, upgrade_legacy
from bot.storage.metadata import full_metadata
from bot.storage.migrations import BASELINE_REVISION, current_revisions, head_revisions, migrate
from tests.support.services import fresh_postgres_database

TODAY = datetime(2026, 11, 30, 8, 0)
HOURS = {"critical": 2, "high": 4, "normal": 24}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def open_database(database_url: str) -> Iterator[Database]:
    database = create_database(database_url)
    yield database
    database.engine.dispose()


def fill_release_v8(connection: sa.engine.Connection) -> None:
    """Rows as the previous release wrote them (its tables, not today's models)."""
    t = V8.tables
    connection.execute(t["customers"].insert(), [dict(id="C1001", name="王芳", tier="vip", language="zh",
                                                      phone="13812345678", created_at=TODAY)])
    connection.execute(t["orders"].insert(), [dict(order_number="GD2611200001", customer_id="C1001", status="shipped",
                                                   items="AirPods Pro 2 x1", total_cents=189900, currency="CNY",
                                                   placed_at=TODAY)])
    connection.execute(t["tickets"].insert(), [
        dict(id=n, number=f"TK261130{n:04d}", idempotency_key=f"key-{n}", conversation_id="web:old",
             customer_id="C1001", category="delivery", severity="normal", emotion_level="calm", emotion_score=0.1,
             description=f"旧工单 {n}", language="zh", status="open", sla_due_at=TODAY, escalated=False,
             created_at=TODAY, updated_at=TODAY) for n in (1, 2, 3)])
    connection.execute(t["ticket_events"].insert(), [dict(ticket_id=1, status="open", note="created",
                                                          actor="assistant", created_at=TODAY)])
    connection.execute(t["agents"].insert(), [dict(id=1, username="li", display_name="小李", password_hash="x",
                                                   role="agent", language="zh", presence="online", active=True,
                                                   created_at=TODAY)])
    connection.execute(t["handoffs"].insert(), [dict(id=1, number="HD2611300001", conversation_id="web:old",
                                                     channel="socketio", language="zh", tier="vip", reason="angry",
                                                     summary="耳机坏了", base_priority=50, status="claimed",
                                                     agent_id=1, context_json="{}", callback_requested=False,
                                                     created_at=TODAY)])
    connection.execute(t["agent_replies"].insert(), [
        dict(id=1, handoff_id=1, agent_id=1, text="您好，我是小李", created_at=TODAY, delivered_at=TODAY, attempts=1),
        dict(id=2, handoff_id=1, agent_id=1, text="马上为您处理", created_at=TODAY, delivered_at=None,
             attempts=0)])
    if connection.dialect.name == "postgresql":  # rows given their ids: move the sequences on, as the app would
        for table in ("tickets", "ticket_events", "agents", "handoffs", "agent_replies"):
            connection.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))")


def count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_a_database_of_the_previous_release_upgrades_with_its_rows_intact(open_database):
    with open_database.engine.begin() as connection:
        assert upgrade_legacy(connection) == 8
        fill_release_v8(connection)

    assert migrate(open_database.engine) == ", ".join(head_revisions())
    assert current_revisions(open_database.engine) == head_revisions()

    assert {t: count(open_database, t) for t in ("customers", "orders", "tickets", "ticket_events", "agents",
                                                  "handoffs", "agent_replies")} == \
        {"customers": 1, "orders": 1, "tickets": 3, "ticket_events": 1, "agents": 1, "handoffs": 1,
         "agent_replies": 2}  # nothing lost
    with open_database.engine.connect() as connection:
        replies = connection.execute(sa.text("SELECT id, text, delivered_at IS NULL, claimed_by, lease_until "
                                             "FROM agent_replies ORDER BY id")).all()
        customer = connection.execute(sa.text("SELECT name, phone FROM customers")).one()
    assert [tuple(r) for r in replies] == [(1, "您好，我是小李", False, None, None), (2, "马上为您处理", True, None, None)]
    assert tuple(customer) == ("王芳", "13812345678")

    # The next numbers follow the old ones.
    ticket = TicketService(open_database, HOURS).submit(ComplaintDraft(
        conversation_id="web:" + "x" * 150, customer_id="C1001", category="delivery", description="还没到货",
        emotion_level="calm", emotion_score=0.1, language="zh"), now=TODAY)
    assert ticket.number == "TK2611300004"
    handoff = HandoffQueue(open_database).request(HandoffRequest(
        "web:new", "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=TODAY)
    assert handoff.number == "HD2611300002"
    assert migrate(open_database.engine) == ", ".join(head_revisions())  # a second run changes nothing


def test_a_database_of_an_older_release_is_brought_to_v8_first(open_database):
    with open_database.engine.begin() as connection:
        assert upgrade_legacy(connection, target=3) == 3
        connection.execute(V8.tables["customers"].insert(), [dict(id="C1", name="李雷", tier="regular",
                                                                  language="en", created_at=TODAY)])
    migrate(open_database.engine)
    assert count(open_database, "customers") == 1
    with open_database.engine.connect() as connection:
        assert legacy_version(connection) == 8
        assert BASELINE_REVISION not in current_revisions(open_database.engine)  # went on past it
        assert {"agent_replies", "metrics_cells", "guest_check_failures", "number_counters"} <= \
            set(sa.inspect(connection).get_table_names())


def schema(database: Database) -> dict:
    """Tables, their columns (type, nullable), indexes, unique constraints and foreign keys."""
    inspector = sa.inspect(database.engine)
    found = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version", LEGACY_VERSION_TABLE}):
        found[table] = (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)),
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
            sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            sorted((tuple(f["constrained_columns"]), f["referred_table"], f.get("options", {}).get("ondelete"))
                   for f in inspector.get_foreign_keys(table)),
        )
    return found


def test_a_fresh_database_gets_the_schema_of_an_upgraded_one_and_of_the_models(database_url):
    upgraded = create_database(database_url)
    with upgraded.engine.begin() as connection:
        upgrade_legacy(connection)
    migrate(upgraded.engine)
    old_schema = schema(upgraded)
    with upgraded.engine.begin() as connection:  # empty it, and build it again from nothing
        full_metadata().drop_all(connection)
        for table in ("alembic_version", LEGACY_VERSION_TABLE, "events"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    upgraded.engine.dispose()
    fresh = create_database(database_url)
    migrate(fresh.engine)
    try:
        assert schema(fresh) == old_schema
        with fresh.engine.connect() as connection:
            # SQLite's ids keep their old VARCHAR length: it does not enforce it (0002_cluster).
            types = connection.dialect.name != "sqlite"
            differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": types}),
                                           full_metadata())
        assert differences == []  # the revisions build what the models declare
    finally:
        fresh.engine.dispose()
