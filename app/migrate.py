"""Run Alembic migrations from code (the CLI, the start command and the tests use this)."""

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        _refresh_calendar(url)


def _refresh_calendar(url: str | None) -> None:
    """The working-day calendar as the installed `holidays` package has it (a bank holiday
    announced after the migration filled it; app/rules/calendar.py)."""
    from sqlmodel import Session

    from app.config import get_settings
    from app.db import make_engine
    from app.rules import calendar

    engine = make_engine(url or get_settings().database_url)
    try:
        with Session(engine) as session:
            calendar.refresh(session)
    finally:
        engine.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
