"""The outbox page (managers and administrators) and the receipts API (social-care staff)."""

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app import visibility
from app.auth import audit
from app.auth.deps import ApiUser, PageUser
from app.auth.models import User
from app.clock import utc_now
from app.deps import PostedForm, SessionDep
from app.organisations.models import Organisation
from app.records.models import StrategyRecord
from app.sending import outbox
from app.sending import service as sending
from app.sending.models import Notification
from app.templating import templates
from app.web import access
from app.web.api_common import READ_ERRORS, UtcDateTime, problem
from app.web.roles import OutboxReader
from app.worklists import receipts

router = APIRouter()
OUTBOX_LIMIT = 200


class AgencyReceiptOut(BaseModel):
    """A receipt as the API gives it: times in UTC with their offset, like every API time."""

    organisation_id: int
    organisation: str
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
    record = access.receipts_readable(session, user, record_id, request)
    rows = receipts.for_record(session, record)
    audit.log(session, "viewed", user=user, record_id=record.id, detail="receipts",
              request=request)
    return [AgencyReceiptOut(**row.__dict__) for row in rows]


def _outbox_rows(session, user, where=None):
    """Notices, newest first: a manager's of records they may see; an administrator's all."""
    query = (select(Notification, StrategyRecord.reference, User.username, Organisation.name)
             .join(StrategyRecord, StrategyRecord.id == Notification.record_id)
             .join(Organisation, Organisation.id == Notification.organisation_id)
             .outerjoin(User, User.id == Notification.recipient_id))
    if visibility.audit_filter(user) is not None:
        query = query.where(visibility.record_filter(user))
    if where is not None:
        query = query.where(where)
    return session.execute(query.order_by(Notification.id.desc()).limit(OUTBOX_LIMIT)).all()


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
def outbox_page(request: Request, session: SessionDep, user: OutboxReader):
    now = utc_now()
    attention = _outbox_rows(session, user, outbox.needs_attention(now))
    stuck_ids = set(session.execute(select(Notification.id).where(
        Notification.id.in_([n.id for n, *_ in attention]), outbox.stuck(now))).scalars())
    rows = _outbox_rows(session, user)
    audit.log(session, "viewed", user=user, detail="outbox", request=request)
    return templates.TemplateResponse(request, "outbox.html", {
        "title": "Outbox", "rows": rows, "limit": OUTBOX_LIMIT, "attention": attention,
        "stuck_ids": stuck_ids})


@router.post("/outbox/{notification_id}/retry", include_in_schema=False)
def retry_notification(notification_id: int, request: Request, session: SessionDep,
                       user: OutboxReader):
    if not _outbox_rows(session, user, Notification.id == notification_id):
        raise HTTPException(404, "No such notification")  # or about a record they may not see
    outbox.retry(session, notification_id, user, request)  # nothing to do: simply back
    return RedirectResponse("/outbox", status_code=303)


# --- withdrawing a version sent in error ---------------------------------------------------------

WITHDRAW_REASON_MAX = 500


class WithdrawalIn(BaseModel):
    organisation_id: int = Field(gt=0, lt=2**31)
    reason: str = Field(min_length=1, max_length=WITHDRAW_REASON_MAX,
                        description="Why it was sent in error: logged and kept with the receipt")


def _withdraw(session, user, request, record_id: int, version: int, organisation_id: int,
              reason: str | None) -> None:
    record = access.authorisable(session, user, record_id, request)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > WITHDRAW_REASON_MAX:
        raise HTTPException(422, f"Say why it was sent in error ({WITHDRAW_REASON_MAX} "
                                 "characters at most): the organisation is told it was withdrawn")
    try:
        sending.withdraw(session, record, version, organisation_id, reason, user)
    except LookupError as missing:
        raise HTTPException(404, str(missing)) from None


@router.post("/api/strategies/{record_id}/versions/{version}/withdrawals", status_code=204,
             tags=["sending"], responses={**READ_ERRORS, 403: problem("Managers only")})
def withdraw_api(record_id: int, version: int, body: WithdrawalIn, session: SessionDep,
                 user: ApiUser, request: Request) -> Response:
    """Withdraw a version from an organisation it was sent to in error: its users can no
    longer read it, and it is told so. Managers only; the reason is logged."""
    _withdraw(session, user, request, record_id, version, body.organisation_id, body.reason)
    return Response(status_code=204)


@router.post("/strategies/{record_id}/versions/{version}/organisations/{organisation_id}/withdraw",
             include_in_schema=False)
def withdraw_page(record_id: int, version: int, organisation_id: int, session: SessionDep,
                  user: PageUser, request: Request, form: PostedForm):
    _withdraw(session, user, request, record_id, version, organisation_id,
              form.get("reason") if isinstance(form.get("reason"), str) else None)
    return RedirectResponse(f"/strategies/{record_id}#sent", status_code=303)
