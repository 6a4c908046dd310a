"""The JSON API after the meeting: authorise, return, amend, action progress, and the actions
tracker.

Like every write in this API, each names the revision it was based on (`revision` in the
body, or If-Match): none answers 428, a stale one 409. What the workflow does not allow
answers 409 with the reason; a missing comment or reason answers 422 naming the field.
"""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.auth import audit
from app.auth.deps import ApiUser
from app.deps import SessionDep
from app.domain.choices import ReturnReason
from app.domain.fields import LONG_TEXT_MAX, SHORT_TEXT_MAX
from app.followup import entries, service
from app.pdf.service import render_after_finalise
from app.web import access
from app.web.api_common import (
    READ_ERRORS,
    REVISION_ERRORS,
    STALE,
    WRITE_ERRORS,
    Revision,
    etag,
    if_match_revision,
    invalid,
    problem,
    revision_named,
)
from app.web.records_api import StrategyRecordOut, record_out
from app.web.roles import ApiActionTracker
from app.worklists import tracker

router = APIRouter(tags=["after the meeting"])


class AuthoriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: Revision | None = None


class ReturnIn(AuthoriseIn):
    reasons: list[ReturnReason] = Field(
        max_length=len(ReturnReason),
        description="Why it is returned: one or more of the categories (422 if none). The live "
                    "audit counts these; it never shows the comments")
    comments: str = Field(max_length=LONG_TEXT_MAX,
                          description="What the author must change (seen by social care only)")


class AmendIn(AuthoriseIn):
    reason: str = Field(max_length=LONG_TEXT_MAX, description="Why the record needs amending")


WORKFLOW_ERRORS = {
    **WRITE_ERRORS, **REVISION_ERRORS,
    409: problem("The workflow does not allow this now (the reason says why), or someone "
                  "else changed the record since the revision you sent"),
}


def _based_on(record, body: AuthoriseIn | None, if_match: str | None) -> int:
    return revision_named(record, body.revision if body else None, if_match_revision(if_match))


def _run(change, field: str | None = None):
    try:
        return change()
    except service.Refused as refused:
        raise HTTPException(409, detail=refused.reason) from None
    except service.StaleRecord:
        raise HTTPException(409, detail=STALE) from None
    except service.Invalid as error:
        name, message = next(iter(error.errors.items()))
        raise invalid(("body", name), message, None) from None


@router.post("/api/strategies/{record_id}/authorise", response_model=StrategyRecordOut,
             responses=WORKFLOW_ERRORS)
def authorise(record_id: int, session: SessionDep, user: ApiUser, request: Request,
              response: Response, body: AuthoriseIn | None = None,
              if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None):
    """Authorise a finalised record (managers). The PDF then names who authorised it."""
    record = access.authorisable(session, user, record_id, request)
    revision = _based_on(record, body, if_match)
    record = _run(lambda: service.authorise(session, record, user, revision))
    audit.log(session, "authorised", user=user, record_id=record.id,
              detail=f"version {record.version}", request=request)
    render_after_finalise(record)
    response.headers["ETag"] = etag(record)
    return record_out(record)


@router.post("/api/strategies/{record_id}/return", response_model=StrategyRecordOut,
             responses=WORKFLOW_ERRORS)
def return_record(record_id: int, body: ReturnIn, session: SessionDep, user: ApiUser,
                  request: Request, response: Response,
                  if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None):
    """Return a finalised record to its author as a draft, with the reasons (categories) and
    comments (managers)."""
    record = access.authorisable(session, user, record_id, request)
    revision = _based_on(record, body, if_match)
    record = _run(lambda: service.return_record(session, record, user, revision, body.comments,
                                                [reason.value for reason in body.reasons]))
    audit.log(session, "returned", user=user, record_id=record.id,
              detail=f"version {record.version}", request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record)


@router.post("/api/strategies/{record_id}/amend", response_model=StrategyRecordOut,
             responses=WORKFLOW_ERRORS)
def amend(record_id: int, body: AmendIn, session: SessionDep, user: ApiUser, request: Request,
          response: Response,
          if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None):
    """Start an amendment: answers with the new draft version (finalise it again)."""
    record = access.follow_up_recordable(session, user, record_id, request)
    revision = _based_on(record, body, if_match)
    record = _run(lambda: service.amend(session, record, user, revision, body.reason))
    audit.log(session, "amended", user=user, record_id=record.id,
              detail=f"version {record.version}", request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record)


class ActionProgressIn(AuthoriseIn):
    outcome: Literal["done", "cancelled", "redated"] = Field(
        description="done; cancelled (never the update-all-agencies action: 409); or redated")
    note: str = Field(max_length=LONG_TEXT_MAX,
                      description="What was done, why it was cancelled, or why it needs a new date")
    done_on: date | None = Field(None, description="The day it was done (done)")
    updated: list[int] = Field(
        default_factory=list, max_length=500,
        description="An action that tells every agency, done: the organisations updated (ids "
                    "from the record's distribution list)")
    not_updated: dict[int, Annotated[str, Field(max_length=SHORT_TEXT_MAX)]] = Field(
        default_factory=dict, max_length=500,
        description="For each organisation on the distribution list not updated: why not")
    how: str | None = Field(None, max_length=SHORT_TEXT_MAX,
                            description="How the organisations were updated")
    due_date: date | None = Field(None, description="The new date (redated)")


@router.post("/api/strategies/{record_id}/actions/{position}", response_model=StrategyRecordOut,
             responses=WORKFLOW_ERRORS)
def action_progress(record_id: int, position: Annotated[int, Path(ge=0, le=10_000)],
                    body: ActionProgressIn, session: SessionDep, user: ApiUser, request: Request,
                    response: Response,
                    if_match: Annotated[str | None, Header(description='The ETag you read, like "3"')] = None):
    """Record an action of the version in force as done, cancelled or given a new date (social
    care). The same rules as the follow-up page: the update-all-agencies action is done only
    when every organisation on the distribution list is ticked or given a reason, and is never
    cancelled."""
    record = access.follow_up_recordable(session, user, record_id, request)
    revision = _based_on(record, body, if_match)
    progress = entries.ActionProgress(
        position=position, outcome=body.outcome, note=body.note, done_on=body.done_on,
        updated=tuple(body.updated), not_updated=body.not_updated, how=body.how,
        due_date=body.due_date)
    record = _run(lambda: entries.record_action(session, record, user, revision, progress))
    audit.log(session, entries.OUTCOMES[body.outcome], user=user, record_id=record.id,
              detail=f"action {position + 1}", request=request)
    response.headers["ETag"] = etag(record)
    return record_out(record)


class TrackedActionOut(BaseModel):
    record_id: int
    reference: str
    position: int = Field(description="The action's place in the record's list of actions")
    kind: str = Field(description="task, update_agencies or cancellation_update")
    description: str
    owner: str | None
    agency: str | None
    team: str | None
    due_date: date | None
    overdue: bool
    working_days_overdue: int = Field(description="England and Wales working days past due")


@router.get("/api/actions", response_model=list[TrackedActionOut],
            responses={**READ_ERRORS, 403: problem("Only social-care staff track actions")})
def list_actions(query: Annotated[tracker.ActionQuery, Query()], session: SessionDep,
                 user: ApiActionTracker, request: Request, response: Response,
                 limit: Annotated[int, Query(ge=1, le=tracker.API_LIMIT)] = tracker.API_LIMIT
                 ) -> list[TrackedActionOut]:
    """Open actions across the records you may see, overdue first: `limit` of them (at most
    500). When there are more, the `Link` header's `rel="next"` address (and `X-Next-Cursor`,
    to pass as `after`) gives the next ones."""
    audit.log(session, "viewed", user=user, detail="actions tracker", request=request)
    page = tracker.open_actions(session, user, query, page_size=limit)
    if page.next_cursor:
        following = query.link(after=page.next_cursor)
        following += f"&limit={limit}" if limit != tracker.API_LIMIT else ""
        response.headers["Link"] = f'</api/actions{following}>; rel="next"'
        response.headers["X-Next-Cursor"] = page.next_cursor
    return [TrackedActionOut(**{k: getattr(row, k) for k in TrackedActionOut.model_fields})
            for row in page.rows]
