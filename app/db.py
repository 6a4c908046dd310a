"""Database engine and sessions; behaves the same on SQLite and PostgreSQL.

Every connection has time limits from the settings, so a database that is down or hung makes
requests fail quickly (errors.py turns that into a 503 page) instead of piling up threads, and
the pool is large enough for every worker thread to hold a connection at once. On PostgreSQL
every wait is bounded: connecting, each answer (db_timeouts: a hung server's kernel still
answers TCP, so only the client can tell), the ping before a pooled connection is handed out,
and statements (the server's statement_timeout).
"""

import os
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import String, bindparam, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app import db_timeouts
from app.config import PROJECT_ROOT, get_settings


def make_engine(url: str, *, timeout_seconds: float | None = None, pool_size: int | None = None,
                max_overflow: int | None = None) -> Engine:
    """An engine for `url`; `timeout_seconds` overrides the connect, statement, read and ping
    limits (the health check uses a short one)."""
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
    read = timeout_seconds or settings.database_read_timeout
    keepalive = settings.database_keepalive_seconds
    connect_args = {
        "connect_timeout": max(2, round(connect)),  # libpq's least
        "options": f"-c statement_timeout={int(statement * 1000)}",
        # A dead peer or a broken network: probes after `keepalive` idle seconds, and data
        # left unacknowledged for the read limit, close the connection.
        "keepalives": 1, "keepalives_idle": keepalive,
        "keepalives_interval": max(1, keepalive // 3), "keepalives_count": 3,
        "tcp_user_timeout": int(read * 1000),
    }
    pool["pool_pre_ping"] = False  # db_timeouts pings on checkout, with a time limit
    engine = create_engine(url, connect_args=connect_args, **pool)
    return db_timeouts.bound(engine, read_timeout=read, ping_timeout=min(
        read, timeout_seconds or settings.database_ping_timeout_seconds))


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
    engine = make_engine(get_settings().database_url)
    event.listen(engine, "before_cursor_execute", _count_statement)
    return engine


# The SQL statements run for the current request, counted into a one-item list: the request's
# worker threads run in copies of its context, which share the list, not a number.
_statements: ContextVar[list[int] | None] = ContextVar("sql_statements", default=None)


def count_statements() -> list[int]:
    """Count, from now, the statements this context (a request) and its threads run."""
    counter = [0]
    _statements.set(counter)
    return counter


def _count_statement(*_args) -> None:
    counter = _statements.get()
    if counter is not None:
        counter[0] += 1


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


def inline(value: str):
    """A constant written into the SQL, not bound: a partial index's condition must be seen
    in the query for the database to use the index, whatever plan it keeps for the query."""
    return bindparam(None, value, type_=String, literal_execute=True)


def count_up_to(session: Session, statement, cap: int) -> int:
    """How many rows `statement` (a SELECT) gives, counting no further than cap + 1: a
    count that costs the same however many rows there are (shown as "more than `cap`")."""
    return counts_up_to(session, [statement], cap)[0]


def counts_up_to(session: Session, statements: list, cap: int) -> list[int]:
    """`count_up_to` of each statement, all in one statement: one round trip for a page of
    counts instead of one each."""
    counts = [select(func.count()).select_from(statement.limit(cap + 1).subquery())
              .scalar_subquery() for statement in statements]
    return list(session.execute(select(*counts)).one())


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration (the migrations folder), for this database or the settings'."""
    # Installed as a package (the container), alembic.ini and migrations/ are not beside it:
    # ALEMBIC_CONFIG (Alembic's own variable) says where they are.
    config = Config(os.environ.get("ALEMBIC_CONFIG") or str(PROJECT_ROOT / "alembic.ini"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache
def head_revision() -> str:
    """The newest migration this code has (what a database at the head reports)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/versions holds no migration"
    return head
