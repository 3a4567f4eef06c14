import pytest

from bot.storage.database import create_database
from bot.storage.migrations import migrate


@pytest.fixture
def database(tmp_settings):
    """An empty database with the current schema (modules that need demo data define their own)."""
    db = create_database(tmp_settings.database_url)
    migrate(db.engine)
    yield db
    db.engine.dispose()
