"""Reading without an account, over HTTP: the personal link (/r/{token}), the one-time code,
and the version read in the link's session (/r/records/...). Every route here stands alone:
no staff session reaches a record through them, and the link's cookie (path /r/) is never
sent to any other route, which treats its holder as not signed in.

Cross-site POSTs are refused and every answer carries the security headers, as everywhere
(app/web/security.py).
"""

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import audit
from app.auth.deps import PageUser
from app.config import get_settings
from app.deps import PostedForm, SessionDep
from app.followup.printed import printed_state
from app.followup.versions import snapshot
from app.links import service
from app.pdf import service as pdf_service
from app.records import service as records
from app.sending.link_models import RecipientLink
from app.templating import templates
from app.visibility import LinkReader, sight
from app.web import access
from app.web.pdf_routes import FAILED, TOO_BUSY, TOO_SLOW, safe_filename

router = APIRouter(include_in_schema=False)
COOKIE_PATH = "/r/"
NOT_VALID = "This link does not work. Check you copied the whole link from the email."
STATES = {
    "revoked": "This link has been revoked by children's social care. Ask them for the record "
               "if you still need it.",
    "expired": "This link has expired. Ask children's social care to send the record again if "
               "you still need it.",
    "withdrawn": "This record was sent to your organisation in error and has been withdrawn. "
                 "Please delete any copy you downloaded.",
}
CODE = re.compile(r"^\d{6}$")


def _link(session, token: str, request: Request) -> RecipientLink:
    link = service.find(session, token)
    if link is None:
        audit.refused(session, None, request, "unknown personal link")
        raise HTTPException(404, NOT_VALID)
    return link


def _page(request, session, link, token, *, sent=False, errors=None, typed="",
          throttled=False, status_code=200):
    state, asking = service.state(session, link), link.receipt_id is None
    return templates.TemplateResponse(request, "links/link.html", {
        "title": ("Error: " if errors else "") + ("Give information for a discussion" if asking
                                                  else "Open a record sent to you"),
        "asking": asking,
        "state": state, "closed": STATES.get(state), "token": token, "sent": sent,
        "address": service.masked(link.email), "errors": errors or {}, "typed": typed,
        "throttled": throttled, "minutes": get_settings().link_code_minutes},
        status_code=status_code if state == "open" else 410)


@router.get("/r/{token}", response_class=HTMLResponse)
def link_page(token: str, request: Request, session: SessionDep):
    """Shows nothing of the record and uses up nothing: a mail scanner may fetch it."""
    link = _link(session, token, request)
    audit.log(session, "link_opened", username=service.who(link), record_id=link.record_id,
              detail=f"{service.about(link)}: link page ({service.state(session, link)})",
              request=request)
    return _page(request, session, link, token)


@router.post("/r/{token}/code", response_class=HTMLResponse)
def ask_for_code(token: str, request: Request, session: SessionDep):
    link = _link(session, token, request)
    if service.state(session, link) != "open":
        return _page(request, session, link, token)
    if not service.request_code(session, link, request):
        return _page(request, session, link, token, throttled=True, status_code=429)
    return _page(request, session, link, token, sent=True)


@router.post("/r/{token}/session", response_class=HTMLResponse)
def enter_code(token: str, request: Request, session: SessionDep, form: PostedForm):
    link = _link(session, token, request)
    if service.state(session, link) != "open":
        return _page(request, session, link, token)
    typed = form.get("code") if isinstance(form.get("code"), str) else ""
    code = "".join(typed.split())
    if not CODE.match(code):
        return _page(request, session, link, token, sent=True, typed=typed[:20], status_code=422,
                     errors={"code": "Enter the 6-digit code from the email"})
    tried = service.try_code(session, link, code, request)
    if tried.outcome == "ok":
        response = RedirectResponse(service.landing(session, link), status_code=303)
        response.set_cookie(service.LINK_COOKIE, tried.session_token, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https",
                            max_age=get_settings().link_session_minutes * 60, path=COOKIE_PATH)
        return response
    message = {
        "wrong": f"The code is not right: {tried.tries_left} tries left",
        "used_up": "That code was tried too many times: ask for a new code",
        "expired": "That code has expired: ask for a new code",
        "none": "There is no code to check: ask for a code",
        "throttled": "Too many codes were tried: wait 15 minutes, then ask for a new code",
    }[tried.outcome]
    return _page(request, session, link, token, sent=tried.outcome == "wrong", typed=typed[:20],
                 errors={"code": message}, status_code=429 if tried.outcome == "throttled"
                 else 422)


def _reader(request: Request, session) -> LinkReader:
    reader = service.reader(session, request.cookies.get(service.LINK_COOKIE))
    if reader is None:
        audit.refused(session, None, request, "no personal link session")
        raise HTTPException(401, "Your session has ended. Open the link in your email again "
                                 "and ask for a new code.")
    return reader


@router.get("/r/records/{record_id}/versions/{version}", response_class=HTMLResponse)
def read_version(record_id: int, version: int, request: Request, session: SessionDep):
    reader = _reader(request, session)
    record = access.link_readable(session, reader, record_id, version, request)
    row = snapshot(session, record_id, version)
    later = row.superseded_by if row is not None else None
    readable = sight(session, reader, record_id)
    newest_theirs = max(readable.versions) if readable else version
    service.mark(session, reader, version, downloaded=False, request=request)
    return templates.TemplateResponse(request, "links/record.html", {
        "title": f"Strategy record {record.reference}", "record": record, "data": record.content,
        "results": records.completeness(record), "reader": reader, "superseded": later,
        "later": newest_theirs if newest_theirs > version else None})


@router.get("/r/records/{record_id}/versions/{version}/record.pdf")
def download_version(record_id: int, version: int, request: Request, session: SessionDep):
    reader = _reader(request, session)
    record = access.link_readable(session, reader, record_id, version, request)
    try:
        pdf = pdf_service.record_pdf(session, record, None, printed_state(session, record))
    except pdf_service.RenderTimeout:
        raise HTTPException(503, TOO_SLOW) from None
    except pdf_service.RenderBusy:
        raise HTTPException(503, TOO_BUSY) from None
    except pdf_service.RenderFailed:
        raise HTTPException(503, FAILED) from None
    service.mark(session, reader, version, downloaded=True, request=request)
    name = safe_filename(f"{record.reference}-v{record.version}") + ".pdf"
    return Response(pdf.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/r/sign-out")
def sign_out(request: Request, session: SessionDep):
    reader = service.reader(session, request.cookies.get(service.LINK_COOKIE))
    service.end_session(session, request.cookies.get(service.LINK_COOKIE))
    if reader is not None:
        audit.log(session, "link_signed_out", username=f"{reader.name} (personal link)",
                  record_id=reader.record_id, request=request)
    response = RedirectResponse("/r/signed-out", status_code=303)
    response.delete_cookie(service.LINK_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/r/signed-out", response_class=HTMLResponse)
def signed_out(request: Request):
    return templates.TemplateResponse(request, "error.html", {
        "title": "You have closed the record", "message": "To read it again, open the link in "
        "your email and ask for a new code."})


@router.post("/strategies/{record_id}/links/{link_id}/revoke")
def revoke(record_id: int, link_id: int, request: Request, session: SessionDep, user: PageUser):
    """A manager stops a recipient's personal link (and any session it opened)."""
    record = access.authorisable(session, user, record_id, request)
    if not 0 < link_id < 2**31 or not service.revoke(session, record.id, link_id, user, request):
        raise HTTPException(404, "No such link on this record, or it was already revoked")
    return RedirectResponse(f"/strategies/{record.id}#links", status_code=303)
