"""Sending the record: the outbox written with the finalisation, delivery to a real local SMTP
server (aiosmtpd), retries when the server is unreachable, the outbox page, sending on
authorise, corrected versions, and the CLI's email addresses."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app import config
from app.auth.models import AuditEvent, User
from app.cli import users as auth_cli
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup import service as followup
from app.records import service
from app.sending import worker
from app.sending.models import Notification, RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, complete_record, finalised_record, recipients
from tests.conftest import free_port, make_partner, make_user, signed_in
from tests.html import soup, table_rows


def _notifications(session, record_id=None):
    query = select(Notification).order_by(Notification.agency, Notification.id)
    if record_id is not None:
        query = query.where(Notification.record_id == record_id)
    session.expire_all()
    return list(session.execute(query).scalars())


def _actions(session, action):
    return [e.detail for e in session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


def test_finalising_writes_receipts_and_notifications_in_the_same_transaction(session):
    sw = make_user(session, "sam")
    police = make_partner(session, "pc", "police", "pc@police.example")
    make_partner(session, "pc2", "police", "pc2@police.example")
    make_partner(session, "hv", "health_visiting", None)  # no email: health visiting unreachable
    make_user(session, "gp", "partner", agency="gp")  # not on the distribution list

    record = finalised_record(session, sw)

    notes = _notifications(session, record.id)
    assert [(n.agency, n.email, n.status, n.kind) for n in notes] == [
        ("police", "pc@police.example", "pending", "sent"),
        ("police", "pc2@police.example", "pending", "sent"),
    ]
    assert notes[0].recipient_id == police.id
    assert {n.organisation_id for n in notes} == {STANDARD_ORGANISATIONS["police"]}
    receipts = session.execute(select(RecordReceipt.organisation_id, RecordReceipt.agency,
                                      RecordReceipt.version)
                               .where(RecordReceipt.record_id == record.id)
                               .order_by(RecordReceipt.agency)).all()
    assert receipts == [(STANDARD_ORGANISATIONS["health_visiting"], "health_visiting", 1),
                        (STANDARD_ORGANISATIONS["police"], "police", 1)]
    # Logged in organisation order (the standard Police organisation's id comes first).
    assert _actions(session, "record_sent") == [
        "version 1 record sent to Police: 2 notification(s) queued",
        "version 1 record sent to Health visiting: unreachable: it has no address and no user "
        "with an email address",
    ]


def test_a_failed_finalise_sends_nothing(session):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    body = complete_record()
    body["decision"]["reasons"] = None  # a blocking rule fails
    record = lifecycle.create_record(session, data=StrategyRecordData.model_validate(body),
                                     team="Central", created_by_id=sw.id)
    with pytest.raises(service.Incomplete):
        lifecycle.finalise_record(session, record=record, expected_revision=record.revision)
    assert _notifications(session) == []
    assert session.execute(select(RecordReceipt)).first() is None


def test_delivered_email_has_the_link_and_no_case_detail(session, smtp):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)

    assert worker.run_once() == 1

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["pc@police.example"]
    assert message["From"] == "records@example.org"
    assert message["Subject"] == f"Strategy discussion record {record.reference}"
    body = message.get_payload(decode=True).decode()
    assert (f"A strategy discussion record has been sent to Police ({record.reference}). "
            f"Sign in to read it: https://records.example.org/strategies/{record.id}") in body
    for detail in ("Leo", "Carter", "section 47", "s47", "joint", "Reasonable cause"):
        assert detail.lower() not in body.lower()
    (note,) = _notifications(session, record.id)
    assert (note.status, note.attempts, note.last_error) == ("sent", 1, None)
    assert note.sent_at is not None
    assert _actions(session, "notification_sent") == [
        f"notification {note.id} (sent, version 1) to pc (police)"]
    # Delivered once: another round sends nothing more.
    assert worker.run_once() == 0
    assert len(smtp.messages) == 1


def test_no_smtp_host_logs_the_notification(session, settings_env, caplog):
    settings_env(smtp_host="")
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    with caplog.at_level("INFO", logger="app.sending.worker"):
        assert worker.run_once() == 1
    (note,) = _notifications(session, record.id)
    assert note.status == "logged"
    assert f"/strategies/{record.id}" in caplog.text
    assert "Leo Carter" not in caplog.text


def test_smtp_unreachable_retries_with_back_off_then_fails_and_the_outbox_shows_it(
        session, settings_env, anonymous):
    settings_env(smtp_host="127.0.0.1", smtp_port=free_port(), notification_max_attempts=3,
                 notification_retry_seconds=60)
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    assert record.status == "finalised"  # finalised whatever the mail server does

    before = datetime.now(UTC)
    worker.run_once()
    (note,) = _notifications(session, record.id)
    assert (note.status, note.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in note.last_error
    wait = note.next_attempt_at.replace(tzinfo=UTC) - before
    assert timedelta(seconds=59) < wait < timedelta(seconds=65)
    assert worker.run_once() == 0  # not due yet

    for attempts, seconds in ((1, 120), (2, None)):
        session.execute(update(Notification).values(next_attempt_at=datetime.now(UTC)))
        session.commit()
        before = datetime.now(UTC)
        worker.run_once()
        (note,) = _notifications(session, record.id)
        if seconds:
            assert (note.status, note.attempts) == ("pending", attempts + 1)
            wait = note.next_attempt_at.replace(tzinfo=UTC) - before
            assert timedelta(seconds=seconds - 1) < wait < timedelta(seconds=seconds + 5)
    assert (note.status, note.attempts) == ("failed", 3)
    assert len(_actions(session, "notification_retry")) == 2
    assert len(_actions(session, "notification_failed")) == 1

    manager = make_user(session, "mo", "manager")
    page = soup(signed_in(anonymous, session, manager).get("/outbox"))
    rows = table_rows(page.select_one("#outbox"))
    assert rows[0][:6] == [f"{record.reference} v1", "Police", "pc", "Sent", "Failed", "3"]
    assert "ConnectionRefusedError" in rows[0][6]


def test_outbox_is_for_managers_and_administrators_only(session, anonymous):
    sw = make_user(session, "sam")
    assert signed_in(anonymous, session, sw).get("/outbox").status_code == 403
    admin = make_user(session, "ada", "admin")
    page = soup(signed_in(anonymous, session, admin).get("/outbox"))
    assert page.select_one("#none").get_text() == "No notifications yet."
    assert page.select_one('header a[href="/outbox"]').get_text() == "Outbox"
    sw_page = soup(signed_in(anonymous, session, sw).get("/strategies"))
    assert sw_page.select_one('a[href="/outbox"]') is None


def test_a_claimed_notification_is_not_claimed_again_while_its_lease_runs(session):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    finalised_record(session, sw)
    now = datetime.now(UTC)
    first = worker._claim(session, now)
    assert first.reclaimed is False
    assert worker._claim(session, now) is None
    (note,) = _notifications(session)
    assert (note.status, note.attempts) == ("sending", 1)  # the claim is an attempt


def _claimed_and_abandoned(session, *, minutes_ago: int, attempts: int = 1) -> None:
    """Notification claimed by a worker that died `minutes_ago`, before it finished."""
    assert worker._claim(session, datetime.now(UTC)) is not None
    session.execute(update(Notification).values(
        claimed_at=datetime.now(UTC) - timedelta(minutes=minutes_ago), attempts=attempts))
    session.commit()


def test_a_notification_whose_worker_died_is_sent_again_after_its_lease(
        session, settings_env, smtp):
    settings_env(notification_claim_timeout_seconds=60)
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    _claimed_and_abandoned(session, minutes_ago=5)

    assert worker.run_once() == 1
    (note,) = _notifications(session)
    assert (note.status, note.attempts, note.last_error) == ("sent", 2, None)
    ((recipients, message),) = smtp.messages
    assert message["Message-ID"] == worker.message_id(note, config.get_settings())
    assert _actions(session, "notification_reclaimed") == [
        f"notification {note.id} (sent, version 1) to pc (police): its worker stopped mid-send, "
        f"so it is sent again and may arrive twice (Message-ID {message['Message-ID']})"]
    assert record.id == note.record_id


def test_a_lease_still_running_is_left_alone(session, settings_env, smtp):
    settings_env(notification_claim_timeout_seconds=600)
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    finalised_record(session, sw)
    _claimed_and_abandoned(session, minutes_ago=5)
    assert worker.run_once() == 0
    (note,) = _notifications(session)
    assert (note.status, note.attempts) == ("sending", 1)
    assert smtp.messages == []


def test_a_worker_that_died_on_the_last_allowed_attempt_leaves_it_failed(
        session, settings_env, smtp):
    settings_env(notification_claim_timeout_seconds=60, notification_max_attempts=3)
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    finalised_record(session, sw)
    _claimed_and_abandoned(session, minutes_ago=5, attempts=3)
    assert worker.run_once() == 0
    (note,) = _notifications(session)
    assert (note.status, note.attempts) == ("failed", 3)
    assert note.last_error.startswith("Tried 3 times; the worker sending the last attempt stopped")
    assert smtp.messages == []
    assert _actions(session, "notification_failed") == [
        f"notification {note.id}: worker stopped on the last attempt"]


def test_every_attempt_carries_the_same_message_id(session, settings_env, smtp):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    make_partner(session, "pc2", "police", "pc2@police.example")
    finalised_record(session, sw)
    first, second = _notifications(session)
    settings = config.get_settings()
    assert worker.message_id(first, settings) != worker.message_id(second, settings)
    assert worker.message_id(first, settings).endswith("@example.org>")
    worker.run_once()
    session.execute(update(Notification).where(Notification.id == first.id)
                    .values(status="pending", next_attempt_at=datetime.now(UTC)))
    session.commit()
    worker.run_once()
    ids = [message["Message-ID"] for _, message in smtp.messages]
    assert sorted(ids) == sorted([worker.message_id(first, settings)] * 2
                                 + [worker.message_id(second, settings)])


def test_send_on_authorise_sends_when_a_manager_authorises(session, settings_env):
    settings_env(send_on="authorise")
    sw = make_user(session, "sam")
    manager = make_user(session, "mo", "manager")
    make_partner(session, "pc", "police", "pc@police.example")
    record = finalised_record(session, sw)
    assert _notifications(session, record.id) == []
    followup.authorise(session, record, manager, record.revision)
    notes = _notifications(session, record.id)
    assert [(n.agency, n.kind, n.version) for n in notes] == [("police", "sent", 1)]
    assert _actions(session, "record_sent") == [
        "version 1 record sent to Police: 1 notification(s) queued",
        "version 1 record sent to Health visiting: unreachable: it has no address and no user "
        "with an email address",
    ]


def test_an_amendment_tells_every_agency_that_had_the_earlier_version(session, smtp):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    make_partner(session, "hv", "health_visiting", "hv@nhs.example")
    record = finalised_record(session, sw)
    worker.run_once()
    smtp.messages.clear()

    record = followup.amend(session, record, sw, record.revision, "Wrong date of the visit")
    data = StrategyRecordData.model_validate(
        record.content.model_dump(mode="json") | {"distribution": recipients("csc", "police")})
    record = lifecycle.save_record(session, record=record, data=data,
                                   expected_revision=record.revision)
    record = lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                       finalised_by=sw)
    worker.run_once()

    # Health visiting is no longer on the list: it keeps version 1, now superseded, and is told
    # so; the police are sent version 2 as a correction of the one they had.
    assert _actions(session, "record_sent")[-2:] == [
        "version 2 corrected version sent to Police: 1 notification(s) queued",
        "version 2 notice that their version is superseded sent to Health visiting: "
        "1 notification(s) queued",
    ]
    got = {tos[0]: message for tos, message in smtp.messages}
    assert {to: m["Subject"] for to, m in got.items()} == {
        "hv@nhs.example": f"Strategy discussion record {record.reference} superseded",
        "pc@police.example": f"Corrected strategy discussion record {record.reference}",
    }
    police = got["pc@police.example"].get_payload(decode=True).decode()
    health = got["hv@nhs.example"].get_payload(decode=True).decode()
    assert "A corrected version of a strategy discussion record" in police
    assert "which was not sent to your organisation" in health
    assert "Leo" not in police + health


def test_cli_sets_a_users_email(session, engine, capsys):
    from app.__main__ import main

    make_partner(session, "pc", "police", None)
    main(["user", "set-email", "pc", "PC.One@Police.Example"])
    assert "Email for pc set to PC.One@police.example." in capsys.readouterr().out
    session.expire_all()
    user = session.execute(select(User).where(User.username == "pc")).scalar_one()
    assert user.email == "PC.One@police.example"
    with pytest.raises(SystemExit, match="is not an email address"):
        main(["user", "set-email", "pc", "not-an-address"])
    assert auth_cli  # the CLI module is where the commands are added


def test_cli_creates_a_partner_with_an_email(session, engine, monkeypatch, capsys):
    from app.__main__ import main

    monkeypatch.setenv("STRATEGY_PASSWORD", "a long enough password")
    main(["user", "create", "pc9", "--name", "PC Nine", "--role", "partner", "--org",
          str(STANDARD_ORGANISATIONS["police"]), "--email", "pc9@police.example"])
    session.expire_all()
    user = session.execute(select(User).where(User.username == "pc9")).scalar_one()
    assert (user.organisation_id, user.agency, user.email) == (
        STANDARD_ORGANISATIONS["police"], "police", "pc9@police.example")


def test_the_outbox_shows_stuck_and_failed_notifications_with_a_retry_button(
        session, settings_env, smtp, anonymous):
    settings_env(notification_claim_timeout_seconds=60)
    sw = make_user(session, "sam")
    for name in ("pc1", "pc2", "pc3", "pc4"):
        make_partner(session, name, "police", f"{name}@police.example")
    record = finalised_record(session, sw)
    failed, stuck_sending, stuck_waiting, fine = _notifications(session, record.id)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    for note, values in ((failed, {"status": "failed", "attempts": 5, "last_error": "refused"}),
                         (stuck_sending, {"status": "sending", "claimed_at": long_ago,
                                          "attempts": 1}),
                         (stuck_waiting, {"next_attempt_at": long_ago}),
                         (fine, {"next_attempt_at": datetime.now(UTC) + timedelta(minutes=1)})):
        session.execute(update(Notification).where(Notification.id == note.id).values(**values))
    session.commit()

    manager = signed_in(anonymous, session, make_user(session, "mo", "manager"))
    page = soup(manager.get("/outbox"))
    rows = table_rows(page.select_one("#attention"))
    assert [row[:5] for row in rows] == [
        [f"{record.reference} v1", "Police", "pc3", "Stuck", "0"],
        [f"{record.reference} v1", "Police", "pc2", "Stuck", "1"],
        [f"{record.reference} v1", "Police", "pc1", "Failed", "5"],
    ]
    assert rows[2][5] == "refused"
    forms = page.select("#attention form")
    assert [form["action"] for form in forms] == [
        f"/outbox/{n.id}/retry" for n in (stuck_waiting, stuck_sending, failed)]
    assert forms[2].select_one("button").get_text(" ", strip=True) == (
        f"Retry the notification to pc1 for {record.reference}")

    answer = manager.post(forms[2]["action"], follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/outbox")
    session.expire_all()
    note = session.get(Notification, failed.id)
    assert (note.status, note.attempts) == ("pending", 0)
    assert _actions(session, "notification_requeued") == [
        f"notification {failed.id} (failed) queued again"]
    # Retrying again, or one on its way, changes nothing.
    manager.post(f"/outbox/{failed.id}/retry")
    manager.post(f"/outbox/{fine.id}/retry")
    assert len(_actions(session, "notification_requeued")) == 1

    worker.run_once()
    sent = {n.email for n in _notifications(session, record.id) if n.status == "sent"}
    assert sent == {"pc1@police.example", "pc2@police.example", "pc3@police.example"}
    assert len(table_rows(soup(manager.get("/outbox")).select_one("#outbox"))) == 4
    assert soup(manager.get("/outbox")).select_one("#attention") is None


def test_only_managers_and_administrators_may_retry(session, anonymous):
    sw = make_user(session, "sam")
    make_partner(session, "pc", "police", "pc@police.example")
    finalised_record(session, sw)
    (note,) = _notifications(session)
    session.execute(update(Notification).values(status="failed"))
    session.commit()
    answer = signed_in(anonymous, session, sw).post(f"/outbox/{note.id}/retry")
    assert answer.status_code == 403
    assert _notifications(session)[0].status == "failed"
