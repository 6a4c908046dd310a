"""Run Alembic migrations from code (the CLI, the start command and the tests use this)."""


from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session

from app import db
from app.config import get_settings
from app.db import alembic_config, head_revision  # noqa: F401 (tests and the CLI ask migrate)
from app.followup.reprojection import project_stale
from app.rules import calendar


def upgrade(url: str | None = None, revision: str = "head") -> int:
    """Migrate to `revision`; at the head, also re-project every record an older projection
    derived (the number re-projected)."""
    command.upgrade(alembic_config(url), revision)
    if revision != "head":
        return 0
    engine = db.make_engine(url or get_settings().database_url)
    try:
        with Session(engine) as session:
            # The working-day calendar as the installed `holidays` package has it (a bank
            # holiday announced after the migration filled it), then what is derived from it.
            calendar.refresh(session)
            return project_stale(session)
    finally:
        engine.dispose()


def current_revision(url: str | None = None) -> str | None:
    """The database's migration (None for a database never migrated)."""
    engine = db.make_engine(url or get_settings().database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade_and_describe(url: str | None = None) -> str:
    """Migrate to the head and say what was done, for the person who ran it."""
    before, head = current_revision(url), head_revision()
    reprojected = upgrade(url)
    if before == head:
        done = f"The database was already at migration {head}; no migration to apply."
    elif before is None:
        done = f"Created the database's tables (migrations up to {head})."
    else:
        done = f"Migrated the database from {before} to {head}."
    if reprojected:
        done += f" Re-derived {reprojected} record{'s' if reprojected != 1 else ''} for this version."
    return done


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
