"""The returns' JSON API (issue 24): the section 47 enquiry's course for a record, and a
period's Section47 items with the census's checks (managers)."""

import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth import audit
from app.auth.deps import ApiUser
from app.clock import uk_now
from app.config import get_settings
from app.deps import SessionDep
from app.domain.fields import SHORT_TEXT_MAX
from app.followup import section47
from app.followup.course import OUTCOMES
from app.returns import checks, period, ssd
from app.returns import service as returns
from app.web import access
from app.web.api_common import READ_ERRORS, Revision, etag, invalid, problem
from app.web.followup_api import WORKFLOW_ERRORS, _based_on, _run
from app.web.records_api import StrategyRecordOut, record_out
from app.web.roles import ApiReturnsExporter

router = APIRouter(tags=["returns"])


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: Revision | None = None
    completed_on: date | None = Field(None, description="The day the enquiry was completed")
    outcome: Literal[tuple(OUTCOMES)] | None = Field(None, description="How it ended")
    icpc: Literal["held", "not_required", ""] = Field(
        "", description="The initial child protection conference: held, not required, or not "
                        "yet known")
    icpc_on: date | None = Field(None, description="The day it was held")
    icpc_not_required_reason: str | None = Field(None, max_length=SHORT_TEXT_MAX)


@router.post("/api/strategies/{record_id}/section-47", response_model=StrategyRecordOut,
             responses=WORKFLOW_ERRORS)
def section47_course(record_id: int, body: CourseIn, session: SessionDep, user: ApiUser,
                     request: Request, response: Response,
                     if_match: Annotated[str | None, Header(
                         description='The ETag you read, like "3"')] = None):
    """Record the section 47 enquiry's course (social care): the same checks as the
    follow-up page. Recorded again, the latest replaces the earlier."""
    record = access.follow_up_recordable(session, user, record_id, request)
    revision = _based_on(record, body, if_match)
    values = body.model_dump(exclude={"revision"}, exclude_none=True)
    record = _run(lambda: section47.record_course(session, record, user, revision, values))
    audit.log(session, "s47_course", user=user, record_id=record.id, request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def item_json(item: returns.Item, found: list[checks.Problem]) -> dict:
    """One item: the census's fields under their own names, then what links it back."""
    return {
        "LAchildID": item.person_id, "S47ActualStartDate": _day(item.start_on),
        "InitialCPCtarget": _day(item.icpc_target), "DateOfInitialCPC": _day(item.icpc_on),
        "ICPCnotRequired": item.icpc_not_required,
        "s47e_s47_enquiry_id": ssd.enquiry_id(item),
        "s47e_s47_end_date": _day(item.completed_on), "outcome": item.outcome,
        "record_id": item.record_id, "reference": item.reference,
        "records": list(item.records), "child": item.child_title,
        "problems": [{"code": p.code, "severity": p.severity, "message": p.message}
                     for p in found],
    }


def _stream(user, chosen):
    settings = get_settings()
    rows = failed = 0
    yield (f'{{"from":"{chosen[0]}","to":"{chosen[1]}","items":[').encode()
    for item in returns.items(user, *chosen):
        found = checks.problems(item, settings)
        yield (("," if rows else "") + json.dumps(item_json(item, found))).encode()
        rows, failed = rows + 1, failed + bool(found)
    yield f'],"rows":{rows},"failed_rows":{failed}}}'.encode()


@router.get("/api/exports/section47", responses={
    **READ_ERRORS, 403: problem("Only managers export the returns")})
def section47_export(request: Request, session: SessionDep, user: ApiReturnsExporter,
                     start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
                     end: Annotated[str | None, Query(alias="to", max_length=40)] = None):
    """The period's Section47 items (one per child and enquiry, by S47ActualStartDate), each
    with the census's checks it fails; `rows` and `failed_rows` close the document. Streamed.
    Blank dates mean the census year (1 April to 31 March)."""
    chosen, errors = period.parse({"from": start, "to": end}, uk_now().date())
    if errors:
        name, message = next(iter(errors.items()))
        raise invalid(("query", name), message, start if name == "from" else end)
    summary = returns.checked(user, *chosen)
    audit.log(session, "exported", user=user, request=request,
              detail=f"section 47 JSON, {chosen[0]} to {chosen[1]}: {summary.rows} rows, "
                     f"{summary.failed} failed the census checks")
    return StreamingResponse(_stream(user, chosen), media_type="application/json",
                             headers={"Cache-Control": "no-store"})
