"""The JSON API: the same StrategyRecordData the HTML form parses into."""

from datetime import datetime

from fastapi import APIRouter, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field

from app.auth import audit
from app.auth.deps import ApiUser
from app.deps import SessionDep
from app.pdf.service import render_after_finalise
from app.records import access, service
from app.records.forms import whole_number
from app.records.models import StrategyRecord
from app.records.schema import StrategyRecordData
from app.rules.completeness import Result

router = APIRouter(prefix="/api/strategies", tags=["strategy records"])


class StrategyRecordDocument(StrategyRecordData):
    """A record as read from the API: its content plus read-only facts about it.

    A client may send a document it read back with PUT: the read-only fields are
    ignored, except `revision`, which must still be current.
    """

    id: int | None = Field(None, description="Read-only")
    reference: str | None = Field(None, description="Read-only")
    status: str | None = Field(None, description="Read-only: draft, finalised, ...")
    version: int | None = Field(None, description="Read-only")
    revision: int | None = Field(
        None, description="Changes on every save; send it back (or If-Match) to refuse stale saves"
    )
    created_at: datetime | None = Field(None, description="Read-only")
    updated_at: datetime | None = Field(None, description="Read-only")
    finalised_at: datetime | None = Field(None, description="Read-only")


class FailureOut(BaseModel):
    message: str
    field: str


class RuleResultOut(BaseModel):
    id: str
    severity: str
    passed: bool
    message: str
    section: str
    failures: list[FailureOut]


def _document(record: StrategyRecord) -> StrategyRecordDocument:
    return StrategyRecordDocument.model_validate(
        {
            **record.data,
            "id": record.id,
            "reference": record.reference,
            "status": record.status,
            "version": record.version,
            "revision": record.revision,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "finalised_at": record.finalised_at,
        },
        context={"stored": True},
    )


def _result_out(result: Result) -> RuleResultOut:
    return RuleResultOut(
        id=result.rule.id,
        severity=result.rule.severity.value,
        passed=result.passed,
        message=result.rule.message,
        section=result.rule.section,
        failures=[
            FailureOut(message=f.message, field=".".join(str(p) for p in f.path))
            for f in result.failures
        ],
    )


def _etag(record: StrategyRecord) -> str:
    return f'"{record.revision}"'


@router.post("", status_code=201, response_model=StrategyRecordDocument)
def create_strategy(body: StrategyRecordData, session: SessionDep, response: Response,
                    user: ApiUser, request: Request):
    """Create a draft record from JSON."""
    access.require_recorder(session, user, request)
    record = service.create_record(session, data=body, team=user.team, created_by_id=user.id)
    audit.log(session, "created", user=user, record_id=record.id, request=request)
    response.headers["Location"] = f"/api/strategies/{record.id}"
    response.headers["ETag"] = _etag(record)
    return _document(record)


@router.get("/{record_id}", response_model=StrategyRecordDocument)
def read_strategy(record_id: int, session: SessionDep, response: Response, user: ApiUser,
                  request: Request):
    """Read a record."""
    record = access.viewable(session, user, record_id, request)
    audit.log(session, "viewed", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = _etag(record)
    return _document(record)


@router.put(
    "/{record_id}",
    response_model=StrategyRecordDocument,
    responses={409: {"description": "Not a draft, or saved by someone else since it was read"}},
)
def replace_strategy(
    record_id: int,
    body: StrategyRecordDocument,
    session: SessionDep,
    response: Response,
    user: ApiUser,
    request: Request,
    if_match: str | None = Header(None),
):
    """Replace a draft's content. Send the revision you read (body or If-Match) to avoid
    overwriting someone else's save."""
    record = access.editable(session, user, record_id, request)
    expected = body.revision
    if if_match:
        token = if_match.strip().removeprefix("W/").strip('"')
        expected = whole_number(token)
        if expected is None:
            raise HTTPException(status_code=400, detail="If-Match must be an ETag from this API")
    data = StrategyRecordData.model_validate(
        body.model_dump(include=set(StrategyRecordData.model_fields)), context={"stored": True}
    )
    try:
        record = service.save_record(
            session, record=record, data=data, expected_revision=expected
        )
    except service.NotEditable:
        raise HTTPException(409, detail="This record is finalised and can no longer be changed") from None
    except service.StaleRecord:
        raise HTTPException(
            409, detail="Someone else saved this record since you read it: read it again"
        ) from None
    audit.log(session, "edited", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = _etag(record)
    return _document(record)


@router.get("/{record_id}/completeness", response_model=list[RuleResultOut])
def strategy_completeness(record_id: int, session: SessionDep, user: ApiUser, request: Request):
    """Every completeness rule, passed or not, with the fields it is about."""
    record = access.viewable(session, user, record_id, request)
    audit.log(session, "viewed", user=user, record_id=record.id, detail="completeness",
              request=request)
    return [_result_out(r) for r in service.completeness(record)]


@router.post(
    "/{record_id}/finalise",
    response_model=StrategyRecordDocument,
    responses={422: {"description": "Blocking rules fail"}, 409: {"description": "Not a draft"}},
)
def finalise_strategy(record_id: int, session: SessionDep, user: ApiUser, request: Request):
    """Finalise a draft, or answer 422 listing the blocking rules that fail."""
    record = access.editable(session, user, record_id, request)
    try:
        record = service.finalise_record(session, record=record, expected_revision=None)
    except service.NotEditable:
        raise HTTPException(409, detail="This record is already finalised") from None
    except service.Incomplete as incomplete:
        raise HTTPException(
            422, detail=[_result_out(r).model_dump() for r in incomplete.failing]
        ) from None
    audit.log(session, "finalised", user=user, record_id=record.id, request=request)
    render_after_finalise(record)
    return _document(record)
