"""Requests for a strategy discussion: submitting, triage (convene or decline), and the queue.

Every change commits here; routes write the audit entry afterwards, as for records.
"""

from datetime import date, datetime, timedelta

from fastapi import HTTPException, Request
from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from app.auth import audit
from app.auth.models import User
from app.auth.roles import Role, can_triage, can_view_request
from app.clock import uk_date, uk_day_start, uk_today, utc_now
from app.config import Settings, get_settings
from app.domain.choices import Agency, ReferrerKind, RequestStatus
from app.domain.fields import SHORT_TEXT_MAX
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.organisations import service as directory
from app.records.display import as_text
from app.records.models import StrategyRecord
from app.requests.models import DeclineData, RequestData, StrategyRequest
from app.rules.workdays import add_working_days

MAX_ID = 2**31 - 1


class AlreadyTriaged(Exception):
    """The request was convened or declined already."""


class WrongAgency(ValueError):
    """A partner asked on behalf of another agency, or social care named none."""


def triage_due(req: StrategyRequest, settings: Settings | None = None) -> date:
    """The last day social care has to triage it: REQUEST_TRIAGE_WORKING_DAYS after it came in."""
    settings = settings or get_settings()
    return add_working_days(uk_date(req.created_at), settings.request_triage_working_days)


def decided_in_time(req, decided_at: datetime, settings: Settings | None = None) -> bool:
    """Whether a request was decided by its triage date (the live audit counts these)."""
    return uk_date(decided_at) <= triage_due(req, settings)


def is_overdue(req: StrategyRequest, today: date | None = None) -> bool:
    today = today or uk_today()
    return req.is_awaiting and today > triage_due(req)


def triage_cutoff(today: date, settings: Settings | None = None) -> datetime:
    """Waiting requests that came in before this moment (UTC) are overdue `today`: the start
    of the UK day after the latest day whose triage date is before today (triage dates only
    move later as the day they came in does)."""
    settings = settings or get_settings()
    day = today - timedelta(days=1)
    while add_working_days(day, settings.request_triage_working_days) >= today:
        day -= timedelta(days=1)
    return uk_day_start(day + timedelta(days=1))


def waiting_counts(session: Session, user: User) -> tuple[int, int]:
    """(waiting for triage, of which overdue), counted in the database: nothing for anyone
    who does not triage."""
    if not can_triage(user):
        return 0, 0
    today = uk_today()
    late = case((col(StrategyRequest.created_at) < triage_cutoff(today), 1), else_=0)
    waiting, overdue = session.execute(
        select(func.count(), func.coalesce(func.sum(late), 0))
        .where(col(StrategyRequest.status) == RequestStatus.AWAITING.value)).one()
    return waiting, overdue


def requesting_agency(user: User, data: RequestData) -> Agency:
    if user.role == Role.PARTNER:
        if data.agency is not None and data.agency != user.agency:
            raise WrongAgency("You can only request a discussion for your own agency")
        return Agency(user.agency)
    if data.agency is None:
        raise WrongAgency("Select the agency you are requesting for")
    return data.agency


def submit(session: Session, user: User, data: RequestData) -> StrategyRequest:
    agency = requesting_agency(user, data)
    req = StrategyRequest(
        agency=agency.value, created_by_id=user.id, created_at=utc_now(),
        status=RequestStatus.AWAITING.value,
        data=data.model_copy(update={"agency": agency}).model_dump(mode="json"),
    )
    session.add(req)
    session.commit()
    session.refresh(req)
    return req


def viewable(session: Session, user: User, request_id: int, http: Request) -> StrategyRequest:
    """The request if this person may see it; otherwise 404, exactly like one that does not exist."""
    req = session.get(StrategyRequest, request_id) if 0 < request_id <= MAX_ID else None
    if req is None or not can_view_request(user, req):
        audit.log(session, "refused", user=user,
                  detail=f"{http.method} {http.url.path}: may not see request", request=http)
        raise HTTPException(404, "Request not found")
    return req


def triageable(session: Session, user: User, request_id: int, http: Request) -> StrategyRequest:
    req = viewable(session, user, request_id, http)
    if not can_triage(user):
        audit.log(session, "refused", user=user,
                  detail=f"{http.method} {http.url.path}: may not triage", request=http)
        raise HTTPException(403, "Only social-care staff can convene or decline a request")
    return req


def _short(text: str) -> str:
    return text if len(text) <= SHORT_TEXT_MAX else text[: SHORT_TEXT_MAX - 1] + "…"


def _requesters_organisation(session: Session, requester: User | None) -> int | None:
    """The requester's organisation, if it can still be ticked (an active one in the directory)."""
    organisation = (directory.get(session, requester.organisation_id)
                    if requester and requester.organisation_id else None)
    return organisation.id if organisation and organisation.active else None


def record_data_from(req: StrategyRequest, requester: User | None,
                     organisation_id: int | None = None) -> StrategyRecordData:
    """A draft record's content, pre-filled from the request: the requester is among those who
    took part (how is for the chair to say) with every contact detail they gave, and their
    organisation receives the record."""
    data = req.content
    discussed = ", ".join(part for part in (
        data.discussed_with_name, data.discussed_with_role,
        f"on {as_text(data.discussed_on)}" if data.discussed_on else None) if part)
    who = requester.display_name if requester else None
    if who and data.requester_role:
        who = f"{who} ({data.requester_role})"
    raw = {
        "header": {"requested_by": req.agency, "request_reason": data.why_significant_harm},
        "children": [child.model_dump(mode="json") for child in data.children],
        "grounds": {
            "summary": data.what_happened,
            "referrer_kind": ReferrerKind.PROFESSIONAL.value,
            "referrer_name": _short(who) if who else None,
            "referrer_agency": req.agency,
            "referral_form": data.referral_form.label,
            "referrer_discussed_with": _short(discussed) if discussed else None,
        },
        "participants": [{
            "name": requester.display_name if requester else None, "agency": req.agency,
            "organisation_id": organisation_id, "role": data.requester_role,
            "phone": data.requester_phone, "email": data.requester_email,
        }],
        "distribution": [organisation_id] if organisation_id else [],
    }
    return StrategyRecordData.model_validate(raw, context={"stored": True})


def _claim(session: Session, user: User, req: StrategyRequest, status: RequestStatus,
           **values) -> None:
    """Move a waiting request to `status`, or raise AlreadyTriaged: one conditional UPDATE, so
    two people triaging at once cannot both succeed."""
    now = utc_now()
    claimed = session.execute(
        update(StrategyRequest)
        .where(col(StrategyRequest.id) == req.id,
               col(StrategyRequest.status) == RequestStatus.AWAITING.value)
        .values(status=status.value, triaged_at=now, triaged_by_id=user.id,
                triaged_in_time=decided_in_time(req, now), **values)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise AlreadyTriaged()
    session.commit()
    session.refresh(req)


def convene(session: Session, user: User, req: StrategyRequest) -> StrategyRecord:
    requester = session.get(User, req.created_by_id)
    data = record_data_from(req, requester, _requesters_organisation(session, requester))
    _claim(session, user, req, RequestStatus.CONVENED)
    record = lifecycle.create_record(session, data=data, team=user.team, created_by_id=user.id)
    record.requester_id = req.created_by_id  # told when the record is sent (app/sending)
    session.add(record)
    req.record_id = record.id
    session.add(req)
    session.commit()
    session.refresh(req)
    return record


def decline(session: Session, user: User, req: StrategyRequest, answer: DeclineData) -> None:
    _claim(session, user, req, RequestStatus.DECLINED, decline_reason=answer.reason,
           instead=answer.instead)
