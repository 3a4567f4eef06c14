"""Creates the cluster's PostgreSQL database when it does not exist yet, so that `make cluster` works on a
fresh server. A managed database is usually created by its operator; then this finds it and does nothing."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

MAINTENANCE_DATABASE = "postgres"


class DatabaseUnavailable(RuntimeError):
    """The server cannot be reached, or the database is missing and cannot be created; the message says which."""


def ensure_postgres_database(url: str) -> bool:
    """True when it created the database named in `url`, False when it was there already."""
    target = make_url(url)
    name = target.database
    if not name:
        raise DatabaseUnavailable("BOT_DATABASE_URL names no database (postgresql://user@host:5432/<database>)")
    shown = target.render_as_string(hide_password=True)
    engine = create_engine(target, future=True)
    try:
        with engine.connect():
            return False
    except SQLAlchemyError as error:
        if "does not exist" not in str(error):
            raise DatabaseUnavailable(f"cannot connect to {shown}: {str(error).splitlines()[0]}") from None
    finally:
        engine.dispose()
    admin = create_engine(target.set(database=MAINTENANCE_DATABASE), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                quoted = '"' + name.replace('"', '""') + '"'
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                return True
            return False
    except SQLAlchemyError as error:
        raise DatabaseUnavailable(f"database {name!r} does not exist and could not be created on {shown}: "
                                  f"{str(error).splitlines()[0]}") from None
    finally:
        admin.dispose()
