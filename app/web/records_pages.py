"""HTML pages for recording a strategy discussion: starting a record, its page, and finalising
it. Every form works as a plain POST. The list is record_list_pages.py; the sections are
section_pages.py (and autosave_pages.py, saving as people type)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.roles import can_read_audit
from app.deps import PostedValues, SessionDep
from app.domain.choices import RecordStatus
from app.followup import lifecycle
from app.pdf.service import render_after_finalise
from app.records import service
from app.records.models import DamagedRecord
from app.rules.status import section_states
from app.templating import error_href, templates
from app.web import access, followup_view
from app.web.responses import see_other
from app.web.roles import Recorder
from app.web.section_form import _posted_revision

router = APIRouter(include_in_schema=False)


@router.post("/strategies")
def create(request: Request, session: SessionDep, user: Recorder) -> RedirectResponse:
    record = lifecycle.create_record(session, team=user.team, created_by_id=user.id)
    audit.log(session, "created", user=user, record_id=record.id, request=request)
    return see_other(f"/strategies/{record.id}")


def _record_page(request, record, user, *, errors=None, error_links=None, status_code=200,
                 notice=None, session=None, just_finalised=False):
    data = record.content
    session = session or Session.object_session(record)
    results = service.completeness(record)
    context = {
        "title": f"Strategy record {record.reference}",
        "record": record,
        "data": data,
        "states": section_states(data, results),
        "results": results,
        "failing": [r for r in results if not r.passed],
        "errors": errors,
        "error_links": error_links or {},
        "notice": notice,
        "can_edit": record.is_editable and session is not None
        and access.may_change(session, user, record, request),
        "can_read_audit": can_read_audit(user),
        # The confirmation panel, shown once, on the page finalising leads to.
        "just_finalised": just_finalised and record.status == RecordStatus.FINALISED,
        **followup_view.record_page_context(record, user, session, request),
    }
    context["finalised_by"] = context["after"] and context["after"]["finalised_by"]
    return templates.TemplateResponse(request, "record.html", context, status_code=status_code)


@router.get("/strategies/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: int, session: SessionDep, user: PageUser,
                finalised: str | None = None):
    # Partners read the newest version sent to their organisation (app/visibility.py).
    shown = access.readable(session, user, record_id, request)
    try:
        page = _record_page(request, shown, user, session=session,
                            just_finalised=finalised == "yes")
    except DamagedRecord as damage:
        # The page itself worked: it says what is wrong with the record, not a server error.
        context = {"title": f"Strategy record {shown.reference} is damaged",
                   "record": shown, "reason": damage.reason}
        page = templates.TemplateResponse(request, "damaged_record.html", context)
    # Logged once the page is built, so every read it needed shares one transaction (and one
    # pooled connection) and the view is logged only if it could be shown.
    access.note_opened(session, user, shown, request)  # a partner's first
    audit.log(session, "viewed", user=user, record_id=shown.id,
              detail=f"version {shown.version}", request=request)
    return page


CONFIRM_MESSAGE = "Confirm that you have checked the record before finalising it"

FINALISE_NO_REVISION = (
    "This page did not say which version of the record it was opened at, so the record has "
    "not been finalised. Check the record below, then finalise again."
)


@router.post("/strategies/{record_id}/finalise", response_class=HTMLResponse)
def finalise(values: PostedValues, request: Request, record_id: int, session: SessionDep,
             user: PageUser) -> Response:
    record = access.for_change(session, user, record_id, request)
    expected = _posted_revision(dict(values))
    if not record.is_editable:
        return see_other(f"/strategies/{record.id}")
    if expected is None:
        return _record_page(request, record, user, status_code=428, notice=FINALISE_NO_REVISION)
    try:
        if values.get("confirmed") != "yes":
            # Refused first for what finalising would refuse anyway, so the page lists that.
            service.check_finalisable(record, expected)
            return _record_page(request, record, user, errors={"confirmed": CONFIRM_MESSAGE},
                                error_links={"confirmed": "#confirmed"}, status_code=422)
        lifecycle.finalise_record(session, record=record, expected_revision=expected,
                                  finalised_by=user)
    except service.NotEditable:
        return see_other(f"/strategies/{record.id}")
    except service.StaleRecord:
        session.refresh(record)
        return _record_page(request, record, user, status_code=409, notice=(
            "Someone else changed this record after you opened it. Check it below, then "
            "finalise again."))
    except service.Incomplete as incomplete:
        errors, links = {}, {}
        for result in incomplete.failing:
            for n, failure in enumerate(result.failures):
                key = f"{result.rule.id}-{n}"
                errors[key] = failure.message
                links[key] = error_href(record.id, failure.path)
        return _record_page(request, record, user, errors=errors, error_links=links,
                            status_code=422)
    audit.log(session, "finalised", user=user, record_id=record.id, request=request)
    render_after_finalise(record)
    return see_other(f"/strategies/{record.id}?finalised=yes")
