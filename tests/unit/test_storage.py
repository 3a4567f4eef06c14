
import pytest
from sqlalchemy import func, select

from bot.customers.demo_loader import DemoDataError, load_demo_store
from bot.customers.directory import CustomerDirectory, normalize_order_number
from bot.customers.order_status import answer_order_query
from bot.storage.database import create_database
from bot.storage.migrations import current_revisions, head_revisions, migrate
from bot.storage.models import ChannelIdentity, Customer, Order


@pytest.fixture
def database(tmp_settings):
    db = create_database(tmp_settings.database_url)
    migrate(db.engine)
    load_demo_store(db, tmp_settings.demo_store_file)
    yield db
    db.engine.dispose()


def test_migrate_creates_the_schema_once(tmp_settings):
    db = create_database(tmp_settings.database_url)
    assert current_revisions(db.engine) == ()
    assert migrate(db.engine) == ", ".join(head_revisions())
    assert migrate(db.engine) == ", ".join(head_revisions())  # second run changes nothing
    assert current_revisions(db.engine) == head_revisions()


def test_sqlite_file_is_in_wal_mode_for_two_writer_processes(database):
    if database.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite pragma (the tests run on another database)")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_demo_store_loads_and_reloading_does_not_duplicate(database, tmp_settings):
    load_demo_store(database, tmp_settings.demo_store_file)
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar() == 7
        assert session.execute(select(func.count()).select_from(Order)).scalar() == 11
        assert session.execute(select(func.count()).select_from(ChannelIdentity)).scalar() == 11
        vips = session.execute(select(Customer.id).where(Customer.tier == "vip")).scalars().all()
    assert sorted(vips) == ["C1001", "C1003", "C1006"]


def test_a_channel_sender_maps_to_a_customer(database):
    directory = CustomerDirectory(database)
    wang = directory.find_by_identity("oGalaxyVipWangFang0001", channel="wechat")
    assert wang is not None and wang.name == "王芳" and wang.is_vip
    assert directory.find_by_identity("demo-david").id == "C1005"
    assert directory.find_by_identity("oGalaxyVipWangFang0001", channel="rest") is None
    assert directory.find_by_identity("stranger") is None


def test_orders_are_found_and_listed_newest_first(database):
    directory = CustomerDirectory(database)
    order = directory.find_order("GD2611180002")
    assert order.status == "shipped" and order.total == "1799.00"
    assert [o.order_number for o in directory.orders_of("C1001")] == ["GD2611180002", "GD2610150001"]


@pytest.mark.parametrize(
    "raw, expected",
    [("GD2611180002", "GD2611180002"), (" gd2611180002 ", "GD2611180002"), ("#GD2611180002", "GD2611180002"),
     ("GD26111800", None), ("2611180002", None), ("", None)],
)
def test_order_number_format(raw, expected):
    assert normalize_order_number(raw) == expected


def test_order_answers_depend_on_who_asks(database):
    directory = CustomerDirectory(database)
    owner = answer_order_query(directory, "gd2611180002", "C1001")
    assert owner.response == "utter_order_status_shipped"
    assert owner.values["tracking_number"] == "SF1402938479921"
    stranger = answer_order_query(directory, "GD2611180002", "C1002")
    assert stranger.response == "utter_order_not_yours" and "tracking_number" not in stranger.values
    # A guest is first asked for the last four digits of the phone on the order (tests/unit/test_guest_verification.py).
    anonymous = answer_order_query(directory, "GD2611180002", None)
    assert anonymous.response == "utter_verify_ask_order_digits" and anonymous.values == {"order_number": "GD2611180002"}
    assert answer_order_query(directory, "GD0000000000", "C1001").response == "utter_order_not_found"


def test_malformed_demo_file_names_file_and_record(tmp_path, database):
    bad = tmp_path / "store.yml"
    bad.write_text("customers:\n  - id: C9\n    name: X\n    tier: gold\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"store.yml: customers\[0\]: tier"):
        load_demo_store(database, bad)
    bad.write_text("orders:\n  - {order_number: X1, customer: C1001}\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"orders\[0\]: order_number 'X1'"):
        load_demo_store(database, bad)


@pytest.fixture
def process_settings(tmp_settings, monkeypatch):
    """The process's settings (`get_settings()`, as the Rasa server's tracker store reads them) point
    at this test's database."""
    from bot.settings import get_settings

    monkeypatch.setenv("BOT_DATABASE_URL", tmp_settings.database_url)
    get_settings.cache_clear()
    yield tmp_settings
    get_settings.cache_clear()


def test_rasa_tracker_store_uses_the_configured_database(process_settings):
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa.tracker_store import SettingsSQLTrackerStore

    domain = Domain.empty()
    store = SettingsSQLTrackerStore(domain=domain)
    tracker = DialogueStateTracker("customer-1", domain.slots)
    tracker.update(UserUttered("你好", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    reopened = SettingsSQLTrackerStore(domain=domain)  # as after a restart
    restored = asyncio.run(reopened.retrieve("customer-1"))
    assert restored.latest_message.text == "你好"
    db = create_database(process_settings.database_url)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM events").scalar() >= 1


def test_tracker_store_reads_and_writes_exactly_what_rasas_own_store_does(process_settings):
    """Our faster queries against Rasa's SQLTrackerStore on the same file: same trackers, no duplicates."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.pool import QueuePool

    from bot.rasa.tracker_store import SettingsSQLTrackerStore

    domain = Domain.empty()
    ours = SettingsSQLTrackerStore(domain=domain)
    assert isinstance(ours.engine.pool, QueuePool)  # pooled, not a new connection per query
    tracker = DialogueStateTracker("c-1", domain.slots)
    for event in [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=1.1),
                  UserUttered("第一次", {"name": "greet", "confidence": 1.0}, timestamp=2.0)]:
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    asyncio.run(ours.save(tracker))  # nothing new: nothing written twice
    for event in [SessionStarted(timestamp=3.0), ActionExecuted("action_listen", timestamp=3.1),
                  UserUttered("第二次", {"name": "greet", "confidence": 1.0}, timestamp=4.0)]:
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    theirs = SQLTrackerStore(domain=domain, host=process_settings.database_url)
    for sender in ("c-1", "nobody"):
        mine, rasa = asyncio.run(ours.retrieve(sender)), asyncio.run(theirs.retrieve(sender))
        assert (mine and mine.current_state()) == (rasa and rasa.current_state())
    latest = asyncio.run(ours.retrieve("c-1"))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["第二次"]
    full = asyncio.run(ours.retrieve_full_tracker("c-1"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["第一次", "第二次"]
    assert len(full.events) == 6
    theirs.engine.dispose()


def test_the_event_broker_gets_each_new_event_once_across_sessions(process_settings):
    """The broker (the console's feed) hears exactly the events `save` stores, also after a new session and
    when nothing is new, without Rasa's read-back of the whole tracker."""
    import asyncio

    from rasa.core.brokers.broker import EventBroker
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa.tracker_store import SettingsSQLTrackerStore

    class Recorder(EventBroker):  # stands in for RabbitMQ or the SQL broker: Rasa's own interface
        def __init__(self) -> None:
            self.published = []

        def publish(self, event) -> None:
            self.published.append(event)

    recorder = Recorder()
    domain = Domain.empty()
    store = SettingsSQLTrackerStore(domain=domain, event_broker=recorder)
    tracker = DialogueStateTracker("c-feed", domain.slots)
    for event in [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=1.1),
                  UserUttered("第一次", {"name": "greet", "confidence": 1.0}, timestamp=2.0)]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing published twice
    for event in [SessionStarted(timestamp=3.0), ActionExecuted("action_listen", timestamp=3.1),
                  UserUttered("第二次", {"name": "greet", "confidence": 1.0}, timestamp=4.0)]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert [e["event"] for e in recorder.published] == ["session_started", "action", "user"] * 2
    assert [e.get("text") for e in recorder.published if e["event"] == "user"] == ["第一次", "第二次"]
    assert {e["sender_id"] for e in recorder.published} == {"c-feed"}
