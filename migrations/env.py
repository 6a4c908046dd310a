"""Alembic environment: migrates the database named by DATABASE_URL (or a passed connection)."""

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.config import get_settings
from app.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _long_statements(conn)
        _run(conn)
    engine.dispose()


# A migration's statement may read or rewrite every row of a table: minutes at 100,000
# records, far over the service's per-statement limit (DATABASE_STATEMENT_TIMEOUT_SECONDS,
# and the client's read limit after it), which would cancel it half-way. Bounded still, so a
# hung server does not hold `migrate` for ever.
MIGRATION_STATEMENT_SECONDS = 3600


def _long_statements(connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{MIGRATION_STATEMENT_SECONDS}s'")
    connection.connection.dbapi_connection.read_timeout = MIGRATION_STATEMENT_SECONDS


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
