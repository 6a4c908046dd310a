"""The JSON API: the same StrategyRecordData the HTML form parses into.

Input and output are separate models: what a client sends (StrategyRecordIn, and for a
replace also the revision it read) and what it reads back (StrategyRecordOut, the content
plus the facts only the service sets). Every write names the revision it was based on, so a
save or finalise from a stale read is refused (409) and one that names none is refused (428).
"""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlmodel import Session

from app.auth import audit
from app.auth.deps import ApiUser
from app.deps import SessionDep
from app.domain.choices import RecordStatus
from app.domain.fields import LOCAL_TIME_NOTE, LocalDateTime
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup.cancellations import CANCELLED_NOTE, CancelledDiscussionOut, cancelled_out
from app.organisations.service import UnknownRecipient
from app.pdf.service import render_after_finalise
from app.records import service, staff
from app.records.list_query import ListQuery
from app.records.listing import PAGE_SIZE
from app.records.models import StrategyRecord
from app.rules.completeness import Result, Severity
from app.web import access
from app.web.api_common import (
    READ_ERRORS,
    REVISION_ERRORS,
    STALE,
    WRITE_ERRORS,
    Revision,
    UtcDateTime,
    as_utc,
    etag,
    if_match_revision,
    invalid,
    problem,
    revision_named,
)
from app.web.roles import ApiRecorder, ApiRecordListReader

router = APIRouter(prefix="/api/strategies", tags=["strategy records"])




# --- models --------------------------------------------------------------------------------


class StrategyRecordIn(StrategyRecordData):
    """A record's content, as sent to create it. Unknown fields are refused (422)."""


READ_ONLY_NOTE = "Read-only: may be sent back as read; a different value is refused (422)"


class StrategyRecordReplace(StrategyRecordIn):
    """A record's content and the revision it was based on, as sent to replace a draft.

    A record read with GET may be sent back whole: its read-only fields are accepted only
    if they are exactly what is stored. Sending only the content and `revision` is enough.
    """

    revision: Revision | None = Field(
        None, description="The revision you read. Required unless an If-Match header is sent"
    )
    id: StrictInt | None = Field(None, description=READ_ONLY_NOTE)
    reference: str | None = Field(None, max_length=40, description=READ_ONLY_NOTE)
    status: RecordStatus | None = Field(None, description=READ_ONLY_NOTE)
    version: StrictInt | None = Field(None, description=READ_ONLY_NOTE)
    created_at: datetime | None = Field(None, description=READ_ONLY_NOTE)
    updated_at: datetime | None = Field(None, description=READ_ONLY_NOTE)
    finalised_at: datetime | None = Field(None, description=READ_ONLY_NOTE)
    further_discussion_cancelled: CancelledDiscussionOut | None = Field(
        None, description=READ_ONLY_NOTE)


READ_ONLY = ("id", "reference", "status", "version", "created_at", "updated_at", "finalised_at",
             "further_discussion_cancelled")


class FinaliseIn(BaseModel):
    """The revision a finalise is based on (or send it as If-Match)."""

    model_config = ConfigDict(extra="forbid")
    revision: Revision


class StrategyRecordOut(StrategyRecordData):
    """A record as read: its content plus the facts only the service sets."""

    id: int
    reference: str
    status: RecordStatus
    version: int = Field(description="The document version: 1 until an amendment")
    revision: int = Field(
        description="Changes on every save; send it back (or If-Match) with every write"
    )
    created_at: UtcDateTime = Field(description="UTC")
    updated_at: UtcDateTime = Field(description="UTC")
    finalised_at: UtcDateTime | None = Field(description="UTC; null until finalised")
    further_discussion_cancelled: CancelledDiscussionOut | None = Field(
        None, description=CANCELLED_NOTE)


class FailureOut(BaseModel):
    message: str
    field: str


class RuleResultOut(BaseModel):
    id: str
    severity: Severity
    passed: bool
    message: str
    section: str
    failures: list[FailureOut]


class FinaliseRefused(BaseModel):
    """The blocking rules that fail, or (for a malformed body) the fields refused."""

    detail: list[RuleResultOut] | list[dict[str, Any]]




# --- answers ---------------------------------------------------------------------------------


def record_out(record: StrategyRecord, session: Session | None = None) -> StrategyRecordOut:
    """The record as read. `session` is needed for a version read from its snapshot (a
    partner's earlier version), which belongs to none."""
    record.content  # noqa: B018  (a damaged record answers 409 with the reason, not a 500)
    return StrategyRecordOut.model_validate(
        {
            "further_discussion_cancelled": cancelled_out(session or Session.object_session(record),
                                                          record),
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
        severity=result.rule.severity,
        passed=result.passed,
        message=result.rule.message,
        section=result.rule.section,
        failures=[
            FailureOut(message=f.message, field=".".join(str(p) for p in f.path))
            for f in result.failures
        ],
    )


def staff_invalid(refused: staff.UnknownStaff) -> RequestValidationError:
    """A 422 naming each user id that is not active social-care staff, by its field."""
    return RequestValidationError([{"type": "value_error", "loc": ("body", *path), "msg": message,
                                    "input": None} for path, message in refused.errors.items()])


def _based_on(record: StrategyRecord, *revisions: int | None) -> None:
    """A draft's content may change only from its current revision."""
    record.content  # noqa: B018  (a damaged record answers 409 with the reason first)
    if not record.is_editable:
        raise HTTPException(409, detail="This record is finalised and can no longer be changed")
    revision_named(record, *revisions)


def _same_read_only(record: StrategyRecord, body: StrategyRecordReplace) -> None:
    """A document read back may carry its read-only fields, but never changed ones."""
    stored = record_out(record)
    for name in READ_ONLY:
        sent = getattr(body, name)
        if sent is None:  # left out, or null: nothing claimed
            continue
        if isinstance(sent, datetime):
            sent = as_utc(sent)
        if sent != getattr(stored, name):
            raise invalid(("body", name), f"{name} is read-only and differs from the stored "
                           "value: leave it out, or send it as read", sent)


# --- routes ------------------------------------------------------------------------------------


class ListedRecordOut(BaseModel):
    id: int
    reference: str
    status: RecordStatus
    version: int
    team: str | None
    led_by: str | None
    discussion_at: LocalDateTime | None = Field(description=LOCAL_TIME_NOTE)
    outcome: str | None
    children: list[str] = Field(description="Children's names")
    blocking_failures: int = Field(description="Blocking problems at the last save")
    warnings: int = Field(description="Warnings at the last save")
    next_due: date | None = Field(
        description="Earliest open action, day-team review, conference or next discussion date"
    )
    damaged: bool = Field(description="Its stored content no longer validates: read it for why")
    finalised_at: UtcDateTime | None = Field(description="When it was last finalised")
    owner: str | None = Field(description="The name of the person who started the record")
    overdue_since: date | None = Field(
        description="next_due, when it is before today (UK): something is overdue")
    day_team_review_overdue: bool = Field(
        description="An EDT-led record the day team has not reviewed by its review date")
    referrer_not_told: bool = Field(description="The referrer has not been told the outcome")


class RecordListOut(BaseModel):
    items: list[ListedRecordOut]
    page_size: int
    next_cursor: str | None = Field(description="Send as `after` for the next page")
    previous_cursor: str | None = Field(description="Send as `before` for the previous page")


@router.get("", response_model=RecordListOut, responses={
    **READ_ERRORS, 403: problem("A safeguarding-partnership user: figures, not records")})
def list_strategies(query: Annotated[ListQuery, Query()], session: SessionDep,
                    user: ApiRecordListReader):
    """The records you may see, a page at a time: the same filters as the list page."""
    page = access.visible_records(session, user, query)
    return RecordListOut(
        items=[ListedRecordOut(**vars(item), children=item.children_names,
                               overdue_since=item.overdue_since(page.today),
                               day_team_review_overdue=item.review_overdue(page.today),
                               referrer_not_told=item.referrer_not_told)
               for item in page.items],
        page_size=PAGE_SIZE,
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
    )


@router.post("", status_code=201, response_model=StrategyRecordOut,
             responses={**WRITE_ERRORS})
def create_strategy(body: StrategyRecordIn, session: SessionDep, response: Response,
                    user: ApiRecorder, request: Request) -> StrategyRecordOut:
    """Create a draft record from JSON (content only)."""
    try:
        record = lifecycle.create_record(session, data=body, team=user.team, created_by_id=user.id)
    except UnknownRecipient as refused:
        raise invalid(("body", "distribution"), str(refused), None) from None
    except staff.UnknownStaff as refused:
        raise staff_invalid(refused) from None
    audit.log(session, "created", user=user, record_id=record.id, request=request)
    response.headers["Location"] = f"/api/strategies/{record.id}"
    response.headers["ETag"] = etag(record)
    return record_out(record)


@router.get("/{record_id}", response_model=StrategyRecordOut, responses={**READ_ERRORS})
def read_strategy(record_id: int, session: SessionDep, response: Response, user: ApiUser,
                  request: Request) -> StrategyRecordOut:
    """Read a record. The ETag header holds its revision."""
    record = access.viewable(session, user, record_id, request)
    audit.log(session, "viewed", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record, session)


@router.put("/{record_id}", response_model=StrategyRecordOut,
            responses={**WRITE_ERRORS, **REVISION_ERRORS})
def replace_strategy(
    record_id: int,
    body: StrategyRecordReplace,
    session: SessionDep,
    response: Response,
    user: ApiUser,
    request: Request,
    if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None,
) -> StrategyRecordOut:
    """Replace a draft's content. Send the revision you read (`revision` in the body, or
    If-Match): without one the save is refused (428), and a stale one answers 409."""
    record = access.for_change(session, user, record_id, request)
    _based_on(record, body.revision, if_match_revision(if_match))
    _same_read_only(record, body)
    data = StrategyRecordData.model_validate(
        body.model_dump(include=set(StrategyRecordData.model_fields)), context={"stored": True}
    )
    try:
        record = lifecycle.save_record(
            session, record=record, data=data, expected_revision=record.revision
        )
    except service.StaleRecord:  # saved by someone else between our read and our write
        raise HTTPException(409, detail=STALE) from None
    except UnknownRecipient as refused:
        raise invalid(("body", "distribution"), str(refused), None) from None
    except staff.UnknownStaff as refused:
        raise staff_invalid(refused) from None
    audit.log(session, "edited", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record)


@router.get("/{record_id}/completeness", response_model=list[RuleResultOut],
            responses={**READ_ERRORS})
def strategy_completeness(record_id: int, session: SessionDep, user: ApiUser,
                          request: Request) -> list[RuleResultOut]:
    """Every completeness rule, passed or not, with the fields it is about."""
    record = access.viewable(session, user, record_id, request)
    audit.log(session, "viewed", user=user, record_id=record.id, detail="completeness",
              request=request)
    return [_result_out(r) for r in service.completeness(record)]


@router.post(
    "/{record_id}/finalise",
    response_model=StrategyRecordOut,
    responses={**WRITE_ERRORS, **REVISION_ERRORS,
               422: problem("Blocking rules fail (each listed), or a malformed body",
                             FinaliseRefused)},
)
def finalise_strategy(
    record_id: int,
    session: SessionDep,
    user: ApiUser,
    request: Request,
    response: Response,
    body: FinaliseIn | None = None,
    if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None,
) -> StrategyRecordOut:
    """Finalise a draft, or answer 422 listing the blocking rules that fail. Send the
    revision you read (`{"revision": n}` or If-Match): 428 without one, 409 if stale."""
    record = access.for_change(session, user, record_id, request)
    _based_on(record, body.revision if body else None, if_match_revision(if_match))
    try:
        record = lifecycle.finalise_record(session, record=record,
                                           expected_revision=record.revision, finalised_by=user)
    except service.StaleRecord:
        raise HTTPException(409, detail=STALE) from None
    except service.Incomplete as incomplete:
        raise HTTPException(
            422, detail=[_result_out(r).model_dump(mode="json") for r in incomplete.failing]
        ) from None
    audit.log(session, "finalised", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = etag(record)
    render_after_finalise(record)
    return record_out(record)
