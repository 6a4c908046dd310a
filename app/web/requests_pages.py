"""HTML pages for requests: ask for a strategy discussion, see the outcome, triage. Plain
POST forms throughout (JavaScript off works the same); a refused form is shown again with
everything typed and a GOV.UK error summary."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from app.auth import audit
from app.auth.deps import PageUser
from app.auth.roles import Role, can_triage
from app.deps import PostedValues, SessionDep
from app.parsing import FormValues, whole_number
from app.records.form_errors import inner_model, plain_message
from app.records.forms import nested, rows, typed_text, with_rows
from app.requests import listing, service
from app.requests.models import DeclineData, RequestData
from app.templating import FormView, templates
from app.web.roles import Requester, RequestsReader

router = APIRouter(include_in_schema=False)


def _title(model: type[BaseModel], loc: tuple) -> str:
    """The label people read for a field path of a request form."""
    title = "This field"
    for part in loc:
        if isinstance(part, int) or whole_number(str(part)) is not None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            break
        title = fields[part].title or str(part)
        model = inner_model(fields[part].annotation)
    return title


class RequestFormView(FormView):
    def __init__(self, values: FormValues, errors: dict[str, str] | None = None,
                 model: type[BaseModel] = RequestData):
        super().__init__(values, errors)
        self.model = model

    def title(self, key: str) -> str:
        return _title(self.model, tuple(key.split("-")))


def _errors(error: ValidationError, model: type[BaseModel]) -> dict[str, str]:
    messages: dict[str, str] = {}
    for detail in error.errors():
        loc = tuple(p for p in detail["loc"] if not (isinstance(p, str) and "[" in p))
        key = "-".join(str(p) for p in loc)
        title = _title(model, loc)
        if loc == ("children",) and detail["type"] in ("too_short", "missing"):
            message = "Add the child or children the request is about"
        elif detail["type"] == "missing" or detail.get("input") is None:
            choose = detail["type"] in ("enum", "missing") and loc[-1:] in (("referral_form",), ("agency",))
            message = f"{'Select' if choose else 'Enter'} {title[0].lower()}{title[1:]}"
        else:
            message = plain_message(detail, title)
        if key == "children":
            key = "children-0-name"
        messages.setdefault(key, message)
    return messages


def parse(values: FormValues, model: type[BaseModel]) -> tuple[Any, dict[str, str]]:
    raw = {name: nested(values, name) for name in model.model_fields}
    raw = {name: value for name, value in raw.items() if value is not None}
    if "children" in raw:
        children = raw["children"] if isinstance(raw["children"], list) else [raw["children"]]
        raw["children"] = [c for c in children if isinstance(c, dict)
                           and any(v not in (None, "", []) for v in c.values())]
    try:
        return model.model_validate(typed_text(model, raw)), {}
    except ValidationError as error:
        return None, _errors(error, model)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, session: SessionDep, user: RequestsReader):
    triage = can_triage(user)
    context = {
        "title": "Requests for a strategy discussion" if triage else "Your requests",
        "triage": triage, "is_overdue": service.is_overdue, "triage_due": service.triage_due,
        "waiting_count": service.waiting_counts(session, user)[0],
    }
    name, after, before = (request.query_params.get(k) or None
                           for k in ("list", "after", "before"))
    try:
        if (after or before) and name not in listing.lists_for(user):
            raise ValueError("Not a list this person sees")
        pages = listing.first_pages(session, user, name, after, before)
    except ValueError:
        errors = {"list": "Use the Next and Previous links to move through the requests"}
        return templates.TemplateResponse(request, "requests/list.html",
                                          context | {"pages": None, "errors": errors},
                                          status_code=422)
    audit.log(session, "viewed", user=user, detail="requests", request=request)
    return templates.TemplateResponse(request, "requests/list.html",
                                      context | {"pages": pages, "errors": None})


def _new_page(request, user, values: FormValues, errors=None, status_code=200):
    context = {"title": "Request a strategy discussion", "f": RequestFormView(values, errors),
               "errors": errors, "on_behalf": user.role != Role.PARTNER}
    return templates.TemplateResponse(request, "requests/new.html", context,
                                      status_code=status_code)


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_page(request: Request, user: Requester):
    return _new_page(request, user, {"children-0-name": ""})


@router.post("/requests", response_class=HTMLResponse)
def submit_request(values: PostedValues, request: Request, session: SessionDep, user: Requester):
    values = dict(values)
    action = str(values.pop("row-action", "save"))
    if action != "save":
        children = rows(values, "children")
        if action == "add":
            children.append({"name": ""})
        elif action.startswith("remove-") and (index := whole_number(action[7:])) is not None:
            if index < len(children):
                del children[index]
        return _new_page(request, user, with_rows(values, "children", children))
    data, errors = parse(values, RequestData)
    if data is not None:
        try:
            req = service.submit(session, user, data)
        except service.WrongAgency as wrong:
            errors = {"agency": str(wrong)}
    if errors:
        return _new_page(request, user, values, errors, status_code=422)
    audit.log(session, "created", user=user, detail=f"request {req.id}", request=request)
    return _see_other(f"/requests/{req.id}")


def _detail_page(request, session, user, req, *, values=None, errors=None, status_code=200,
                 notice=None):
    context = {
        "title": "Request for a strategy discussion", "req": req, "data": req.content,
        "triage": can_triage(user) and req.is_awaiting,
        "overdue": service.is_overdue(req), "due": service.triage_due(req),
        "f": RequestFormView(values or {}, errors, DeclineData), "errors": errors,
        "notice": notice, "record_link": req.record_id if can_triage(user) else None,
    }
    return templates.TemplateResponse(request, "requests/detail.html", context,
                                      status_code=status_code)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: int, session: SessionDep, user: PageUser):
    req = service.viewable(session, user, request_id, request)
    audit.log(session, "viewed", user=user, detail=f"request {req.id}", request=request)
    return _detail_page(request, session, user, req)


ALREADY = "This request has already been convened or declined: see its outcome below."


@router.post("/requests/{request_id}/convene", response_class=HTMLResponse)
def convene(values: PostedValues, request: Request, request_id: int, session: SessionDep,
            user: PageUser):
    req = service.triageable(session, user, request_id, request)
    try:
        record = service.convene(session, user, req)
    except service.AlreadyTriaged:
        session.refresh(req)
        return _detail_page(request, session, user, req, notice=ALREADY, status_code=409)
    audit.log(session, "created", user=user, record_id=record.id,
              detail=f"convened from request {req.id}", request=request)
    return _see_other(f"/strategies/{record.id}")


@router.post("/requests/{request_id}/decline", response_class=HTMLResponse)
def decline(values: PostedValues, request: Request, request_id: int, session: SessionDep,
            user: PageUser):
    req = service.triageable(session, user, request_id, request)
    answer, errors = parse(dict(values), DeclineData)
    if errors:
        return _detail_page(request, session, user, req, values=dict(values), errors=errors,
                            status_code=422)
    try:
        service.decline(session, user, req, answer)
    except service.AlreadyTriaged:
        session.refresh(req)
        return _detail_page(request, session, user, req, notice=ALREADY, status_code=409)
    audit.log(session, "edited", user=user, detail=f"request {req.id} declined", request=request)
    return _see_other(f"/requests/{req.id}")
