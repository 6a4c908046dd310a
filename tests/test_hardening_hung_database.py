"""A PostgreSQL server that hangs (SIGSTOP: silent, not down) while the app holds pooled
connections to it: every request answers 503 within 5 seconds, and the service recovers by
itself when the server resumes. The server is one the test starts itself, never the shared
one."""

import time
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app import config, db, migrate
from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE
from tests import throwaway_postgres
from tests.conftest import REQUIRE_POSTGRES, make_user, use_database

REQUESTS = 16


@pytest.fixture
def hung_able(monkeypatch):
    if not throwaway_postgres.available():
        if REQUIRE_POSTGRES:
            pytest.fail("No PostgreSQL binaries in /usr/lib/postgresql/*/bin", pytrace=False)
        pytest.skip("No PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    before = config.get_settings().database_url
    # Enough pooled connections for every request to reuse one.
    monkeypatch.setenv("DATABASE_POOL_SIZE", str(REQUESTS))
    with throwaway_postgres.running() as server:
        migrate.upgrade(server.url)
        use_database(server.url)
        try:
            yield server
        finally:
            import sys
            print("FIXTURE FINALLY", time.monotonic(), file=sys.stderr)
            server.resume()
            use_database(before)
            print("FIXTURE USEDB", time.monotonic(), file=sys.stderr)


def _timed_get(client: TestClient, cookie: str) -> tuple[int, float]:
    started = time.monotonic()
    answer = client.get("/strategies", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    return answer.status_code, time.monotonic() - started


def test_a_hung_database_answers_503_within_5_seconds_and_recovers(hung_able):
    from app.main import app

    with Session(db.get_engine()) as session:
        cookies = [auth_service.start_session(session, make_user(session, f"sw{n}"))
                   for n in range(REQUESTS)]
    engine = db.get_engine()
    held = [engine.connect() for _ in range(REQUESTS)]  # open as many as there are requests
    for connection in held:
        connection.execute(text("SELECT 1"))
        connection.close()
    assert engine.pool.checkedin() == REQUESTS  # all pooled, for the requests to reuse
    with TestClient(app) as client, ThreadPoolExecutor(REQUESTS) as pool:
        warm = list(pool.map(lambda cookie: _timed_get(client, cookie), cookies))
        assert [status for status, _ in warm] == [200] * REQUESTS
        assert engine.pool.checkedin() == REQUESTS  # reused: none opened, none closed

        hung_able.stop()
        try:
            asked = [pool.submit(_timed_get, client, cookie) for cookie in cookies]
            # Never waiting for ever: a request still hanging after 10 s is a failure, and
            # resuming the server (below) lets it finish.
            answered, hanging = wait(asked, timeout=10)
            health = _timed_get(client, cookies[0]) if not hanging else None
        finally:
            hung_able.resume()
        assert len(hanging) == 0, f"{len(hanging)} of {REQUESTS} requests hung"
        answers = [future.result() for future in asked]
        assert [status for status, _ in answers] == [503] * REQUESTS
        slowest = max(seconds for _, seconds in answers)
        assert slowest < 5, f"the slowest answer took {slowest:.1f} s"
        # The pooled connections are gone; a new one gives up connecting in time too.
        assert health[0] == 503 and health[1] < 5

        # Back by itself once the server answers again.
        recovered = list(pool.map(lambda cookie: _timed_get(client, cookie), cookies))
        assert [status for status, _ in recovered] == [200] * REQUESTS
        assert client.get("/healthz").json()["database"] == "ok"


def test_a_statement_waiting_when_the_database_hangs_gives_up_after_the_read_limit(
        hung_able, monkeypatch):
    monkeypatch.setenv("DATABASE_READ_TIMEOUT_SECONDS", "2")
    use_database(hung_able.url)
    engine = db.get_engine()
    with engine.connect() as connection:  # checked out (and pinged) before the server hangs
        connection.execute(text("SELECT 1"))
        hung_able.stop()
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError, match="did not answer within 2 s"):
                connection.execute(text("SELECT 1"))
        finally:
            hung_able.resume()
        assert time.monotonic() - started < 4
        assert connection.invalidated  # never handed out again
    with engine.connect() as connection:  # a fresh one, now the server answers
        assert connection.execute(text("SELECT 1")).scalar() == 1
