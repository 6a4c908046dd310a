"""Delivering the outbox: claim due notifications, send each by SMTP, retry with back-off.

A notification is claimed (status "sending") and the claim committed before anything is
sent, so no other worker, thread or instance can take it: on PostgreSQL the claim selects
with FOR UPDATE SKIP LOCKED (workers never wait on each other's rows); on SQLite, which has
one writer at a time, a conditional UPDATE ... WHERE status = 'pending' is the claim. After the
send it is marked sent. A worker that stops between the two leaves the row "sending": after
NOTIFICATION_CLAIM_TIMEOUT_SECONDS it is marked failed for a person to check, never sent
again (it may have gone out), so nothing is sent twice and nothing is lost silently.

The email holds no case detail (OFFICIAL-SENSITIVE): the agency, the reference and a link
to sign in.
"""

import logging
import smtplib
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.config import Settings, get_settings
from app.db import get_engine
from app.domain.choices import Agency
from app.records.models import StrategyRecord
from app.sending.models import Notification

log = logging.getLogger(__name__)
BATCH = 20


def _claim(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    due = (select(Notification.id)
           .where(Notification.status == "pending", Notification.next_attempt_at <= now)
           .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.execute(due.with_for_update(skip_locked=True)).scalars())
        if ids:
            session.execute(update(Notification).where(Notification.id.in_(ids))
                            .values(status="sending", claimed_at=now))
        session.commit()
        return ids
    claimed = []
    for notification_id in session.execute(due).scalars().all():
        result = session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.status == "pending",
        ).values(status="sending", claimed_at=now))
        if result.rowcount == 1:
            claimed.append(notification_id)
    session.commit()
    return claimed


def _abandon_stale_claims(session: Session, now: datetime, settings: Settings) -> None:
    cutoff = now - timedelta(seconds=settings.notification_claim_timeout_seconds)
    stale = list(session.execute(select(Notification.id, Notification.record_id).where(
        Notification.status == "sending", Notification.claimed_at < cutoff)).all())
    for notification_id, record_id in stale:
        result = session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.status == "sending",
        ).values(status="failed", last_error="The worker stopped while sending: it may or may "
                 "not have gone out, so it is not sent again. Check with the agency."))
        session.commit()
        if result.rowcount == 1:
            audit.log(session, "notification_failed", record_id=record_id,
                      detail=f"notification {notification_id}: worker stopped while sending")


def message(notification: Notification, reference: str, settings: Settings) -> EmailMessage:
    agency = Agency(notification.agency).label if notification.agency in Agency._value2member_map_ \
        else notification.agency
    link = f"{settings.public_base_url.rstrip('/')}/strategies/{notification.record_id}"
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = notification.email
    if notification.kind == "withdrawn":
        email["Subject"] = f"Strategy discussion record {reference} withdrawn"
        body = (f"Version {notification.version} of strategy discussion record {reference} was "
                f"sent to your organisation ({agency}) in error and has been withdrawn: it can "
                "no longer be read in the service. Please delete any copy you downloaded.")
    elif notification.kind == "corrected":
        email["Subject"] = f"Corrected strategy discussion record {reference}"
        body = (f"A corrected version of a strategy discussion record sent to {agency} now "
                f"exists ({reference}, version {notification.version}). Sign in to read it: {link}")
    else:
        email["Subject"] = f"Strategy discussion record {reference}"
        body = (f"A strategy discussion record has been sent to {agency} ({reference}). "
                f"Sign in to read it: {link}")
    email.set_content(body + "\n\nThis email holds no case detail: the record is only in the "
                      "service.\n")
    return email


def _send(email: EmailMessage, settings: Settings) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(email)


def _deliver(session: Session, notification_id: int, settings: Settings) -> str:
    notification = session.get(Notification, notification_id)
    reference = session.execute(select(StrategyRecord.reference).where(
        StrategyRecord.id == notification.record_id)).scalar_one()
    username = session.execute(select(User.username).where(
        User.id == notification.recipient_id)).scalar_one_or_none() or "its secure address"
    email = message(notification, reference, settings)
    session.commit()  # no transaction held open while talking to the mail server
    now = datetime.now(UTC)
    what = f"notification {notification_id} ({notification.kind}, version " \
           f"{notification.version}) to {username} ({notification.agency})"
    try:
        if settings.smtp_host:
            _send(email, settings)
            status = "sent"
        else:
            log.info("No SMTP_HOST: notification not sent, logged instead.\n%s", email)
            status = "logged"
    except (OSError, smtplib.SMTPException) as error:
        attempts = notification.attempts + 1
        failed = attempts >= settings.notification_max_attempts
        wait = settings.notification_retry_seconds * 2 ** (attempts - 1)
        session.execute(update(Notification).where(Notification.id == notification_id).values(
            status="failed" if failed else "pending", attempts=attempts, claimed_at=None,
            next_attempt_at=now + timedelta(seconds=wait),
            last_error=f"{type(error).__name__}: {error}"[:1000]))
        session.commit()
        log.warning("Notification %s not delivered (attempt %d): %s", notification_id, attempts,
                    error)
        audit.log(session, "notification_failed" if failed else "notification_retry",
                  record_id=notification.record_id,
                  detail=f"{what}, attempt {attempts}: {type(error).__name__}")
        return "failed" if failed else "pending"
    session.execute(update(Notification).where(Notification.id == notification_id).values(
        status=status, attempts=notification.attempts + 1, sent_at=now, last_error=None))
    session.commit()
    audit.log(session, f"notification_{status}", record_id=notification.record_id, detail=what)
    return status


def run_once(settings: Settings | None = None) -> int:
    """Deliver every notification due now; how many were attempted."""
    settings = settings or get_settings()
    with Session(get_engine()) as session:
        now = datetime.now(UTC)
        _abandon_stale_claims(session, now, settings)
        attempted = 0
        while ids := _claim(session, now):
            for notification_id in ids:
                _deliver(session, notification_id, settings)
                attempted += 1
        return attempted


def run_forever(stop: threading.Event) -> None:
    settings = get_settings()
    log.info("Notification worker started")
    while not stop.is_set():
        try:
            run_once(settings)
        except Exception:  # noqa: BLE001 - a database outage must not end the worker for good
            log.exception("Notification worker: delivery round failed; trying again")
        stop.wait(settings.notification_poll_seconds)


def start_thread() -> threading.Event:
    """The worker in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(stop,), name="notification-worker",
                     daemon=True).start()
    return stop
