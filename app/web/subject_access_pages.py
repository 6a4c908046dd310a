"""Subject access (managers): find a person across every record and version the manager may
see, mark passages to redact, and download the bundle (app/web/subject_access_bundle.py).

Plain `def` routes: FastAPI runs them in its threadpool, so the searches and the renders
never block the event loop. The name travels in the query string and the posted form only,
and the audit log records that a search or an export happened and which records went out,
never the name searched for (administrators read the log and must not see who is asked about).
"""

import logging
import unicodedata

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import audit
from app.deps import PostedForm, SessionDep
from app.pdf import service as pdf_service
from app.subject_access import search
from app.templating import templates
from app.web import subject_access_bundle as bundle
from app.web.pdf_routes import TOO_BUSY
from app.web.roles import SubjectAccessOfficer

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
NAME_MIN, NAME_MAX = 2, 100
TOO_SLOW = "The bundle took too long to print. Try again in a minute, or narrow the search."


def _name_problem(name: str) -> str | None:
    if not name:
        return "Enter the name of the person, as records would name them"
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "The name can only have letters, spaces and punctuation"
    if len(name) < NAME_MIN:
        return f"Enter at least {NAME_MIN} characters of the name"
    if len(name) > NAME_MAX:
        return f"The name must be {NAME_MAX} characters or fewer"
    return None


def _name(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _page(request, name: str, found=None, error: str | None = None, marked=(), status=200):
    return templates.TemplateResponse(request, "subject_access/search.html", {
        "title": "Subject access", "name": name, "found": found, "marked": set(marked),
        "errors": {"name": error} if error else {}, "max_records": search.MAX_RECORDS},
        status_code=status)


@router.get("/subject-access", response_class=HTMLResponse)
def subject_access_page(request: Request, session: SessionDep, user: SubjectAccessOfficer, name: str = ""):
    typed = name
    if "name" not in request.query_params:
        return _page(request, "")
    name = _name(typed)
    problem = _name_problem(name)
    if problem:
        return _page(request, typed, error=problem, status=422)
    found = search.search(session, user, name)
    audit.log(session, "subject_access_searched", user=user, request=request,
              detail=f"{found.record_count} record(s), {len(found.hits)} passage(s)")
    return _page(request, name, found)


@router.post("/subject-access/bundle")
def subject_access_bundle(request: Request, session: SessionDep, user: SubjectAccessOfficer,
                          form: PostedForm):
    typed = form.get("name")
    name = _name(typed)
    problem = _name_problem(name)
    if problem:
        return _page(request, typed if isinstance(typed, str) else "", error=problem,
                     status=422)
    found = search.search(session, user, name)
    known = {hit.id for hit in found.hits}
    redact = {value for value in form.getlist("redact") if value in known}  # forged: ignored
    if not found.hits or found.too_many:
        why = ("Nothing to export: no record names them" if not found.hits else
               f"More than {search.MAX_RECORDS} records name them: narrow the search")
        return _page(request, name, found, error=why, marked=redact, status=422)
    try:
        content = bundle.build(session, user, request, name, found, redact)
    except pdf_service.RenderTimeout:
        raise HTTPException(503, TOO_SLOW) from None
    except pdf_service.RenderBusy:
        raise HTTPException(503, TOO_BUSY) from None
    except pdf_service.RenderFailed as failure:
        log.error("Printing a subject access bundle failed: %s", failure)
        raise HTTPException(503, TOO_SLOW) from None
    for record_id in dict.fromkeys(hit.record_id for hit in found.hits):
        marked = sum(1 for hit in found.hits if hit.record_id == record_id and hit.id in redact)
        audit.log(session, "subject_access_exported", user=user, record_id=record_id,
                  request=request, detail=f"in a subject access bundle, {marked} passage(s) "
                  "redacted")
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": 'attachment; filename="subject-access-bundle.zip"',
        "X-Content-Type-Options": "nosniff"})
