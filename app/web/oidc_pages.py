"""The routes of signing in at the council's identity provider (app/auth/oidc.py)."""

import logging
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app import metrics
from app.auth import audit, service
from app.auth.deps import SESSION_COOKIE
from app.config import get_settings
from app.deps import SessionDep
from app.identity import oidc
from app.templating import templates
from app.web.auth_pages import landing_page, safe_next

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

STATE_COOKIE = "sr_oidc_state"
UNAVAILABLE = ("The council's sign-in service did not answer. Try again in a minute; if it goes on, "
               "tell the service desk.")


def _refused_page(request: Request, title: str, message: str, status_code: int):
    return templates.TemplateResponse(request, "sign_in_refused.html",
                                      {"title": title, "message": message}, status_code=status_code)


@router.get("/sign-in/oidc")
def start(request: Request, session: SessionDep, next: str | None = None, held: str = ""):
    if not oidc.enabled():
        raise HTTPException(404, "Signing in with a council account is not set up")
    target = safe_next(next)
    held = held[:100]
    if held:
        target = f"{target}{'&' if '?' in target else '?'}held={quote(held)}"
    try:
        url, state = oidc.begin(session, target)
    except oidc.Unavailable as error:
        log.error("Identity provider unavailable: %s", error)
        return _refused_page(request, "Sign-in is not available", UNAVAILABLE, 503)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(STATE_COOKIE, state, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path=oidc.CALLBACK_PATH,
                        max_age=int(oidc.SIGN_IN_LIFETIME.total_seconds()))
    return response


@router.get(oidc.CALLBACK_PATH, response_class=HTMLResponse)
def callback(request: Request, session: SessionDep, code: str | None = None,
             state: str | None = None, error: str | None = None):
    if not oidc.enabled():
        raise HTTPException(404, "Signing in with a council account is not set up")
    try:
        user, next_url = oidc.finish(session, state=state, cookie_state=request.cookies.get(STATE_COOKIE),
                                     code=code, error=error)
    except oidc.Unavailable as failure:
        log.error("Identity provider unavailable: %s", failure)
        return _refused_page(request, "Sign-in is not available", UNAVAILABLE, 503)
    except oidc.Refused as refusal:
        audit.log(session, "sign_in_failed", detail=f"identity provider: {refusal.reason}",
                  request=request)
        request.state.refusal_logged = True
        metrics.SIGN_IN_FAILURES.labels(method="oidc").inc()
        page = _refused_page(request, "You could not be signed in", refusal.message, refusal.status_code)
        page.delete_cookie(STATE_COOKIE, path=oidc.CALLBACK_PATH)
        return page
    audit.log(session, "signed_in", user=user, detail="at the identity provider", request=request)
    service.end_session(session, request.cookies.get(SESSION_COOKIE))  # the browser's old one
    token = service.start_session(session, user)
    target = landing_page(user) if next_url == "/" else next_url
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(STATE_COOKIE, path=oidc.CALLBACK_PATH)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=get_settings().session_max_hours * 3600, path="/")
    return response


@router.get(oidc.SIGNED_OUT_PATH, response_class=HTMLResponse)
def signed_out(request: Request):
    """Signed out here; on to the provider to end the session there too."""
    end_session = oidc.end_session_url()
    if end_session is None:
        return RedirectResponse("/sign-in", status_code=303)
    return templates.TemplateResponse(request, "signed_out_at_provider.html",
                                      {"title": "Signing you out", "end_session": end_session})
