"""One delivery, step by step: how the worker talks to the mail server, what it records when the
server refuses, and that a failed attempt only ever touches the notification its own lease holds."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.auth.models import AuditEvent
from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.organisations import contacts
from app.sending import worker
from app.sending.models import Notification
from tests.builders import STANDARD_ORGANISATIONS, complete_record, finalised_record
from tests.conftest import make_partner, make_user
from tests.shared_helpers import emailed_code, mail_body

POLICE = STANDARD_ORGANISATIONS["police"]


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what the worker asked of it."""
    calls: list = []

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        FakeSMTP.calls.append(("quit",))

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, username, password):
        FakeSMTP.calls.append(("login", username, password))

    def send_message(self, email):
        FakeSMTP.calls.append(("send", email["To"]))


def _sent_with(monkeypatch, **settings) -> list:
    FakeSMTP.calls = []
    monkeypatch.setattr(worker.smtplib, "SMTP", FakeSMTP)
    email = worker.EmailMessage()
    email["To"] = "pc@police.example"
    worker._send(email, Settings(smtp_host="mail.example", smtp_port=587, **settings))
    return FakeSMTP.calls


def test_a_secured_server_is_reached_with_tls_then_a_login_within_the_timeout(monkeypatch):
    assert _sent_with(monkeypatch, smtp_starttls=True, smtp_username="records",
                      smtp_password="s3cret", smtp_timeout_seconds=7.5) == [
        ("connect", "mail.example", 587, 7.5), ("starttls",), ("login", "records", "s3cret"),
        ("send", "pc@police.example"), ("quit",)]


def test_a_username_without_a_password_logs_in_with_an_empty_one(monkeypatch):
    assert _sent_with(monkeypatch, smtp_username="records")[1] == ("login", "records", "")


def test_an_open_relay_is_sent_to_without_tls_or_login(monkeypatch):
    assert _sent_with(monkeypatch) == [("connect", "mail.example", 587, 10.0),
                                       ("send", "pc@police.example"), ("quit",)]


def _two_claimed_at_once(session):
    """Two notifications claimed by one worker in the same instant (the same lease start)."""
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    make_partner(session, "pc2", "police", "pc2@police.example")
    record = finalised_record(session, sw)
    now = datetime.now(UTC)
    return record, worker._claim(session, now), worker._claim(session, now)


def _refused(monkeypatch, error: Exception):
    def refuse(email, settings):
        raise error
    monkeypatch.setattr(worker, "_send", refuse)


def _note(session, claim) -> Notification:
    session.expire_all()
    return session.get(Notification, claim.id)


def _audit(session, action: str) -> list[tuple[int | None, str]]:
    return [(e.record_id, e.detail) for e in session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


def test_a_refused_attempt_frees_only_its_own_notification_and_says_why(
        session, monkeypatch, settings_env, caplog):
    settings_env(smtp_host="mail.example", notification_max_attempts=3)
    record, first, second = _two_claimed_at_once(session)
    _refused(monkeypatch, OSError("Connection refused by " + "x" * 2000))
    with caplog.at_level("WARNING", logger=worker.log.name):
        assert worker._deliver(session, first, worker.get_settings()) == "pending"
    note = _note(session, first)
    assert (note.status, note.claimed_at) == ("pending", None)
    assert note.last_error == ("OSError: Connection refused by " + "x" * 2000)[:1000]
    assert _note(session, second).status == "sending"  # the other claim is untouched
    assert _audit(session, "notification_retry") == [
        (record.id, f"notification {first.id} (sent, version 1) to pc (police), attempt 1: OSError")]
    assert caplog.records[-1].getMessage().startswith(
        f"Notification {first.id} not delivered (attempt 1): Connection refused by xxx")


def test_the_last_allowed_attempt_fails_for_good(session, monkeypatch, settings_env):
    settings_env(smtp_host="mail.example", notification_max_attempts=1)
    record, first, _ = _two_claimed_at_once(session)
    _refused(monkeypatch, ConnectionResetError("reset"))
    assert worker._deliver(session, first, worker.get_settings()) == "failed"
    assert _note(session, first).status == "failed"
    assert _audit(session, "notification_failed") == [
        (record.id, f"notification {first.id} (sent, version 1) to pc (police), attempt 1: "
                    "ConnectionResetError")]


def test_a_failure_after_the_lease_passed_to_another_worker_records_nothing(
        session, monkeypatch, settings_env):
    settings_env(smtp_host="mail.example")
    _, first, _ = _two_claimed_at_once(session)
    later = datetime.now(UTC) + timedelta(minutes=10)
    session.execute(update(Notification).where(Notification.id == first.id)
                    .values(claimed_at=later, attempts=2))  # another worker reclaimed it
    session.commit()
    _refused(monkeypatch, OSError("timed out"))
    assert worker._deliver(session, first, worker.get_settings()) == "lost lease"
    note = _note(session, first)
    assert (note.status, note.last_error) == ("sending", None)
    assert _audit(session, "notification_retry") == []


def test_a_notification_to_a_secure_address_is_logged_as_such(session, settings_env, caplog):
    settings_env(smtp_host="")
    record, first, _ = _two_claimed_at_once(session)
    session.execute(update(Notification).where(Notification.id == first.id)
                    .values(recipient_id=None, email="secure@police.example"))
    session.commit()
    with caplog.at_level("INFO", logger=worker.log.name):
        assert worker._deliver(session, first, worker.get_settings()) == "logged"
    assert caplog.records[-1].getMessage().startswith(
        "No SMTP_HOST: notification not sent, logged instead.\n")
    assert "To: secure@police.example" in caplog.records[-1].getMessage()
    assert _audit(session, "notification_logged") == [
        (record.id, f"notification {first.id} (sent, version 1) to its secure address (police)")]


def test_a_reclaimed_send_is_audited_against_its_record(session, settings_env):
    settings_env(smtp_host="", notification_claim_timeout_seconds=60)
    record, first, _ = _two_claimed_at_once(session)
    session.execute(update(Notification).where(Notification.id == first.id)
                    .values(claimed_at=datetime.now(UTC) - timedelta(minutes=5)))
    session.commit()
    reclaimed = worker._claim(session, datetime.now(UTC))
    assert (reclaimed.id, reclaimed.reclaimed) == (first.id, True)
    worker._deliver(session, reclaimed, worker.get_settings())
    (event,) = _audit(session, "notification_reclaimed")
    message_id = worker.message_id(_note(session, first), worker.get_settings())
    assert event == (record.id, f"notification {first.id} (sent, version 1) to pc (police): its "
                                "worker stopped mid-send, so it is sent again and may arrive "
                                f"twice (Message-ID {message_id})")


def test_a_success_after_a_refusal_clears_the_error_and_the_claim(session, monkeypatch,
                                                                  settings_env):
    settings_env(smtp_host="mail.example")
    _, first, second = _two_claimed_at_once(session)
    session.execute(update(Notification).where(Notification.id == second.id)
                    .values(status="sent", claimed_at=None))
    session.commit()
    _refused(monkeypatch, OSError("busy"))
    worker._deliver(session, first, worker.get_settings())
    assert _note(session, first).last_error == "OSError: busy"
    monkeypatch.setattr(worker, "_send", lambda email, settings: None)
    retry = worker._claim(session, datetime.now(UTC) + timedelta(hours=1))
    assert retry.id == first.id
    assert worker._deliver(session, retry, worker.get_settings()) == "sent"
    note = _note(session, first)
    assert (note.status, note.claimed_at, note.last_error) == ("sent", None, None)


@pytest.mark.parametrize("recorded", ["sent", "logged"])
def test_a_send_another_worker_already_recorded_keeps_its_record(session, monkeypatch,
                                                                 settings_env, recorded):
    settings_env(smtp_host="mail.example")
    _, first, _ = _two_claimed_at_once(session)
    earlier = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    session.execute(update(Notification).where(Notification.id == first.id)
                    .values(status=recorded, sent_at=earlier, claimed_at=None))
    session.commit()
    monkeypatch.setattr(worker, "_send", lambda email, settings: None)
    worker._deliver(session, first, worker.get_settings())
    note = _note(session, first)
    sent_at = note.sent_at if note.sent_at.tzinfo else note.sent_at.replace(tzinfo=UTC)
    assert (note.status, sent_at) == (recorded, earlier)


def test_a_named_contacts_link_and_code_are_audited_by_their_name(session, anonymous, smtp):
    lane = contacts.create(session, POLICE, name="Inspector Lane", role="DI",
                           email="lane@police.example")
    sw = make_user(session, "sam")
    body = complete_record() | {"distribution": [{"organisation_id": POLICE,
                                                  "contact_ids": [lane.id]}]}
    record = lifecycle.create_record(session, data=StrategyRecordData.model_validate(body),
                                     team="Central", created_by_id=sw.id)
    lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                              finalised_by=sw)
    worker.run_once()
    (to, link_mail), = smtp.messages
    path = re.search(r"https://records\.example\.org(/r/[A-Za-z0-9_-]+)",
                     mail_body(link_mail)).group(1)
    emailed_code(anonymous, smtp, path, "lane@police.example")
    notes = session.execute(select(Notification).order_by(Notification.id)).scalars().all()
    assert [n.kind for n in notes] == ["sent", "code"]
    assert [detail for _, detail in _audit(session, "notification_sent")] == [
        f"notification {n.id} ({n.kind}, version 1) to Inspector Lane (police)" for n in notes]


def test_the_worker_thread_is_a_daemon_that_says_it_started(engine, settings_env, caplog):
    settings_env(notification_poll_seconds="0.05", smtp_host="")
    with caplog.at_level("INFO", logger=worker.log.name):
        stop = worker.start_thread()
        try:
            (thread,) = [t for t in threading.enumerate() if t.name == "notification-worker"]
            assert thread.daemon
        finally:
            stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert "Notification worker started" in [r.getMessage() for r in caplog.records]
