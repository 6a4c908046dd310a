"""Signing in and out, and reading the audit log."""

import math
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import literal
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app import metrics, visibility
from app.auth import audit, passwords, service
from app.auth.deps import SESSION_COOKIE, SignInRequired
from app.auth.models import User
from app.auth.roles import Role, can_list_records, can_read_audit, can_see_reports
from app.config import get_settings
from app.db import get_engine
from app.deps import PostedForm, SessionDep
from app.domain.sections import SECTIONS_BY_SLUG
from app.identity import oidc
from app.parsing import form_values, whole_number
from app.records.models import StrategyRecord
from app.templating import templates
from app.web.roles import AuditLogReader

router = APIRouter(include_in_schema=False)

WRONG = "Enter a correct username and password"
PASSWORDS_OFF = "Sign in with your council account: passwords are switched off here"
BUSY = "Too many people are signing in at this moment. Try again in a few seconds."
def throttled_message() -> str:
    minutes = get_settings().sign_in_window_minutes
    return (f"There have been too many failed attempts to sign in. Wait {minutes} minutes and try "
            "again, or ask an administrator to reset your password.")


def landing_page(user: User) -> str:
    """Where a person lands after signing in (and from the home page): a page their role may
    use. Records for those who see records; the live audit for the safeguarding partnership;
    the audit log for administrators, who see no records."""
    if can_list_records(user) and user.role != Role.ADMIN:
        return "/strategies"
    if can_see_reports(user):
        return "/reports/audit"
    if can_read_audit(user):
        return "/audit"
    return "/strategies"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an address elsewhere ("/": the person's landing page)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _sign_in_page(request, *, next_url="/", held="", username="", error=None,
                  status_code=200, notice=None):
    context = {"title": "Sign in", "next_url": next_url, "held": held, "username": username,
               "errors": {"username": error} if error else None, "notice": notice,
               "local_passwords": get_settings().local_passwords,
               "oidc_label": get_settings().oidc_button_label if oidc.enabled() else None}
    return templates.TemplateResponse(request, "sign_in.html", context, status_code=status_code)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None, held: str = "", expired: bool = False):
    notice = "Your session ended. Sign in again to carry on." if expired else None
    return _sign_in_page(request, next_url=safe_next(next), held=held[:100], notice=notice)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, form: PostedForm):
    # A plain def: Argon2 and the database run in a worker thread, never in the event loop.
    username = str(form.get("username") or "")[:200].replace("\x00", "")
    password = str(form.get("password") or "")[:1000]
    next_url = safe_next(str(form.get("next") or ""))
    held = str(form.get("held") or "")[:100]
    if not get_settings().local_passwords:
        return _sign_in_page(request, next_url=next_url, held=held, error=PASSWORDS_OFF,
                             status_code=403)
    try:
        user = service.authenticate(session, username, password, request=request)
    except service.Throttled:
        metrics.SIGN_IN_FAILURES.labels(method="password").inc()
        return _sign_in_page(request, next_url=next_url, held=held, username=username,
                             error=throttled_message(), status_code=429)
    except passwords.Busy:
        page = _sign_in_page(request, next_url=next_url, held=held, username=username,
                             error=BUSY, status_code=429)
        page.headers["Retry-After"] = str(max(1, math.ceil(get_settings().password_hash_wait_seconds)))
        return page
    if user is None:
        metrics.SIGN_IN_FAILURES.labels(method="password").inc()
        return _sign_in_page(request, next_url=next_url, held=held, username=username,
                             error=WRONG, status_code=401)
    service.end_session(session, request.cookies.get(SESSION_COOKIE))  # the browser's old one
    token = service.start_session(session, user)
    target = (landing_page(user) if next_url == "/" else next_url) + (
        f"?held={quote(held)}" if held else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=get_settings().session_max_hours * 3600, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep):
    user = service.user_for_session(session, request.cookies.get(SESSION_COOKIE))
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    if user:
        audit.log(session, "signed_out", user=user, request=request)
    # Someone who signed in at the identity provider signs out there too, if it allows.
    response = RedirectResponse(oidc.sign_out_url(user) or "/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, user: AuditLogReader, reference: str | None = None,
               record_id: str | None = None, action: str | None = None,
               username: str | None = None, before: str | None = None):
    action = action if action in audit.ACTIONS else None
    username = (username or "").replace("\x00", "").strip().lower()[:80]
    reference = (reference or "").replace("\x00", "").strip().upper()[:40]
    record_id = whole_number((record_id or "").strip())
    unknown_reference = False
    if reference:
        # A reference the reader may not see is, to them, no record at all.
        lookup = select(StrategyRecord.id).where(StrategyRecord.reference == reference)
        if visibility.audit_filter(user) is not None:
            lookup = lookup.where(visibility.record_filter(user))
        record_id = session.exec(lookup).first()
        unknown_reference = record_id is None
    rows = [] if unknown_reference else audit.events(
        session, record_id=record_id, action=action, username=username or None,
        before_id=whole_number((before or "").strip()), limit=audit.AUDIT_PAGE_SIZE + 1,
        where=visibility.audit_filter(user))
    shown = rows[:audit.AUDIT_PAGE_SIZE]
    filters = {"reference": reference, "action": action or "", "username": username}
    if record_id and not reference:
        filters["record_id"] = record_id
    context = {
        "title": "Audit log", "events": shown, "actions": audit.ACTIONS, "filters": filters,
        "records": _records_named(session, {e.record_id for e in shown if e.record_id},
                                  with_children=visibility.shows_children(user)),
        "people": _people_named(session, {e.user_id for e in shown if e.user_id}),
        "unknown_reference": unknown_reference,
        "older": (f"/audit?{urlencode({**{k: v for k, v in filters.items() if v}, 'before': shown[-1].id})}"
                  if len(rows) > audit.AUDIT_PAGE_SIZE else None),
    }
    return templates.TemplateResponse(request, "audit.html", context)


def _records_named(session: Session, ids: set[int], with_children: bool) -> dict[int, dict]:
    """Reference (and, for those who may see records, the children's names) for each record
    an event is about (read-model columns)."""
    if not ids:
        return {}
    query = select(StrategyRecord.id, StrategyRecord.reference,
                   (StrategyRecord.children_names if with_children
                    else literal(None)).label("children_names"))
    return {row.id: row for row in session.exec(query.where(col(StrategyRecord.id).in_(ids)))}


def _people_named(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(User.id, User.display_name).where(col(User.id).in_(ids))
    return dict(session.exec(query).all())


async def sign_in_required(request: Request, exc: SignInRequired):
    """Send the person to sign in; a form they posted after their session expired is held for
    them (and only them), not lost."""
    path = request.url.path
    if request.method == "GET":
        return RedirectResponse(f"/sign-in?next={quote(path + _query(request))}", status_code=303)
    parts = path.split("/")
    record_page = "/".join(parts[:3]) if len(parts) > 2 and parts[1] == "strategies" else "/strategies"
    target, held = record_page, ""
    if len(parts) == 5 and parts[3] == "sections" and parts[4] in SECTIONS_BY_SLUG:
        target = path
        values = form_values(list((await request.form()).multi_items()))
        held = await run_in_threadpool(_hold, request.cookies.get(SESSION_COOKIE), path, values)
    query = f"next={quote(target)}&expired=1" + (f"&held={held}" if held else "")
    return RedirectResponse(f"/sign-in?{query}", status_code=303)


def _hold(cookie: str | None, path: str, values: dict) -> str:
    with Session(get_engine()) as session:
        owner = service.owner_of_expired_session(session, cookie)
        if owner is None:
            return ""
        return service.hold_form(session, owner, path, values) or ""


def _query(request: Request) -> str:
    return f"?{urlsplit(str(request.url)).query}" if request.url.query else ""
