"""A worker killed mid-batch loses nothing: a real `python -m app worker` process delivering
20 notifications to a real SMTP server (aiosmtpd) is SIGKILLed while the mail server holds
one message unanswered; a new worker delivers the rest, and the one in flight again after its
lease, under the same Message-ID."""

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.auth.models import AuditEvent
from app.sending.models import Notification
from tests.builders import finalised_record
from tests.conftest import free_port, make_partner, make_user

ROOT = Path(__file__).resolve().parent.parent
HELD = 6  # the mail server takes this message in and never answers: the worker dies waiting


class StallingInbox:
    def __init__(self):
        self.received: list[tuple[str, str]] = []  # (Message-ID, recipient), as they arrived
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content)
        self.received.append((message["Message-ID"], envelope.rcpt_tos[0]))
        if len(self.received) == HELD:
            self.holding.set()
            await asyncio.sleep(60)  # cancelled when the server stops
        return "250 OK"


def _worker(database_url: str, smtp_port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp_port), "SMTP_FROM": "records@example.org",
           "SMTP_TIMEOUT_SECONDS": "2", "NOTIFICATION_CLAIM_TIMEOUT_SECONDS": "3",
           "NOTIFICATION_POLL_SECONDS": "0.1", "NOTIFICATION_MAX_ATTEMPTS": "3"}
    return subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _statuses(session) -> dict[str, int]:
    session.expire_all()
    found: dict[str, int] = {}
    for status in session.execute(select(Notification.status)).scalars():
        found[status] = found.get(status, 0) + 1
    return found


@pytest.fixture
def inbox():
    inbox = StallingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_a_worker_killed_mid_batch_loses_nothing(session, database_url, inbox, tmp_path):
    inbox, port = inbox
    sw = make_user(session, "sam")
    for n in range(20):
        make_partner(session, f"pc{n}", "police", f"pc{n}@police.example")
    finalised_record(session, sw)
    assert _statuses(session) == {"pending": 20}
    log = tmp_path / "worker.log"

    first = _worker(database_url, port, log)
    try:
        assert inbox.holding.wait(60), log.read_text()
        first.send_signal(signal.SIGKILL)  # mid-send of the 6th: no chance to tidy up
        first.wait(10)
    finally:
        first.kill()
    # Five sent, one claimed by the dead worker, fourteen untouched and still due.
    assert _statuses(session) == {"sent": 5, "sending": 1, "pending": 14}
    untried = session.execute(select(Notification.attempts).where(
        Notification.status == "pending")).scalars().all()
    assert untried == [0] * 14

    second = _worker(database_url, port, log)
    try:
        deadline = time.monotonic() + 60
        while _statuses(session) != {"sent": 20} and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(10)
    assert _statuses(session) == {"sent": 20}, log.read_text()

    notes = session.execute(select(Notification).order_by(Notification.id)).scalars().all()
    held_id, held_to = inbox.received[HELD - 1]
    # Every notification arrived; the one in flight when the worker died arrived twice,
    # recognisably (the same Message-ID), and that is the only duplicate.
    assert sorted(to for _, to in set(inbox.received)) == sorted(n.email for n in notes)
    assert len({message_id for message_id, _ in inbox.received}) == 20
    assert [item for item in inbox.received if item[0] == held_id] == [(held_id, held_to)] * 2
    assert len(inbox.received) == 21
    # Tried once each, the re-claimed one twice; none failed.
    held = next(n for n in notes if n.email == held_to)
    assert sorted(n.attempts for n in notes) == [1] * 19 + [2]
    assert held.attempts == 2
    # The re-send is counted where a person can see it.
    reclaimed = session.execute(select(AuditEvent.detail).where(
        AuditEvent.action == "notification_reclaimed")).scalars().all()
    assert len(reclaimed) == 1
    assert reclaimed[0].endswith(f"may arrive twice (Message-ID {held_id})")
