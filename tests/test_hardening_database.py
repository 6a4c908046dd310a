"""A database that is down or hung: quick 503s, the unavailable page, and recovery."""

import inspect
import socket
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from starlette.middleware.base import BaseHTTPMiddleware

from app import config, db, migrate
from app.auth.deps import SESSION_COOKIE
from tests.conftest import POSTGRES_URL, postgres_or_skip, use_database
from tests.html import soup

# The newest migration, which /healthz reports once the database is migrated.
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hung_port():
    """A server that accepts connections and never says a word: a hung database."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("HEALTH_CHECK_TIMEOUT_SECONDS", "2")
    yield


def _check_unavailable(client, port: int) -> None:
    use_database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/strategy")
    started = time.monotonic()
    health = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert health.status_code == 503
    assert health.json() == {"status": "degraded", "database": "unavailable", "migration": None}

    client.cookies.set(SESSION_COOKIE, "a-session-id")
    page = client.get("/strategies", follow_redirects=False)
    assert page.status_code == 503
    assert soup(page).select_one("h1").text == "The service is unavailable"
    assert "Nothing you saved has been lost. Try again in a few minutes." in soup(page).text
    assert page.headers["retry-after"] == "60"

    api = client.get("/api/strategies/1", headers={"Authorization": "Bearer sr_anything"})
    assert api.status_code == 503
    assert api.json()["detail"].startswith("The service is unavailable.")


@pytest.mark.parametrize("kind", ["hung", "down"])
def test_a_database_that_is_hung_or_down_answers_503_and_recovers(database_url, engine, anonymous,
                                                                   hung_port, short_limits, kind):
    port = hung_port if kind == "hung" else _free_port()
    try:
        _check_unavailable(anonymous, port)
    finally:
        use_database(database_url)
    anonymous.cookies.clear()
    health = anonymous.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "migration": HEAD}


def test_the_pool_has_a_connection_for_every_worker_thread(engine):
    settings = config.get_settings()
    pool = engine.pool
    assert settings.worker_threads == 40
    assert pool.size() + pool._max_overflow >= settings.worker_threads
    assert pool._timeout == settings.database_pool_timeout_seconds


def test_postgresql_statements_and_connections_have_time_limits():
    postgres_or_skip()
    engine = db.make_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "15s"
            client = connection.connection.dbapi_connection
            parameters = client.info.get_parameters()
            assert {name: parameters[name] for name in (
                "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                "keepalives_count", "tcp_user_timeout")} == {
                "connect_timeout": "3", "keepalives": "1", "keepalives_idle": "10",
                "keepalives_interval": "3", "keepalives_count": "3", "tcp_user_timeout": "20000"}
            # Waiting for an answer gives up on the client's side too (db_timeouts).
            assert client.read_timeout == 20
    finally:
        engine.dispose()


def test_no_blocking_route_handler_or_middleware_runs_in_the_event_loop():
    from app.main import app
    from app.web import auth_pages, security
    from app.web.limits import EdgeMiddleware

    # Among the sign-in and operations routes only /healthz is async, and it sends its query to
    # a thread of its own (the record pages are checked with their own module).
    async_routes = {route.path for route in app.routes
                    if getattr(route, "endpoint", None) is not None
                    and route.endpoint.__module__ in ("app.web.auth_pages", "app.main")
                    and inspect.iscoroutinefunction(route.endpoint)}
    assert async_routes == {"/healthz"}
    # Our exception handlers that render pages are plain functions (run in a worker thread);
    # the sign-in one awaits the posted form and sends its database work to a thread.
    sync_only = [handler for key, handler in app.exception_handlers.items()
                 if handler.__module__.startswith("app.") and key is not auth_pages.SignInRequired]
    assert len(sync_only) == 5
    assert not any(inspect.iscoroutinefunction(handler) for handler in sync_only)
    # Pure ASGI middleware, which never buffers a response in a task of its own.
    for middleware in (security.SecurityMiddleware, EdgeMiddleware):
        assert not issubclass(middleware, BaseHTTPMiddleware)
