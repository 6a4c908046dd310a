"""Asking an agency for information before a discussion (social care), and giving it by
personal link (the agency's contact): app/links/contributions.py over HTTP.

The contact's routes stand alone like the rest of /r/ (app/links/pages.py): the link's session
reaches only its own request's form; cross-site POSTs are refused and every answer carries
the security headers, as everywhere (app/security.py).
"""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.auth import audit
from app.auth.deps import PageUser
from app.deps import PostedForm, SessionDep
from app.domain.choices import JoinBy, Position, YesNo
from app.domain.contribution import AgencyContribution
from app.links import contributions, service
from app.parsing import typed_date
from app.records import service as records
from app.sending.link_models import InformationRequest, RecipientLink
from app.templating import templates
from app.web import access

router = APIRouter(include_in_schema=False)
NOT_A_DRAFT = "Information can be asked for only while the record is a draft"
FIELDS = tuple(AgencyContribution.model_fields)
GONE = "This request is closed. Open the link in your email again if you still need to reply."


def _text(form, key: str, limit: int = 10_500) -> str:
    value = form.get(key)
    return value[:limit] if isinstance(value, str) else ""


# --- social care ----------------------------------------------------------------------------


def _ask_page(request, session, record, *, errors=None, typed=None, status_code=200):
    return templates.TemplateResponse(request, "links/ask.html", {
        "title": f"Ask an agency for information: {record.reference}", "record": record,
        "choices": contributions.choices(session), "errors": errors or {},
        "typed": typed or {}}, status_code=status_code)


@router.get("/strategies/{record_id}/information-requests/new", response_class=HTMLResponse)
def ask_form(record_id: int, request: Request, session: SessionDep, user: PageUser):
    record = access.for_change(session, user, record_id, request)
    if not record.is_editable:
        raise HTTPException(409, NOT_A_DRAFT)
    return _ask_page(request, session, record)


@router.post("/strategies/{record_id}/information-requests")
def ask(record_id: int, request: Request, session: SessionDep, user: PageUser, form: PostedForm):
    record = access.for_change(session, user, record_id, request)
    typed = {"recipient": _text(form, "recipient", 40), "needed_by": _text(form, "needed_by", 40)}
    if not record.is_editable:
        return _ask_page(request, session, record, errors={"recipient": NOT_A_DRAFT},
                         typed=typed, status_code=409)
    needed_by, problem = None, None
    try:
        needed_by = typed_date(typed["needed_by"]) if typed["needed_by"].strip() else None
    except ValueError as error:
        problem = str(error)
    try:
        contributions.ask(session, record, typed["recipient"], needed_by, user, request,
                          date_problem=problem)
    except contributions.Refused as refused:
        return _ask_page(request, session, record, errors=refused.errors, typed=typed,
                         status_code=422)
    return RedirectResponse(f"/strategies/{record.id}#information-requests", status_code=303)


# --- the agency's contact -------------------------------------------------------------------


def _theirs(request: Request, session, request_id: int) -> tuple[InformationRequest,
                                                                 RecipientLink]:
    reader = service.reader(session, request.cookies.get(service.LINK_COOKIE))
    if reader is None:
        audit.refused(session, None, request, "no personal link session")
        raise HTTPException(401, "Your session has ended. Open the link in your email again "
                                 "and ask for a new code.")
    asked = contributions.of_link(session, reader.link_id)
    if asked is None or asked.id != request_id:
        request.state.refusal_logged = True
        audit.log(session, "refused", username=f"{reader.name} (personal link)",
                  record_id=reader.record_id, request=request,
                  detail=f"{request.method} {request.url.path}: not their request")
        raise HTTPException(404, "Page not found")
    link = session.get(RecipientLink, reader.link_id)
    if asked.cancelled_at is not None or service.state(session, link) != "open":
        raise HTTPException(410, GONE)
    return asked, link


def _form_page(request, session, asked, link, *, errors=None, typed=None, status_code=200):
    record = records.get_record(session, asked.record_id)
    return templates.TemplateResponse(request, "links/contribution.html", {
        "title": "Information for a strategy discussion", "asked": asked, "link": link,
        "record": record, "children": record.content.children, "errors": errors or {},
        "typed": typed or {}, "positions": [Position.HAS_CONCERNS, Position.NO_CONCERNS],
        "yes_no": list(YesNo), "join_by": list(JoinBy),
        "sent": asked.contribution}, status_code=status_code)


@router.get("/r/requests/{request_id}", response_class=HTMLResponse)
def contribution_form(request_id: int, request: Request, session: SessionDep):
    asked, link = _theirs(request, session, request_id)
    audit.log(session, "contribution_form_viewed", username=service.who(link),
              record_id=asked.record_id, request=request,
              detail=f"{asked.organisation}: information request form")
    return _form_page(request, session, asked, link)


def _problems(error: ValidationError) -> dict[str, str]:
    found = {}
    for problem in error.errors():
        key = str(problem["loc"][0]) if problem["loc"] else "name"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] in ("string_too_long",):
            message = f"{AgencyContribution.model_fields[key].title} is too long"
        elif problem["type"] == "enum":
            message = f"Choose one of the options for: {AgencyContribution.model_fields[key].title}"
        found.setdefault(key, message)
    return found


@router.post("/r/requests/{request_id}", response_class=HTMLResponse)
def contribute(request_id: int, request: Request, session: SessionDep, form: PostedForm):
    asked, link = _theirs(request, session, request_id)
    if asked.received_at is not None:
        audit.log(session, "contribution_refused", username=service.who(link),
                  record_id=asked.record_id, request=request,
                  detail=f"{asked.organisation}: a contribution was already received")
        return _form_page(request, session, asked, link, status_code=409)
    typed = {key: _text(form, key) for key in FIELDS}
    given, errors = {k: v for k, v in typed.items() if v}, {}
    try:
        sent = AgencyContribution.model_validate(given)
    except ValidationError as error:
        # Every problem at once: what is malformed, then what is missing of the rest.
        errors = _problems(error)
        sent = AgencyContribution.model_validate(
            {k: v for k, v in given.items() if k not in errors})
    errors = {**sent.missing(), **errors}
    if errors:
        ordered = {key: errors[key] for key in FIELDS if key in errors}
        return _form_page(request, session, asked, link, errors=ordered, typed=typed,
                          status_code=422)
    contributions.receive(session, asked, link, sent, request)
    return RedirectResponse(f"/r/requests/{asked.id}", status_code=303)
