"""Two web servers (two engines) on one SQLite file: the reply outbox's and the claims' leases work there too
(a plain conditional UPDATE, which SQLite serialises). The same tests as on PostgreSQL
(tests/integration/test_postgres_concurrency.py), collected here with a SQLite pair of servers."""
from typing import Iterator, List

import pytest

from bot.storage.database import Database, create_database
from bot.storage.migrations import migrate
from tests.integration.test_postgres_concurrency import (  # noqa: F401
    test_a_claim_is_told_to_rasa_once_when_two_web_servers_tell_it_at_once,
    test_a_lease_left_by_a_crashed_web_server_runs_out_and_the_reply_goes_out_once,
    test_two_web_servers_relaying_one_outbox_deliver_every_reply_once_and_in_order,
)


@pytest.fixture
def two_servers(tmp_settings) -> Iterator[List[Database]]:
    first = create_database(tmp_settings.database_url)
    migrate(first.engine)
    second = create_database(tmp_settings.database_url)
    yield [first, second]
    for database in (first, second):
        database.engine.dispose()


def test_replicas_starting_together_migrate_one_sqlite_file_once(tmp_settings):
    from concurrent.futures import ThreadPoolExecutor

    from bot.storage.migrations import head_revisions

    engines = [create_database(tmp_settings.database_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            versions = list(pool.map(lambda db: migrate(db.engine), engines))
    finally:
        for db in engines:
            db.engine.dispose()
    assert versions == [", ".join(head_revisions())] * 3
