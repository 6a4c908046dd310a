"""Delivering the outbox: at least once, never lost.

A worker claims one due notification at a time with a lease: the claim (status "sending",
`claimed_at`, one more attempt) is committed before anything is sent. On PostgreSQL the claim
selects with FOR UPDATE SKIP LOCKED (workers never wait on each other's rows); on SQLite, one
writer at a time, a conditional UPDATE is the claim. The notification is marked sent only
after the mail server accepted it. A worker that dies mid-send leaves its claim behind: once
the lease (NOTIFICATION_CLAIM_TIMEOUT_SECONDS) has run out, any worker claims it again, so it
is never lost, and it may arrive twice. Every message carries a Message-ID made from the
notification alone, the same on every attempt, so a duplicate is recognisable; each re-claim
is written to the audit log (`notification_reclaimed`), so duplicates are counted. A
notification is marked failed only after NOTIFICATION_MAX_ATTEMPTS attempts (a claim is an
attempt, so one that kills its worker every time cannot loop for ever).

The email holds no case detail (OFFICIAL-SENSITIVE): the agency, the reference and a link
to sign in, or a personal link (app/links) for someone who reads without an account. A
personal link's secret and a one-time code are made here, as their email is sent
(app/sending/link_tokens.py), and only their hashes are stored. The code email is its own message,
never the link's.
"""

import logging
import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.clock import as_utc, utc_now
from app.config import Settings, get_settings
from app.db import get_engine
from app.domain.choices import Agency
from app.records.models import StrategyRecord
from app.sending import link_tokens as tokens
from app.sending.link_models import LinkCode, RecipientLink
from app.sending.models import Notification, WorkerHeartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    id: int
    claimed_at: datetime  # the lease's start: only its holder records a failed attempt
    reclaimed: bool  # its previous worker stopped mid-send: this send may be a duplicate


def _lease_start(now: datetime, settings: Settings) -> datetime:
    """Claims older than this have expired."""
    return now - timedelta(seconds=settings.notification_claim_timeout_seconds)


def _claimable(now: datetime, settings: Settings):
    expired = and_(Notification.status == "sending",
                   Notification.claimed_at < _lease_start(now, settings),
                   Notification.attempts < settings.notification_max_attempts)
    return or_(and_(Notification.status == "pending", Notification.next_attempt_at <= now),
               expired)


def _claim(session: Session, now: datetime, settings: Settings | None = None) -> Claim | None:
    """Claim the next due notification (or one whose lease ran out); None if there is none."""
    settings = settings or get_settings()
    claimable = _claimable(now, settings)
    due = (select(Notification.id, Notification.status).where(claimable)
           .order_by(Notification.next_attempt_at, Notification.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    while (found := session.execute(due).first()) is not None:
        # On SQLite the WHERE repeats the test: another worker may have claimed it meanwhile.
        result = session.execute(update(Notification).where(Notification.id == found.id, claimable)
                                 .values(status="sending", claimed_at=now,
                                         attempts=Notification.attempts + 1))
        session.commit()
        if result.rowcount == 1:
            return Claim(found.id, now, reclaimed=found.status == "sending")
    session.commit()
    return None


def _fail_exhausted_claims(session: Session, now: datetime, settings: Settings) -> None:
    """A claim that ran out on its last allowed attempt: failed, for a person to check."""
    stale = list(session.execute(select(Notification.id, Notification.record_id).where(
        Notification.status == "sending", Notification.claimed_at < _lease_start(now, settings),
        Notification.attempts >= settings.notification_max_attempts)).all())
    for notification_id, record_id in stale:
        result = session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.status == "sending",
            Notification.claimed_at < _lease_start(now, settings),
        ).values(status="failed", claimed_at=None, last_error=(
            f"Tried {settings.notification_max_attempts} times; the worker sending the last "
            "attempt stopped before it finished, so it may have gone out. Check with the agency.")))
        session.commit()
        if result.rowcount == 1:
            audit.log(session, "notification_failed", record_id=record_id,
                      detail=f"notification {notification_id}: worker stopped on the last attempt")


def message_id(notification: Notification, settings: Settings) -> str:
    """The same on every attempt, so a duplicate is recognisable."""
    domain = settings.smtp_from.rpartition("@")[2] or "strategy-record.localhost"
    created = as_utc(notification.created_at)
    return f"<notification-{notification.id}.{created:%Y%m%d%H%M%S%f}@{domain}>"


def message(notification: Notification, reference: str, settings: Settings,
            secret: dict[str, str] | None = None) -> EmailMessage:
    """The email for a notification. `secret` holds a personal link's token or a one-time
    code made for this sending (app/sending/link_tokens.py)."""
    secret = secret or {}
    agency = Agency(notification.agency).label if notification.agency in Agency._value2member_map_ \
        else notification.agency
    base = settings.public_base_url.rstrip('/')
    link = f"{base}/strategies/{notification.record_id}"
    email = EmailMessage()
    email["Message-ID"] = message_id(notification, settings)
    email["From"] = settings.smtp_from
    email["To"] = notification.email
    if notification.kind == "code":
        # Its own message, with nothing but the code: no reference, no link.
        email["Subject"] = "Your one-time code for Strategy Record"
        body = (f"Your one-time code is {secret['code']}. It works once, for "
                f"{settings.link_code_minutes} minutes. If you did not ask for it, ignore this "
                "email." if "code" in secret else
                "The code you asked for was replaced by a newer one: use the newest email.")
    elif notification.kind == "information_request" and "token" in secret:
        email["Subject"] = f"Information needed for a strategy discussion: {reference}"
        body = (f"Children's social care asks {agency} for information for a strategy "
                f"discussion ({reference}) by {secret['needed_by']}. Give it with your personal "
                f"link: {base}/r/{secret['token']}\n\nThe link asks for a one-time code, which "
                f"we email to this address. It works for {settings.link_expiry_days} days. Do "
                "not forward it: it is yours.")
    elif "token" in secret and notification.kind in ("sent", "corrected"):
        what = "A corrected version of a strategy discussion record" \
            if notification.kind == "corrected" else "A strategy discussion record"
        email["Subject"] = f"Strategy discussion record {reference}"
        body = (f"{what} has been sent to you at {agency} ({reference}, version "
                f"{notification.version}). Open it with your personal link: {base}/r/"
                f"{secret['token']}\n\nThe link asks for a one-time code, which we email to "
                f"this address. It works for {settings.link_expiry_days} days after sending. "
                "Do not forward it: it is yours.")
    elif notification.kind == "withdrawn":
        email["Subject"] = f"Strategy discussion record {reference} withdrawn"
        yours = _you(secret, agency, f"your organisation ({agency})")
        body = (f"Version {notification.version} of strategy discussion record {reference} was "
                f"sent to {yours} in error and has been withdrawn: it can "
                "no longer be read in the service. Please delete any copy you downloaded."
                + _personal(secret, base, "Your personal link now says so"))
    elif notification.kind == "superseded":
        email["Subject"] = f"Strategy discussion record {reference} superseded"
        body = (f"The strategy discussion record {reference} sent to "
                f"{_you(secret, agency, agency)} has "
                f"been superseded by version {notification.version}, which was not sent to "
                f"{'you' if 'token' in secret else 'your organisation'}. The version you were "
                "sent stays readable, marked superseded"
                + (_personal(secret, base, ". Read it with your personal link")[2:]
                   if "token" in secret else f": {link}"))
    elif notification.kind == "discussion_cancelled":
        email["Subject"] = f"Further strategy discussion cancelled: record {reference}"
        body = (f"The further strategy discussion set by strategy discussion record {reference} "
                f"(version {notification.version}), sent to {_you(secret, agency, agency)}, has been "
                "cancelled. " + (_personal(secret, base, "Read why and what happens next with "
                                                         "your personal link")[2:]
                                 if "token" in secret
                                 else f"Sign in to read why and what happens next: {link}"))
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


def _you(secret: dict[str, str], agency: str, otherwise: str) -> str:
    return f"you at {agency}" if "token" in secret else otherwise


def _personal(secret: dict[str, str], base: str, what: str) -> str:
    """A named recipient's personal link (app/links) on its own paragraph, or nothing."""
    if "token" not in secret:
        return ""
    return (f"\n\n{what}: {base}/r/{secret['token']}\n\nThe link asks for a one-time code, "
            "which we email to this address. Do not forward it: it is yours.")


def _link_name(session: Session, notification: Notification) -> str | None:
    """The named person a personal link or code goes to (for the audit log)."""
    if notification.kind == "code":
        link_id = select(LinkCode.link_id).where(LinkCode.notification_id == notification.id)
        where = RecipientLink.id.in_(link_id)
    else:
        where = RecipientLink.notification_id == notification.id
    return session.execute(select(RecipientLink.name).where(where)).scalar_one_or_none()


def _send(email: EmailMessage, settings: Settings) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(email)


def _deliver(session: Session, claim: Claim, settings: Settings) -> str:
    notification = session.get(Notification, claim.id)
    reference = session.execute(select(StrategyRecord.reference).where(
        StrategyRecord.id == notification.record_id)).scalar_one()
    username = session.execute(select(User.username).where(
        User.id == notification.recipient_id)).scalar_one_or_none() or _link_name(
        session, notification) or "its secure address"
    email = message(notification, reference, settings,
                    tokens.for_notification(session, notification.id))
    session.commit()  # no transaction held open while talking to the mail server
    what = f"notification {claim.id} ({notification.kind}, version " \
           f"{notification.version}) to {username} ({notification.agency})"
    if claim.reclaimed:
        audit.log(session, "notification_reclaimed", record_id=notification.record_id,
                  detail=f"{what}: its worker stopped mid-send, so it is sent again and may "
                         f"arrive twice (Message-ID {email['Message-ID']})")
    attempts = notification.attempts  # this claim's attempt included
    try:
        if settings.smtp_host:
            _send(email, settings)
            status = "sent"
        else:
            log.info("No SMTP_HOST: notification not sent, logged instead.\n%s", email)
            status = "logged"
    except (OSError, smtplib.SMTPException) as error:
        failed = attempts >= settings.notification_max_attempts
        wait = settings.notification_retry_seconds * 2 ** (attempts - 1)
        # Only while this worker still holds the lease: once it ran out, another worker owns
        # the notification (and may have sent it).
        result = session.execute(update(Notification).where(
            Notification.id == claim.id, Notification.status == "sending",
            Notification.claimed_at == claim.claimed_at,
        ).values(status="failed" if failed else "pending", claimed_at=None,
                 next_attempt_at=utc_now() + timedelta(seconds=wait),
                 last_error=f"{type(error).__name__}: {error}"[:1000]))
        session.commit()
        log.warning("Notification %s not delivered (attempt %d): %s", claim.id, attempts, error)
        if result.rowcount != 1:
            return "lost lease"
        audit.log(session, "notification_failed" if failed else "notification_retry",
                  record_id=notification.record_id,
                  detail=f"{what}, attempt {attempts}: {type(error).__name__}")
        return "failed" if failed else "pending"
    # Accepted by the mail server: sent, whoever holds the claim now.
    session.execute(update(Notification).where(
        Notification.id == claim.id, Notification.status.not_in(("sent", "logged")),
    ).values(status=status, sent_at=utc_now(), claimed_at=None, last_error=None))
    session.commit()
    audit.log(session, f"notification_{status}", record_id=notification.record_id, detail=what)
    return status


def run_once(settings: Settings | None = None) -> int:
    """Deliver every notification due now, one claim at a time; how many were attempted."""
    settings = settings or get_settings()
    attempted = 0
    with Session(get_engine()) as session:
        _fail_exhausted_claims(session, utc_now(), settings)
        while (claim := _claim(session, utc_now(), settings)) is not None:
            _deliver(session, claim, settings)
            attempted += 1
    return attempted


def run_forever(stop: threading.Event) -> None:
    settings = get_settings()
    log.info("Notification worker started")
    while not stop.is_set():
        try:
            run_once(settings)
            beat()
        except Exception:  # noqa: BLE001 - a database outage must not end the worker for good
            log.exception("Notification worker: delivery round failed; trying again")
        stop.wait(settings.notification_poll_seconds)


HEARTBEAT = "notification"


def beat(now: datetime | None = None) -> None:
    """Record that a delivery round just finished (/readyz checks it is recent)."""
    now = now or utc_now()
    with Session(get_engine()) as session:
        if session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == HEARTBEAT)
                           .values(beat_at=now)).rowcount == 0:
            session.add(WorkerHeartbeat(name=HEARTBEAT, beat_at=now))
        try:
            session.commit()
        except IntegrityError:  # another worker's first beat came first: theirs will do
            session.rollback()


def start_thread() -> threading.Event:
    """The worker in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(stop,), name="notification-worker",
                     daemon=True).start()
    return stop
