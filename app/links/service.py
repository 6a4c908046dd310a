"""Reading without an account: a personal link, a one-time code, a short session.

The journey: the notice email carries a personal link (app/sending/link_tokens.py). Opening it
(GET) shows nothing of the record and uses up nothing (mail scanners fetch links): it offers
to email a one-time code to the same address (POST). A correct code (POST) opens a session
of LINK_SESSION_MINUTES bound to the link, in which the versions sent to that address (the
visibility rule's `LinkReader`) can be read and downloaded, nothing else.

Throttling follows the sign-in throttle (app/auth/throttle.py): each request for a code and
each code tried is written down (committed) before it is judged, then counted per recipient
address and per client address within LINK_THROTTLE_WINDOW_MINUTES. A code allows
LINK_CODE_MAX_TRIES tries; it is compared in constant time, used once, stored hashed.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.clock import as_utc, utc_now
from app.config import get_settings
from app.organisations.models import Organisation
from app.sending import link_tokens as tokens
from app.sending.link_models import InformationRequest, LinkAttempt, LinkCode, LinkSession, RecipientLink
from app.sending.models import Notification, RecordReceipt
from app.visibility import LinkReader

LINK_COOKIE = "sr_link"
# Failed code tries allowed per recipient address in the window.
FAILURES_PER_RECIPIENT_FACTOR = 2  # times LINK_CODE_MAX_TRIES


def who(link: RecipientLink) -> str:
    """The recipient as the audit log names them."""
    return audit.storable(f"{link.name} (personal link)", audit.USERNAME_MAX)


def about(link: RecipientLink) -> str:
    """What the link is for, as the audit log says it."""
    return f"version {link.version}" if link.receipt_id is not None else "information request"


def landing(session: Session, link: RecipientLink) -> str:
    """Where a correct code takes its reader: the version sent, or the request's form."""
    if link.receipt_id is not None:
        return f"/r/records/{link.record_id}/versions/{link.version}"
    asked = session.execute(select(InformationRequest.id).where(
        InformationRequest.link_id == link.id)).scalar_one()
    return f"/r/requests/{asked}"


def find(session: Session, token: str | None) -> RecipientLink | None:
    if not token or len(token) > 200:
        return None
    wanted = tokens.digest(token)
    link = session.execute(select(RecipientLink).where(
        RecipientLink.token_hash == wanted)).scalar_one_or_none()
    return link if link is not None and tokens.same(link.token_hash, wanted) else None


def state(session: Session, link: RecipientLink) -> str:
    """"open", "revoked", "withdrawn" or "expired"."""
    if link.revoked_at is not None:
        return "revoked"
    withdrawn = session.execute(select(RecordReceipt.withdrawn_at).where(
        RecordReceipt.id == link.receipt_id)).scalar_one_or_none()
    if withdrawn is not None:
        return "withdrawn"
    if as_utc(link.expires_at) <= utc_now():
        return "expired"
    return "open"


def masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}"


# --- the throttle --------------------------------------------------------------------------


def _begin(session: Session, kind: str, email: str, ip: str | None) -> LinkAttempt:
    now = utc_now()
    since = now - timedelta(minutes=get_settings().link_throttle_window_minutes)
    session.execute(delete(LinkAttempt).where(LinkAttempt.at < since))
    attempt = LinkAttempt(at=now, kind=kind, email=email.lower(), ip=ip)
    session.add(attempt)
    session.commit()
    return attempt


def _count(session: Session, kind: str, column, value, failures_only: bool) -> int:
    since = utc_now() - timedelta(minutes=get_settings().link_throttle_window_minutes)
    query = select(func.count()).select_from(LinkAttempt).where(
        LinkAttempt.at >= since, LinkAttempt.kind == kind, column == value)
    if failures_only:
        query = query.where(or_(LinkAttempt.outcome.is_(None), LinkAttempt.outcome == "failed"))
    return session.execute(query).scalar_one()


def _finish(session: Session, attempt: LinkAttempt, outcome: str) -> None:
    session.execute(update(LinkAttempt).where(LinkAttempt.id == attempt.id)
                    .values(outcome=outcome))
    session.commit()


# --- codes ---------------------------------------------------------------------------------


def request_code(session: Session, link: RecipientLink, request=None) -> bool:
    """Queue an email with a new one-time code to the link's address (any earlier code stops
    working); False if too many were asked for (nothing queued)."""
    settings = get_settings()
    ip = audit.client_ip(request)
    attempt = _begin(session, "request", link.email, ip)
    if (_count(session, "request", LinkAttempt.email, link.email.lower(), False)
            > settings.link_code_requests_per_recipient
            or (ip is not None and _count(session, "request", LinkAttempt.ip, ip, False)
                > settings.link_code_requests_per_address)):
        _finish(session, attempt, "throttled")
        audit.log(session, "link_code_throttled", username=who(link), record_id=link.record_id,
                  detail=f"{about(link)}: too many codes asked for", request=request)
        return False
    now = utc_now()
    session.execute(update(LinkCode).where(LinkCode.link_id == link.id, LinkCode.used_at.is_(None))
                    .values(replaced=True))
    agency = session.execute(select(Organisation.agency).where(
        Organisation.id == link.organisation_id)).scalar_one()
    notification = Notification(record_id=link.record_id, version=link.version,
                                organisation_id=link.organisation_id, agency=agency, kind="code",
                                email=link.email, next_attempt_at=now, created_at=now)
    session.add(notification)
    session.flush()
    session.add(LinkCode(link_id=link.id, notification_id=notification.id, requested_at=now))
    session.commit()
    _finish(session, attempt, "ok")
    audit.log(session, "link_code_requested", username=who(link), record_id=link.record_id,
              detail=f"{about(link)}: code emailed to {masked(link.email)}",
              request=request)
    return True


@dataclass(frozen=True)
class Tried:
    # "ok", "wrong", "used_up" (tries exhausted), "expired", "none" (no code asked for or
    # not sent yet), "throttled".
    outcome: str
    tries_left: int = 0
    session_token: str | None = None


def try_code(session: Session, link: RecipientLink, code: str, request=None) -> Tried:
    """Check a code against the link's newest one; "ok" opens a session (its token)."""
    settings = get_settings()
    ip = audit.client_ip(request)
    attempt = _begin(session, "try", link.email, ip)
    if (_count(session, "try", LinkAttempt.email, link.email.lower(), True)
            > settings.link_code_max_tries * FAILURES_PER_RECIPIENT_FACTOR
            or (ip is not None and _count(session, "try", LinkAttempt.ip, ip, True)
                > settings.link_code_failures_per_address)):
        return _refused(session, link, attempt, Tried("throttled"), "too many codes tried",
                        request, "link_code_throttled")
    now = utc_now()
    current = session.execute(select(LinkCode).where(
        LinkCode.link_id == link.id, LinkCode.replaced.is_(False))
        .order_by(LinkCode.id.desc()).limit(1)).scalar_one_or_none()
    if current is None or current.code_hash is None or current.used_at is not None:
        return _refused(session, link, attempt, Tried("none"), "no code in force", request)
    if as_utc(current.expires_at) <= now:
        return _refused(session, link, attempt, Tried("expired"), "code expired", request)
    # One try counted, atomically: two tries at once cannot both be the fifth.
    counted = session.execute(update(LinkCode).where(
        LinkCode.id == current.id, LinkCode.tries < settings.link_code_max_tries,
        LinkCode.used_at.is_(None)).values(tries=LinkCode.tries + 1))
    session.commit()
    if counted.rowcount != 1:
        return _refused(session, link, attempt, Tried("used_up"), "code tried too often", request)
    session.refresh(current)
    if not tokens.same(tokens.digest(code), current.code_hash):
        left = settings.link_code_max_tries - current.tries
        return _refused(session, link, attempt, Tried("wrong" if left else "used_up", left),
                        f"wrong code ({left} tries left)", request)
    used = session.execute(update(LinkCode).where(
        LinkCode.id == current.id, LinkCode.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:
        session.commit()
        return _refused(session, link, attempt, Tried("none"), "code already used", request)
    secret = tokens.new_token(tokens.SESSION_TOKEN_BYTES)
    session.add(LinkSession(token_hash=tokens.digest(secret), link_id=link.id, created_at=now,
                            expires_at=now + timedelta(minutes=settings.link_session_minutes)))
    session.commit()
    _finish(session, attempt, "ok")
    audit.log(session, "link_code_accepted", username=who(link), record_id=link.record_id,
              detail=f"{about(link)}: session opened", request=request)
    return Tried("ok", session_token=secret)


def _refused(session, link, attempt, tried: Tried, why: str, request,
             action: str = "link_code_failed") -> Tried:
    _finish(session, attempt, "throttled" if tried.outcome == "throttled" else "failed")
    audit.log(session, action, username=who(link), record_id=link.record_id,
              detail=f"{about(link)}: {why}", request=request)
    return tried


# --- the session ---------------------------------------------------------------------------


def reader(session: Session, secret: str | None) -> LinkReader | None:
    """Who the link cookie says is reading, while its session and its link are in force."""
    if not secret or len(secret) > 200:
        return None
    now = utc_now()
    row = session.execute(select(RecipientLink).join(
        LinkSession, LinkSession.link_id == RecipientLink.id).where(
        LinkSession.token_hash == tokens.digest(secret), LinkSession.expires_at > now,
        RecipientLink.revoked_at.is_(None), RecipientLink.expires_at > now)).scalar_one_or_none()
    if row is None:
        return None
    return LinkReader(link_id=row.id, record_id=row.record_id, version=row.version,
                      organisation_id=row.organisation_id, email=row.email, name=row.name)


def end_session(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(delete(LinkSession).where(LinkSession.token_hash == tokens.digest(secret)))
        session.commit()


def mark(session: Session, reader: LinkReader, version: int, downloaded: bool,
         request=None) -> None:
    """Every opening and download is logged with the reader's name; the first of each fills
    their link's receipt, and the organisation's receipt if no one there had."""
    now = utc_now()
    columns = ["first_opened_at", *(["first_downloaded_at"] if downloaded else [])]
    for column in columns:
        session.execute(update(RecipientLink).where(
            RecipientLink.record_id == reader.record_id, RecipientLink.version == version,
            RecipientLink.email == reader.email,
            RecipientLink.organisation_id == reader.organisation_id,
            getattr(RecipientLink, column).is_(None)).values({column: now}))
        session.execute(update(RecordReceipt).where(
            RecordReceipt.record_id == reader.record_id, RecordReceipt.version == version,
            RecordReceipt.organisation_id == reader.organisation_id,
            RecordReceipt.withdrawn_at.is_(None),
            getattr(RecordReceipt, column).is_(None)).values({column: now}))
    session.commit()
    audit.log(session, "link_downloaded" if downloaded else "link_viewed",
              username=audit.storable(f"{reader.name} (personal link)", audit.USERNAME_MAX),
              record_id=reader.record_id, detail=f"version {version}", request=request)


# --- for social care -----------------------------------------------------------------------


def for_record(session: Session, record_id: int) -> list[RecipientLink]:
    """The links to versions sent (not those asking for information: app/links/contributions)."""
    return list(session.execute(select(RecipientLink).where(
        RecipientLink.record_id == record_id, RecipientLink.receipt_id.is_not(None))
        .order_by(RecipientLink.version.desc(), RecipientLink.name, RecipientLink.id)).scalars())


def revoke(session: Session, record_id: int, link_id: int, by: User, request=None) -> bool:
    """Stop a personal link working (and any session it opened); False if there is no such
    link on this record, or it was already revoked."""
    now = utc_now()
    result = session.execute(update(RecipientLink).where(
        RecipientLink.id == link_id, RecipientLink.record_id == record_id,
        RecipientLink.revoked_at.is_(None)).values(revoked_at=now, revoked_by_id=by.id))
    session.execute(delete(LinkSession).where(LinkSession.link_id == link_id))
    session.commit()
    if result.rowcount != 1:
        return False
    link = session.get(RecipientLink, link_id)
    audit.log(session, "link_revoked", user=by, record_id=record_id, request=request,
              detail=f"{about(link)}: personal link of {link.name} revoked")
    return True
