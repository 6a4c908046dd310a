"""The outbox page (managers and administrators) and the receipts API (social-care staff)."""

from datetime import UTC, date, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select

from app.auth import audit
from app.auth.deps import ApiUser, PageUser
from app.auth.models import User
from app.auth.roles import can_read_audit, can_record
from app.deps import SessionDep
from app.records import access
from app.records.api import READ_ERRORS, UtcDateTime, problem
from app.records.models import StrategyRecord
from app.sending import outbox, receipts
from app.sending.models import Notification
from app.templating import templates

router = APIRouter()
OUTBOX_LIMIT = 200


class AgencyReceiptOut(BaseModel):
    """A receipt as the API gives it: times in UTC with their offset, like every API time."""

    agency: str
    version: int | None
    sent_at: UtcDateTime | None
    delivered: bool
    first_opened_at: UtcDateTime | None
    first_downloaded_at: UtcDateTime | None
    open_by: date | None
    flagged: bool
    unreachable: bool
    sent_late: bool


@router.get("/api/strategies/{record_id}/receipts", response_model=list[AgencyReceiptOut],
            tags=["sending"],
            responses={**READ_ERRORS, 403: problem("Only social-care staff see receipts")})
def record_receipts(record_id: int, session: SessionDep, user: ApiUser, request: Request):
    """Per agency on the distribution list: when the version in force was sent, whether a
    notification was delivered, when the agency first opened and first downloaded it, whether
    it is flagged (not opened within RECEIPT_WORKING_DAYS working days), unreachable (no user
    with an email) or was sent late (after SEND_WITHIN_WORKING_DAYS of the discussion)."""
    record = access.viewable(session, user, record_id, request)
    if not can_record(user):  # partners see nothing about other agencies' receipt
        audit.log(session, "refused", user=user, record_id=record.id,
                  detail=f"GET {request.url.path}", request=request)
        raise HTTPException(403, "Only social-care staff see receipts")
    rows = receipts.for_record(session, record)
    audit.log(session, "viewed", user=user, record_id=record.id, detail="receipts",
              request=request)
    return [AgencyReceiptOut(**row.__dict__) for row in rows]


def _outbox_rows(session, where=None):
    query = (select(Notification, StrategyRecord.reference, User.username)
             .join(StrategyRecord, StrategyRecord.id == Notification.record_id)
             .join(User, User.id == Notification.recipient_id))
    if where is not None:
        query = query.where(where)
    return session.execute(query.order_by(Notification.id.desc()).limit(OUTBOX_LIMIT)).all()


def _refuse_unless_allowed(session, user, request) -> None:
    if not can_read_audit(user):
        audit.log(session, "refused", user=user, detail=f"{request.method} {request.url.path}",
                  request=request)
        raise HTTPException(403, "Only managers and administrators see the outbox")


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
def outbox_page(request: Request, session: SessionDep, user: PageUser):
    _refuse_unless_allowed(session, user, request)
    now = datetime.now(UTC)
    attention = _outbox_rows(session, outbox.needs_attention(now))
    stuck_ids = set(session.execute(select(Notification.id).where(
        Notification.id.in_([n.id for n, _, _ in attention]), outbox.stuck(now))).scalars())
    rows = _outbox_rows(session)
    audit.log(session, "viewed", user=user, detail="outbox", request=request)
    return templates.TemplateResponse(request, "outbox.html", {
        "title": "Outbox", "rows": rows, "limit": OUTBOX_LIMIT, "attention": attention,
        "stuck_ids": stuck_ids})


@router.post("/outbox/{notification_id}/retry", include_in_schema=False)
def retry_notification(notification_id: int, request: Request, session: SessionDep,
                       user: PageUser):
    _refuse_unless_allowed(session, user, request)
    outbox.retry(session, notification_id, user, request)  # nothing to do: simply back
    return RedirectResponse("/outbox", status_code=303)
