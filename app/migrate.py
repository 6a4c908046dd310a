"""Run Alembic migrations from code (the CLI, the start command and the tests use this)."""

import os

from alembic import command
from alembic.config import Config
from sqlmodel import Session

from app import db
from app.config import PROJECT_ROOT, get_settings
from app.followup.reprojection import project_stale
from app.rules import calendar


def alembic_config(url: str | None = None) -> Config:
    # Installed as a package (the container), alembic.ini and migrations/ are not beside it:
    # ALEMBIC_CONFIG (Alembic's own variable) says where they are.
    config = Config(os.environ.get("ALEMBIC_CONFIG") or str(PROJECT_ROOT / "alembic.ini"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


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


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
