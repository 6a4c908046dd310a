"""The delivery worker's claim under concurrency (PostgreSQL's SKIP LOCKED), its thread in the
app's lifespan, and `python -m app worker`."""

import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.sending import worker
from app.sending.models import Notification, WorkerHeartbeat
from tests.builders import finalised_record
from tests.conftest import make_partner, make_user


# PostgreSQL only: SQLite has one writer at a time, so its claim is a conditional UPDATE.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rows_another_worker_has_locked_are_skipped_not_waited_for(session, engine):
    assert engine.dialect.name == "postgresql"
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    make_partner(session, "pc2", "police", "pc2@police.example")
    finalised_record(session, sw)
    first, second = session.execute(select(Notification.id).order_by(Notification.id)).scalars()
    with Session(engine) as other:
        # Another instance is in the middle of claiming the first notification.
        other.execute(select(Notification).where(Notification.id == first).with_for_update())
        with Session(engine) as mine:
            assert worker._claim(mine, datetime.now(UTC)).id == second
            assert worker._claim(mine, datetime.now(UTC)) is None
        other.rollback()
    with Session(engine) as mine:
        assert worker._claim(mine, datetime.now(UTC)).id == first


def test_the_lifespan_starts_the_worker_thread_when_asked(engine, settings_env):
    from app.main import app

    def running() -> bool:
        return any(t.name == "notification-worker" and t.is_alive()
                   for t in threading.enumerate())

    settings_env(notification_worker="true", notification_poll_seconds="0.05")
    with TestClient(app):
        assert running()
    # Stopped with the app (it wakes within a poll interval).
    threading.Event().wait(0.3)
    assert not running()


def test_the_worker_command_delivers_until_stopped(session, monkeypatch, settings_env):
    from app.__main__ import main

    settings_env(smtp_host="")
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    finalised_record(session, sw)
    rounds = []
    real_run_once = worker.run_once

    def one_round(settings=None):
        rounds.append(real_run_once(settings))
        raise KeyboardInterrupt  # as Ctrl-C would, after one round

    monkeypatch.setattr(worker, "run_once", one_round)
    main(["worker"])
    assert rounds == [1]
    session.expire_all()
    assert session.execute(select(Notification.status)).scalars().all() == ["logged"]


def test_a_failed_round_is_logged_and_the_worker_tries_again(session, monkeypatch, settings_env,
                                                              caplog):
    settings_env(notification_poll_seconds="0.01")
    stop = threading.Event()
    rounds = []

    def flaky_round(settings=None):
        rounds.append(settings.notification_poll_seconds)
        if len(rounds) == 1:
            raise OSError("database unreachable")
        stop.set()  # the second round succeeds, and is the last
        return 0

    monkeypatch.setattr(worker, "run_once", flaky_round)
    with caplog.at_level("ERROR", logger=worker.log.name):
        worker.run_forever(stop)
    assert rounds == [0.01, 0.01]
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Notification worker: delivery round failed; trying again"]
    # Only the round that finished beat.
    assert len(session.execute(select(WorkerHeartbeat)).scalars().all()) == 1
