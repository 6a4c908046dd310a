"""Shared fixtures. Tests that touch the database run once on SQLite and once on PostgreSQL.

PostgreSQL is reached at TEST_POSTGRES_URL (default: the local server's `test` database).
If it cannot be reached those runs skip with the reason, unless REQUIRE_POSTGRES=1 (CI),
when they fail instead.
"""

import email
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel

from app import config, db, migrate
from app.auth import passwords
from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.domain.choices import Agency
from app.organisations.models import Organisation
from tests.builders import STANDARD_ORGANISATIONS

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
# Finalising starts a background PDF render; only the tests of that (tests/test_pdf_workers.py) want it.
os.environ.setdefault("PDF_RENDER_ON_FINALISE", "false")
# The notification worker thread: tests deliver the outbox themselves (worker.run_once).
os.environ.setdefault("NOTIFICATION_WORKER", "false")


def postgres_or_skip(url: str = POSTGRES_URL) -> None:
    """Skip (or fail, when PostgreSQL is required) if the server cannot be reached."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        message = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        engine.dispose()


def reset_postgres_schema(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def use_database(url: str) -> None:
    """Point the app's settings and engine at `url`."""
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    if db.get_engine.cache_info().currsize:
        # Close the old engine's pooled connections now, not whenever it is collected: a
        # PostgreSQL server allows only so many clients, and every test points here.
        db.get_engine().dispose()
    db.get_engine.cache_clear()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        postgres_or_skip()
        url = POSTGRES_URL
        reset_postgres_schema(url)
    migrate.upgrade(url)
    use_database(url)
    yield url
    db.get_engine().dispose()


# Filled by the migrations, read by the app, never written by a test: kept between tests.
REFERENCE_TABLES = {"working_day"}


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    use_database(database_url)
    engine = db.get_engine()
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                connection.execute(table.delete())
        connection.execute(Organisation.__table__.insert(), [
            {"id": org_id, "name": Agency(agency).label, "agency": agency, "email": None,
             "active": True, "created_at": datetime.now(UTC)}
            for agency, org_id in STANDARD_ORGANISATIONS.items()])
    yield engine


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


TEST_PASSWORD = "correct horse battery"


@lru_cache
def _test_password_hash() -> str:
    return passwords.hash_password(TEST_PASSWORD)


def make_user(session: Session, username: str, role: str = "social_worker", *,
              agency: str | None = None, team: str | None = "Central",
              organisation_id: int | None = None, email: str | None = None) -> User:
    """A user whose password is TEST_PASSWORD (hashed once per run: Argon2 is slow on purpose).
    A partner works for `organisation_id`, or else their agency type's standard organisation."""
    if role == "partner" and organisation_id is None and agency is not None:
        organisation_id = STANDARD_ORGANISATIONS[agency]
    if organisation_id is not None and agency is None:
        agency = session.get(Organisation, organisation_id).agency
    user = User(username=username, display_name=username.title(), role=role, agency=agency,
                organisation_id=organisation_id, email=email,
                team=team if role in ("social_worker", "edt_worker", "manager") else None,
                password_hash=_test_password_hash(), created_at=datetime.now(UTC))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def signed_in(client: TestClient, session: Session, user: User) -> TestClient:
    """The client with a real session cookie for `user` (the sign-in form is tested itself)."""
    client.cookies.set(SESSION_COOKIE, auth_service.start_session(session, user))
    return client


def as_user(client: TestClient, session: Session, user: User) -> TestClient:
    """The client signed in as `user` alone: whoever it was signed in as before is dropped."""
    client.cookies.clear()
    return signed_in(client, session, user)


def make_partner(session: Session, username: str, agency: str, address: str | None) -> User:
    """A partner at their agency type's standard organisation, with an email address."""
    return make_user(session, username, "partner", agency=agency, email=address)


def free_port() -> int:
    """A local TCP port nothing listens on (for a server a test starts, or one it must not reach)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What a real local SMTP server (aiosmtpd) received: (recipients, message) pairs."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(settings_env) -> Iterator[Inbox]:
    """A real SMTP server on a free local port, and the settings that send to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings_env(smtp_host="127.0.0.1", smtp_port=port, smtp_from="records@example.org",
                 public_base_url="https://records.example.org/")
    yield inbox
    controller.stop()


@pytest.fixture
def anonymous(engine) -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(anonymous, session) -> TestClient:
    """Signed in as a social worker in team Central."""
    return signed_in(anonymous, session, make_user(session, "sam"))


FAILING_PATH = "/test-only/boom"


@pytest.fixture
def failing_routes():
    """A page and an API route (FAILING_PATH, "/api" + FAILING_PATH) that fail with a bug,
    mounted for one test only and never part of the OpenAPI document."""
    from fastapi import APIRouter

    from app.main import app

    def fail():
        raise RuntimeError("a bug")

    router = APIRouter(include_in_schema=False)
    router.add_api_route(FAILING_PATH, fail)
    router.add_api_route("/api" + FAILING_PATH, fail)
    before = list(app.router.routes)
    app.include_router(router)
    yield FAILING_PATH
    app.router.routes[:] = before


# The live audit's crafted records, for its figure and page tests.
from tests.report_world import world  # noqa: E402, F401


@pytest.fixture
def settings_env(monkeypatch):
    """Change settings for one test, as environment variables would."""
    def change(**values):
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), str(value))
        config.get_settings.cache_clear()

    yield change
    config.get_settings.cache_clear()


# Beside the test database, named after it, so runs against different test databases never clash.
MIGRATION_DB = POSTGRES_URL.rsplit("/", 1)[1] + "_migrations"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    postgres_or_skip()
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {MIGRATION_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {MIGRATION_DB}"))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{MIGRATION_DB}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {MIGRATION_DB} WITH (FORCE)"))
    admin.dispose()
