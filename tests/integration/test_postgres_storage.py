"""Our storage on PostgreSQL (issue #13), always run: a representative set of the database tests of tests/unit,
here on a fresh PostgreSQL database each instead of a SQLite file (the whole set runs that way with
BOT_TEST_DATABASE=postgres). Migrating from empty, tickets, a handoff claimed, replied to and closed through the
outbox, the service metrics over Rasa's events table, retention, and Rasa's tracker store across a session
boundary. Skipped, naming PostgreSQL, where it is missing."""
from pathlib import Path
from typing import Iterator

import pytest

from bot.settings import Settings, load_settings
from bot.storage.database import create_database
from bot.storage.migrations import current_revisions, head_revisions, migrate
from tests.support.services import fresh_postgres_database
# The tests below are those of tests/unit, collected here again with this module's fixtures.
from tests.unit.test_complaints import (  # noqa: F401
    service, test_status_changes_are_recorded_in_history, test_the_same_complaint_twice_is_one_ticket,
    test_ticket_number_format_sequence_and_sla, test_tickets_are_only_visible_to_their_customer,
)
from tests.unit.test_handoff import (  # noqa: F401
    test_callbacks_take_a_message_and_can_be_cancelled_before_one, test_exactly_one_of_two_agents_claims,
    test_ratings_and_comments, test_request_is_idempotent_and_queue_order_is_priority_then_waiting,
)
from tests.unit.test_numbering import (  # noqa: F401
    test_handoffs_are_numbered_per_day_from_0001, test_numbers_follow_those_stored_before_the_counter_existed,
)
from tests.unit.test_outbox import (  # noqa: F401
    test_a_reply_attempted_but_not_marked_before_a_crash_is_not_sent_twice,
    test_an_undeliverable_reply_blocks_only_its_own_conversation_and_is_failed_for_good,
)
from tests.unit.test_relay import (  # noqa: F401
    test_claim_reply_and_resolve_reach_rasa_after_it_comes_back,
    test_the_relay_retries_a_close_made_while_rasa_was_down_last_words_first,
)
from tests.unit.test_retention import (  # noqa: F401
    test_a_dry_run_counts_and_changes_nothing_and_a_second_run_finds_nothing,
    test_older_records_go_newer_ones_and_open_work_stay,
)
from tests.unit.test_service_metrics import (  # noqa: F401
    known, test_every_figure_of_the_week_equals_the_hand_computed_value,
)
from tests.unit.test_storage import (  # noqa: F401
    process_settings, test_rasa_tracker_store_uses_the_configured_database,
    test_tracker_store_reads_and_writes_exactly_what_rasas_own_store_does,
)


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Iterator[Settings]:
    """A folder of the test's own and a new, empty PostgreSQL database (dropped afterwards)."""
    with fresh_postgres_database() as url:
        yield load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_DATABASE_URL": url})


@pytest.fixture
def database(tmp_settings):
    db = create_database(tmp_settings.database_url)
    migrate(db.engine)
    yield db
    db.engine.dispose()


def test_migrating_an_empty_database_gives_the_newest_schema_and_a_second_run_changes_nothing(tmp_settings):
    db = create_database(tmp_settings.database_url)
    try:
        assert db.engine.dialect.name == "postgresql"
        assert current_revisions(db.engine) == ()
        assert migrate(db.engine) == ", ".join(head_revisions())
        assert migrate(db.engine) == ", ".join(head_revisions())
        assert current_revisions(db.engine) == head_revisions()
    finally:
        db.engine.dispose()
