import os
from pathlib import Path
from typing import Iterator

import pytest

from bot.runtime.training import ensure_model
from bot.settings import Settings, load_settings

# Offline and quiet, also for Rasa code imported into the test process.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    return load_settings({})


@pytest.fixture(scope="session")
def trained_model(project_settings: Settings) -> Path:
    """The model trained from the repository's data (reused when nothing changed)."""
    return ensure_model(project_settings).model


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings with a folder and a database of the test's own: a SQLite file, or, with
    BOT_TEST_DATABASE=postgres, a new database on the machine's PostgreSQL (dropped afterwards)."""
    if os.environ.get("BOT_TEST_DATABASE", "sqlite") == "postgres":
        from tests.support.services import fresh_postgres_database

        with fresh_postgres_database() as url:
            yield load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_DATABASE_URL": url})
        return
    yield load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}"})
