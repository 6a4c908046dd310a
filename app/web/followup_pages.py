"""Pages after the meeting: review (authorise or return), follow-up, amend, the actions
tracker, the queues and the manager's page. Plain POST forms carrying the revision the page
was opened at; every refusal re-shows the page with what was typed and an error summary."""

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.roles import can_authorise, can_record_follow_up
from app.clock import uk_today
from app.config import get_settings
from app.deps import PostedValues, SessionDep
from app.domain.choices import Agency, LedBy, ReturnReason, is_fixed_action
from app.followup import entries, projection, section47, service, versions
from app.followup.entries import ActionProgress
from app.followup.service import Invalid, Refused, StaleRecord
from app.links import contributions
from app.parsing import whole_number
from app.pdf.service import render_after_finalise
from app.requests import service as requests_service
from app.returns import service as returns
from app.rules.core import discussion_day
from app.templating import templates
from app.web import access
from app.web.roles import ActionTracker, ManagerPageReader, QueueReader
from app.worklists import receipts, tracker

router = APIRouter(include_in_schema=False)
# Rows of each list the manager's page shows.
MANAGER_SHOWS = 10

STALE = ("Someone else changed this record after you opened this page, so nothing was saved. "
         "Check the record below, then try again.")
NO_REVISION = ("This page did not say which version of the record it was opened at, so nothing "
               "was saved. Check the record below, then try again.")


@dataclass(frozen=True)
class ActionForm:
    """One open action's progress form: what may be recorded of it."""

    position: int
    description: str
    due_date: object
    status: str
    is_open: bool
    outcomes: tuple[tuple[str, str], ...]
    tells_organisations: bool
    is_referrer_feedback: bool

    @classmethod
    def of(cls, row) -> "ActionForm":
        fixed = is_fixed_action(row.kind)
        outcomes = (("done", "Done"),) + (() if fixed else (("cancelled", "Cancelled"),)) + (
            ("redated", "New date"),)
        return cls(row.position, row.description, row.due_date, row.status, row.is_open, outcomes,
                   row.kind in projection.UPDATE_KINDS, row.kind == projection.REFERRER_FEEDBACK)


def _page(request, session, user, record, form: str | None = None, *, values=None,
          errors=None, status_code=200):
    """The record's follow-up page (`form` names the form that was posted, if any)."""
    data = record.content
    state = data if record.is_draft else versions.effective_data(session, record)
    context = {
        "title": f"After the discussion: {record.reference}",
        "record": record,
        "data": data,
        "actions": [ActionForm.of(row) for row in
                    versions.tracked_actions(session, record.id, record.version)],
        "form": form,
        "typed": values or {},
        "errors": errors,
        "error_links": {key: _error_link(form, key, data, values or {}) for key in (errors or {})},
        # The organisations an update must reach: each ticked as updated, or given a reason.
        "organisations": [(r.organisation_id, r.name) for r in data.distribution],
        # What this person may do to the record as it stands (the workflow's, app/followup).
        "may_authorise": can_authorise(user) and record.awaits_authorisation,
        "may_follow_up": can_record_follow_up(user) and record.is_final,
        "return_reasons": list(ReturnReason),
        "is_edt": record.led_by == LedBy.EDT,
        "referrer_due": record.referrer_feedback_due,
        "discussion_scheduled": bool(data.next_steps.next_discussion_on
                                     or data.decision.outcome == "further_strategy"),
        "warnings_open": record.warnings,
        "state": state,
        # Offered in the one-box dates, written as people type them (app/parsing.typed_date).
        "today": f"{uk_today():%-d/%-m/%Y}",
        "discussion_day": discussion_day(data),
        "user": user,
        "s47": section47.form_state(session, record),
    }
    return templates.TemplateResponse(request, "followup/follow_up.html", context,
                                      status_code=status_code)


def _act(request, session, user, record, form, values, change, audit_action, *, detail=None,
         rerender_pdf=False):
    """Run one service change from a posted form: refusals re-show the page, success logs it
    and goes back to the record."""
    values = dict(values)
    revision = whole_number(values.pop("revision", None))
    if revision is None:
        return _page(request, session, user, record, form, values=values,
                     errors={"revision": NO_REVISION}, status_code=428)
    try:
        record = change(revision, values)
    except Invalid as invalid:
        return _page(request, session, user, record, form, values=values, errors=invalid.errors,
                     status_code=422)
    except Refused as refused:
        return _page(request, session, user, record, form, values=values,
                     errors={"refused": refused.reason}, status_code=409)
    except StaleRecord:
        session.rollback()
        session.refresh(record)
        return _page(request, session, user, record, form, values=values,
                     errors={"revision": STALE}, status_code=409)
    audit.log(session, audit_action, user=user, record_id=record.id, detail=detail,
              request=request)
    if rerender_pdf:
        render_after_finalise(record)
    return RedirectResponse(f"/strategies/{record.id}#after-the-discussion", status_code=303)


@router.get("/strategies/{record_id}/follow-up", response_class=HTMLResponse)
def follow_up_page(request: Request, record_id: int, session: SessionDep, user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    audit.log(session, "viewed", user=user, record_id=record.id, detail="follow-up",
              request=request)
    return _page(request, session, user, record)


@router.post("/strategies/{record_id}/authorise", response_class=HTMLResponse)
def authorise(values: PostedValues, request: Request, record_id: int, session: SessionDep,
              user: PageUser):
    record = access.authorisable(session, user, record_id, request)
    return _act(request, session, user, record, "authorise", values,
                lambda rev, v: service.authorise(session, record, user, rev), "authorised",
                detail=f"version {record.version}", rerender_pdf=True)


@router.post("/strategies/{record_id}/return", response_class=HTMLResponse)
def return_record(values: PostedValues, request: Request, record_id: int, session: SessionDep,
                  user: PageUser):
    record = access.authorisable(session, user, record_id, request)
    return _act(request, session, user, record, "return", values,
                lambda rev, v: service.return_record(session, record, user, rev, v.get("comments"),
                                                     v.get("reasons")),
                "returned", detail=f"version {record.version}")


@router.post("/strategies/{record_id}/amend", response_class=HTMLResponse)
def amend(values: PostedValues, request: Request, record_id: int, session: SessionDep,
          user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "amend", values,
                lambda rev, v: service.amend(session, record, user, rev, v.get("reason")),
                "amended", detail=f"version {record.version + 1}")


@router.post("/strategies/{record_id}/actions/{position}", response_class=HTMLResponse)
def action_progress(values: PostedValues, request: Request, record_id: int, position: int,
                    session: SessionDep, user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    outcome = str(values.get("outcome", ""))
    ticked = values.get("updated") or []
    ticked = [ticked] if isinstance(ticked, str) else ticked
    updated = tuple(whole_number(org) or 0 for org in ticked)
    not_updated = {org: values.get(f"reason-{org}") for org in
                   (r.organisation_id for r in record.content.distribution)
                   if str(org) not in ticked}

    def change(rev, v):
        return entries.record_action(session, record, user, rev, ActionProgress(
            position=position, outcome=outcome, note=v.get("note"), done_on=v.get("done_on"),
            updated=updated, not_updated=not_updated, how=v.get("how"),
            due_date=v.get("due_date")))

    return _act(request, session, user, record, f"action-{position}", values, change,
                entries.OUTCOMES.get(outcome, "action_done"),
                detail=f"action {position + 1}", rerender_pdf=False)


@router.post("/strategies/{record_id}/referrer-told", response_class=HTMLResponse)
def referrer_told(values: PostedValues, request: Request, record_id: int, session: SessionDep,
                  user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "referrer", values,
                lambda rev, v: entries.record_referrer_told(session, record, user, rev, v),
                "referrer_told")


@router.post("/strategies/{record_id}/edt-review", response_class=HTMLResponse)
def edt_review(values: PostedValues, request: Request, record_id: int, session: SessionDep,
               user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "edt-review", values,
                lambda rev, v: entries.record_edt_review(session, record, user, rev, v),
                "edt_review")


@router.post("/strategies/{record_id}/cancel-further-discussion", response_class=HTMLResponse)
def cancel_further(values: PostedValues, request: Request, record_id: int, session: SessionDep,
                   user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "cancel", values,
                lambda rev, v: entries.cancel_further_discussion(session, record, user, rev,
                                                                 v.get("reason")),
                "discussion_cancelled", rerender_pdf=True)


def _error_link(form: str | None, key: str, data, values) -> str:
    """Where the error summary's link for `key` lands: the field itself (for a group, its first
    radio or checkbox, or the first organisation still untold), so following it puts the cursor
    where the answer goes."""
    if key in ("refused", "revision"):
        return f"#{form}-form"
    ticked = values.get("updated") or []
    ticked = [ticked] if isinstance(ticked, str) else ticked
    untold = [row.organisation_id for row in data.distribution
              if str(row.organisation_id) not in ticked
              and not str(values.get(f"reason-{row.organisation_id}") or "").strip()]
    first_control = {
        "reasons": "return-reasons",
        "outcome": f"{form}-outcome-done",
        "further_needed": "edt-further-yes",
        "updated": f"{form}-updated-{untold[0]}" if untold else f"{form}-updated",
    }
    return "#" + first_control.get(key, f"{form}-{key}-input")


# --- across records --------------------------------------------------------------------------


@router.get("/actions", response_class=HTMLResponse)
def actions_page(request: Request, session: SessionDep, user: ActionTracker):
    typed = dict(request.query_params.items())
    try:
        query = tracker.ActionQuery.model_validate(typed)
    except ValidationError as error:
        errors = {str(e["loc"][0]): _ACTION_ERRORS.get(str(e["loc"][0]), "Check this filter")
                  for e in error.errors()}
        context = {"title": "Actions", "typed": typed, "errors": errors, "page": None,
                   "rows": None, "agencies": list(Agency)}
        return templates.TemplateResponse(request, "followup/actions.html", context,
                                          status_code=422)
    audit.log(session, "viewed", user=user, detail="actions tracker", request=request)
    page = tracker.open_actions(session, user, query)
    context = {"title": "Actions", "typed": typed, "errors": None, "agencies": list(Agency),
               "page": page, "rows": page.rows}
    return templates.TemplateResponse(request, "followup/actions.html", context)


_ACTION_ERRORS = {"due_before": "Enter a date like 2026-11-23",
                  "after": "Use the Next link to move through the list"}


@router.get("/queues/{name}", response_class=HTMLResponse)
def queue_page(request: Request, name: str, session: SessionDep, user: QueueReader):
    if name not in tracker.QUEUES:
        raise HTTPException(404, "No such queue")
    after, before = (request.query_params.get(k) or None for k in ("after", "before"))
    try:
        page = tracker.queue(session, user, name, after=after, before=before)
    except ValueError:
        context = {"title": tracker.QUEUES[name], "name": name, "page": None,
                   "errors": {"after": "Use the Next and Previous links to move through "
                                       "the queue"}, "error_links": {"after": "#queue"}}
        return templates.TemplateResponse(request, "followup/queue.html", context,
                                          status_code=422)
    audit.log(session, "viewed", user=user, detail=f"queue {name}", request=request)
    context = {"title": tracker.QUEUES[name], "name": name, "page": page,
               "records": page.items, "errors": None}
    return templates.TemplateResponse(request, "followup/queue.html", context)


@router.get("/review-queue")
def review_queue(user: PageUser) -> RedirectResponse:
    return RedirectResponse("/queues/awaiting-authorisation", status_code=303)


@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request, session: SessionDep, user: ManagerPageReader):
    audit.log(session, "viewed", user=user, detail="manager's page", request=request)
    context = {
        "title": "Your team's records after the discussion",
        "counts": tracker.manager_counts(session, user),
        "cap": tracker.COUNT_CAP,
        "stale_days": get_settings().draft_stale_days,
        # Only the rows shown: the queues and the tracker page the rest.
        "awaiting": tracker.queue(session, user, "awaiting-authorisation",
                                  page_size=MANAGER_SHOWS).items,
        "overdue": tracker.open_actions(session, user, tracker.ActionQuery(overdue=True),
                                        page_size=MANAGER_SHOWS).rows,
        "team": user.team,
        "requests": _requests_waiting(session, user),
        "unreached": receipts.needing_attention(session, user),
        "late_information": contributions.overdue(session, user, MANAGER_SHOWS),
        "s47_open": returns.open_past_limit(session, user, uk_today(), MANAGER_SHOWS,
                                            tracker.COUNT_CAP),
        "s47_limit": get_settings().s47_open_limit_working_days,
    }
    return templates.TemplateResponse(request, "followup/manager.html", context)


def _requests_waiting(session, user) -> dict[str, int]:
    """Requests from other agencies waiting for social care to triage, and how many are late."""
    waiting, overdue = requests_service.waiting_counts(session, user)
    return {"waiting": waiting, "overdue": overdue}

