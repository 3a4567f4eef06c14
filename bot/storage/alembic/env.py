"""Alembic's environment: runs the revisions on the connection `bot.storage.migrations` hands over (inside
its transaction and lock), or, when Alembic's own command line is pointed here, on `sqlalchemy.url`."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot.storage.metadata import full_metadata


def _run(connection: Connection) -> None:
    # Batch mode: SQLite can alter a table only by rebuilding it.
    context.configure(connection=connection, target_metadata=full_metadata(), render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=full_metadata(), render_as_batch=True,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as own_connection:
            _run(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


_main()
