"""The audit log: one function writes it, one reads it. Nothing deletes rows.

Writing the log never fails a request and never loses an event: values are cleaned to what the
database can store (no NUL, no lone surrogates) and cut to fit their columns, and if the write
fails anyway the event goes to the Python log instead. Repeated refusals and failed sign-ins
add to the count of one row, so a flood of them cannot fill the table; views, edits and
downloads are each a row of their own.
"""

import logging
from datetime import timedelta

from fastapi import Request
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from app.auth.models import AuditEvent, User
from app.clock import utc_now
from app.config import get_settings
from app.logs import current_request_id

logger = logging.getLogger(__name__)

ACTIONS = (
    "viewed", "created", "edited", "finalised", "downloaded", "signed_in", "sign_in_failed",
    "sign_in_throttled", "signed_out", "refused", "user_created", "password_reset",
    "token_created", "token_revoked", "form_held", "form_returned",
    # After the meeting (app/followup): every transition and follow-up entry.
    "authorised", "returned", "amended", "action_done", "action_cancelled", "action_redated",
    "referrer_told",
    "edt_review", "discussion_cancelled", "s47_course",
    # Sending the record (app/sending): each agency sent a version, each email, first openings.
    "user_email_set", "record_sent", "notification_sent", "notification_logged", "notification_retry",
    "notification_failed", "notification_reclaimed", "notification_requeued", "receipt_opened",
    "receipt_downloaded",
    # A list (or report) downloaded as CSV: which filters, how many rows.
    "exported",
    # The directory of partner organisations, and a version withdrawn from one (sent in error).
    "organisation_created", "organisation_changed", "withdrawn",
    # Reading without an account (app/links): organisations' named contacts, and each step of
    # a personal link, logged with the recipient's name.
    "contact_created", "contact_changed", "link_opened", "link_code_requested",
    "link_code_throttled", "link_code_failed", "link_code_accepted", "link_viewed",
    "link_downloaded", "link_revoked", "link_signed_out",
    # A person's role, team or organisation changed by their groups at the identity provider.
    "user_changed",
    # Retention (a record deleted, on whose approval) and subject access (searches, bundles).
    "purged", "subject_access_searched", "subject_access_exported",
)
# Events that anyone can cause without limit: their repeats are counted, not each stored.
COUNTED = frozenset({"refused", "sign_in_failed", "sign_in_throttled"})

# The columns' lengths (models.AuditEvent).
USERNAME_MAX, DETAIL_MAX, IP_MAX = 80, 500, 64


def storable(value: str | None, limit: int) -> str | None:
    """`value` as the database can store it: no NUL, lone surrogates replaced, at most `limit`."""
    if not value:
        return None
    text = value.replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or None


def client_ip(request: Request | None) -> str | None:
    # Behind a proxy this is the X-Forwarded-For value, which the client chooses.
    if request is None or not request.client:
        return None
    return storable(request.client.host, IP_MAX)


def log(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    username: str | None = None,
    record_id: int | None = None,
    detail: str | None = None,
    request: Request | None = None,
) -> None:
    """Append one event and commit it, so it survives whatever the request does next.

    Callers commit their own changes first: if the audit write fails, the session is rolled
    back (and the event written to the Python log) so the request can carry on.
    """
    event = AuditEvent(
        at=utc_now(),
        user_id=user.id if user else None,
        username=storable(user.username if user else username, USERNAME_MAX),
        action=action,
        record_id=record_id,
        detail=storable(detail, DETAIL_MAX),
        ip=client_ip(request),
        request_id=current_request_id(),
    )
    fields = event.model_dump(exclude={"id", "count"})
    try:
        if not (action in COUNTED and _count_repeat(session, event)):
            # A plain INSERT: nothing reads the row back, so no unit of work or RETURNING.
            session.execute(insert(AuditEvent).values(**fields))
        session.commit()
    except Exception:  # noqa: BLE001 - the audit log must never be the reason a request fails
        session.rollback()
        logger.exception("Audit event not stored, recorded here instead: %r", fields)


def refused(session: Session, user: User | None, request: Request | None, why: str, *,
            record_id: int | None = None) -> None:
    """Log a refusal with who asked, the route and why; once per request (app/web/refusals.py
    logs any refusal a route did not log itself)."""
    route = f"{request.method} {request.url.path}: " if request is not None else ""
    if request is not None:
        request.state.refusal_logged = True
    log(session, "refused", user=user, record_id=record_id, detail=route + why, request=request)


def _count_repeat(session: Session, event: AuditEvent) -> bool:
    """Add one to the count of the same event within the window; False if there is none."""
    since = event.at - timedelta(seconds=get_settings().audit_repeat_window_seconds)
    query = select(AuditEvent.id).where(AuditEvent.at >= since)
    for name in ("action", "user_id", "username", "record_id", "detail", "ip"):
        column, value = getattr(AuditEvent, name), getattr(event, name)
        query = query.where(column.is_(None) if value is None else column == value)
    row_id = session.exec(query.order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if row_id is None:
        return False
    session.execute(update(AuditEvent).where(col(AuditEvent.id) == row_id)
                 .values(count=AuditEvent.count + 1))
    return True


AUDIT_PAGE_SIZE = 100


def events(
    session: Session,
    *,
    record_id: int | None = None,
    action: str | None = None,
    username: str | None = None,
    before_id: int | None = None,
    limit: int = AUDIT_PAGE_SIZE,
    where=None,
) -> list[AuditEvent]:
    """Newest first; `before_id` pages back (each page starts below the last id shown).
    `where` limits them to what the reader may see (app/visibility.audit_filter)."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if where is not None:
        query = query.where(where)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == record_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if username:
        query = query.where(AuditEvent.username == username)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    return list(session.exec(query))
