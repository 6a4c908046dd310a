"""Database engine and sessions; behaves the same on SQLite and PostgreSQL.

Every connection has time limits from the settings, so a database that is down or hung makes
requests fail quickly (errors.py turns that into a 503 page) instead of piling up threads, and
the pool is large enough for every worker thread to hold a connection at once.
"""

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.config import get_settings


def make_engine(url: str, *, timeout_seconds: float | None = None, pool_size: int | None = None,
                max_overflow: int | None = None) -> Engine:
    """An engine for `url`; `timeout_seconds` overrides the connect and statement limits (the
    health check uses a short one)."""
    settings = get_settings()
    pool = {
        "pool_size": pool_size if pool_size is not None else settings.database_pool_size,
        "max_overflow": max_overflow if max_overflow is not None else settings.pool_overflow,
        "pool_timeout": timeout_seconds or settings.database_pool_timeout_seconds,
        # A connection that died while the database was away is replaced, not handed out:
        # the service recovers by itself when the database returns.
        "pool_pre_ping": True,
    }
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.database in (None, "", ":memory:"):
            pool = {}  # one in-memory database per connection: no pool settings apply
        connect_args = {"check_same_thread": False,
                        "timeout": timeout_seconds or settings.database_connect_timeout_seconds}
        engine = create_engine(url, connect_args=connect_args, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect = timeout_seconds or settings.database_connect_timeout_seconds
    statement = timeout_seconds or settings.database_statement_timeout_seconds
    connect_args = {
        "connect_timeout": max(1, round(connect)),
        "options": f"-c statement_timeout={int(statement * 1000)}",
    }
    return create_engine(url, connect_args=connect_args, **pool)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead logging: readers do not wait for writers, and a commit (every request writes
    # an audit event) needs no full sync, while staying safe across a crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def get_health_engine() -> Engine:
    """A small engine of its own for /healthz, with a short time limit: it answers even when
    the main pool is exhausted or the database hangs."""
    settings = get_settings()
    return _health_engine(settings.database_url, settings.health_check_timeout_seconds)


@lru_cache
def _health_engine(url: str, timeout_seconds: float) -> Engine:
    return make_engine(url, timeout_seconds=timeout_seconds, pool_size=1, max_overflow=1)


def get_session() -> Iterator[Session]:
    # Objects stay readable after commit: error pages rendered after the request's session
    # has closed still show who is signed in.
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
