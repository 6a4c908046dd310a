"""The JSON API for requests: submit, read, convene (answers with the new record's id), decline."""

from datetime import date

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from app.auth import audit
from app.auth.deps import ApiUser
from app.deps import SessionDep
from app.domain.choices import RequestStatus
from app.requests import service
from app.requests.models import DeclineData, RequestData, StrategyRequest
from app.web.api_common import READ_ERRORS, WRITE_ERRORS, UtcDateTime, invalid, problem
from app.web.roles import ApiRequester

router = APIRouter(prefix="/api/requests", tags=["requests for a strategy discussion"])


class RequestIn(RequestData):
    """A request, as sent. Unknown fields are refused (422)."""


class DeclineIn(DeclineData):
    """Why the request is declined (required), and what happens instead."""


class RequestOut(RequestData):
    id: int
    status: RequestStatus
    created_at: UtcDateTime = Field(description="UTC")
    triage_due: date = Field(description="Social care triages it by the end of this day "
                                          "(REQUEST_TRIAGE_WORKING_DAYS working days)")
    overdue: bool = Field(description="Still waiting after the triage day")
    triaged_at: UtcDateTime | None = Field(description="UTC; null while waiting")
    decline_reason: str | None
    instead: str | None = Field(description="What happens instead, if declined")
    record_id: int | None = Field(description="The strategy record started, if convened")


class ConvenedOut(BaseModel):
    record_id: int = Field(description="The new draft strategy record, pre-filled from the request")
    request: RequestOut


TRIAGE_ERRORS = {
    **WRITE_ERRORS,
    403: problem("Only social-care staff can convene or decline a request"),
    404: problem("No such request, or not one you may see"),
    409: problem("The request has been convened or declined already"),
}


def _out(req: StrategyRequest) -> RequestOut:
    return RequestOut.model_validate({
        **req.data, "id": req.id, "status": req.status, "created_at": req.created_at,
        "triage_due": service.triage_due(req), "overdue": service.is_overdue(req),
        "triaged_at": req.triaged_at, "decline_reason": req.decline_reason,
        "instead": req.instead, "record_id": req.record_id,
    }, context={"stored": True})


@router.post("", status_code=201, response_model=RequestOut, responses={
    **WRITE_ERRORS, 403: problem("Only partner agencies and social-care staff can request")})
def submit_request(body: RequestIn, session: SessionDep, response: Response, user: ApiRequester,
                   request: Request) -> RequestOut:
    """Ask for a strategy discussion. A partner agency's user asks for their own agency;
    social-care staff name the agency they ask for (`agency`)."""
    try:
        req = service.submit(session, user, body)
    except service.WrongAgency as wrong:
        raise invalid(("body", "agency"), str(wrong), body.agency) from None
    audit.log(session, "created", user=user, detail=f"request {req.id}", request=request)
    response.headers["Location"] = f"/api/requests/{req.id}"
    return _out(req)


@router.get("/{request_id}", response_model=RequestOut, responses={
    **READ_ERRORS, 404: problem("No such request, or not one you may see")})
def read_request(request_id: int, session: SessionDep, user: ApiUser,
                 request: Request) -> RequestOut:
    """A request and, once triaged, its outcome: only its requester and social care see it."""
    req = service.viewable(session, user, request_id, request)
    audit.log(session, "viewed", user=user, detail=f"request {req.id}", request=request)
    return _out(req)


@router.post("/{request_id}/convene", response_model=ConvenedOut, responses=TRIAGE_ERRORS)
def convene_request(request_id: int, session: SessionDep, user: ApiUser,
                    request: Request) -> ConvenedOut:
    """Convene a strategy discussion: starts a draft record pre-filled from the request."""
    req = service.triageable(session, user, request_id, request)
    try:
        record = service.convene(session, user, req)
    except service.AlreadyTriaged:
        raise HTTPException(409, "This request has been convened or declined already") from None
    audit.log(session, "created", user=user, record_id=record.id,
              detail=f"convened from request {req.id}", request=request)
    return ConvenedOut(record_id=record.id, request=_out(req))


@router.post("/{request_id}/decline", response_model=RequestOut, responses=TRIAGE_ERRORS)
def decline_request(request_id: int, body: DeclineIn, session: SessionDep, user: ApiUser,
                    request: Request) -> RequestOut:
    """Decline, with the reason the requester will read (and what happens instead)."""
    req = service.triageable(session, user, request_id, request)
    try:
        service.decline(session, user, req, body)
    except service.AlreadyTriaged:
        raise HTTPException(409, "This request has been convened or declined already") from None
    audit.log(session, "edited", user=user, detail=f"request {req.id} declined", request=request)
    return _out(req)
