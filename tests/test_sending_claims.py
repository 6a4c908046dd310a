"""Claims at their boundaries: a lease runs out only after its full time, a notification is
claimed again only while attempts remain, and a claim that ran out on its last attempt is failed
for a person to check, alone and against its record."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.auth.models import AuditEvent
from app.config import Settings
from app.sending import worker
from app.sending.models import Notification
from tests.builders import finalised_record
from tests.conftest import make_partner, make_user

LEASE = 60.0
SETTINGS = Settings(notification_claim_timeout_seconds=LEASE, notification_max_attempts=3)
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _record_with_notifications(session, count: int):
    sw = make_user(session, "sam")
    for n in range(count):
        make_partner(session, f"pc{n}", "police", f"pc{n}@police.example")
    record = finalised_record(session, sw)
    ids = session.execute(select(Notification.id).order_by(Notification.id)).scalars().all()
    assert len(ids) == count
    return record, ids


def _abandoned(session, notification_id: int, *, claimed_at: datetime, attempts: int) -> None:
    """Claimed by a worker that stopped mid-send at `claimed_at`."""
    session.execute(update(Notification).where(Notification.id == notification_id).values(
        status="sending", claimed_at=claimed_at, attempts=attempts))
    session.commit()


def _note(session, notification_id: int) -> Notification:
    session.expire_all()
    return session.get(Notification, notification_id)


def _failed_audit(session) -> list[tuple[int | None, str]]:
    return [(e.record_id, e.detail) for e in session.execute(
        select(AuditEvent).where(AuditEvent.action == "notification_failed")).scalars()]


def test_a_lease_runs_out_only_after_its_full_time(session):
    _, (only,) = _record_with_notifications(session, 1)
    _abandoned(session, only, claimed_at=NOW - timedelta(seconds=LEASE), attempts=1)
    assert worker._claim(session, NOW, SETTINGS) is None  # exactly at the lease: still held
    claim = worker._claim(session, NOW + timedelta(microseconds=1), SETTINGS)
    assert (claim.id, claim.reclaimed) == (only, True)
    assert _note(session, only).attempts == 2


def test_an_expired_claim_is_taken_again_only_while_attempts_remain(session):
    _, (spent, left) = _record_with_notifications(session, 2)
    expired = NOW - timedelta(seconds=LEASE + 1)
    _abandoned(session, spent, claimed_at=expired, attempts=3)
    _abandoned(session, left, claimed_at=expired, attempts=2)
    claim = worker._claim(session, NOW, SETTINGS)
    assert claim.id == left
    assert worker._claim(session, NOW, SETTINGS) is None


def test_a_claim_that_ran_out_on_its_last_attempt_is_failed_alone(session):
    record, (spent, retried, running) = _record_with_notifications(session, 3)
    expired = NOW - timedelta(seconds=LEASE + 1)
    _abandoned(session, spent, claimed_at=expired, attempts=3)
    _abandoned(session, retried, claimed_at=expired, attempts=2)
    _abandoned(session, running, claimed_at=NOW - timedelta(seconds=LEASE), attempts=3)
    worker._fail_exhausted_claims(session, NOW, SETTINGS)
    failed = _note(session, spent)
    assert (failed.status, failed.claimed_at) == ("failed", None)
    assert failed.last_error == (
        "Tried 3 times; the worker sending the last attempt stopped before it finished, so it "
        "may have gone out. Check with the agency.")
    # One with attempts left is for the next claim; one whose lease still runs is left alone.
    assert (_note(session, retried).status, _note(session, running).status) == (
        "sending", "sending")
    assert _failed_audit(session) == [
        (record.id, f"notification {spent}: worker stopped on the last attempt")]


def test_a_round_counts_every_notification_it_attempted(session, settings_env):
    settings_env(smtp_host="")
    _record_with_notifications(session, 3)
    assert worker.run_once() == 3
    assert worker.run_once() == 0


def test_a_round_judges_leases_by_the_settings_it_was_given(session, settings_env):
    settings_env(smtp_host="", notification_claim_timeout_seconds=3600)
    _, (only,) = _record_with_notifications(session, 1)
    _abandoned(session, only, claimed_at=datetime.now(UTC) - timedelta(minutes=5), attempts=1)
    assert worker.run_once() == 0  # the service's hour-long lease still runs
    short = worker.get_settings().model_copy(update={"notification_claim_timeout_seconds": 60})
    assert worker.run_once(short) == 1
    assert _note(session, only).status == "logged"


def _pending(session, notification_id: int, due: datetime) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id).values(
        status="pending", next_attempt_at=due, claimed_at=None))
    session.commit()


def test_the_notification_due_first_is_claimed_first_and_one_due_now_is_due(session):
    _, (first, second, third) = _record_with_notifications(session, 3)
    _pending(session, first, NOW + timedelta(seconds=1))  # not yet due
    _pending(session, second, NOW)  # due this instant
    _pending(session, third, NOW - timedelta(minutes=1))
    assert [worker._claim(session, NOW, SETTINGS).id for _ in range(2)] == [third, second]
    assert worker._claim(session, NOW, SETTINGS) is None


def test_notifications_due_together_are_claimed_in_the_order_they_were_written(session):
    _, ids = _record_with_notifications(session, 3)
    for notification_id in reversed(ids):
        _pending(session, notification_id, NOW - timedelta(minutes=1))
    assert [worker._claim(session, NOW, SETTINGS).id for _ in ids] == ids
