"""Web security for every response: headers, and refusing cross-site state changes (CSRF).

Cross-site requests are recognised by the browser's own Sec-Fetch-Site and Origin headers,
which works the same for htmx and for plain forms with JavaScript off. A request with a
bearer token carries no ambient credential, so it needs no such check.
"""

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.asgi import HttpMiddleware
from app.auth.deps import bearer_token
from app.templating import templates
from app.web import refusals

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def is_cross_site(request: Request) -> bool:
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.url.netloc}"
        return origin != own
    # No browser sends a cross-site POST with neither header; other clients hold no cookie of ours.
    return False


class SecurityMiddleware(HttpMiddleware):
    """Outermost of our middleware (pure ASGI: nothing is buffered, nothing blocks the loop)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(scope["path"], MutableHeaders(scope=message))
            await send(message)

        if is_cross_site(request):
            await run_in_threadpool(_log_cross_site, request)
            response = await run_in_threadpool(_refusal, request)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _log_cross_site(request: Request) -> None:
    refusals.log_at_the_edge(request, "sent from another site")


def add_security_headers(request: Request, response: Response) -> None:
    _add_headers(request.url.path, response.headers)


def _add_headers(path: str, headers: MutableHeaders) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if not path.startswith("/static/"):
        # Pages and PDFs about children are never kept by any cache, the browser's included
        # (a shared machine must not show them again after sign-out): set here, for every
        # answer, whatever a route said.
        headers["Cache-Control"] = "no-store"


def _refusal(request: Request) -> Response:
    message = "This request came from another site, so it was refused. Nothing was changed."
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": message}, status_code=403)
    return templates.TemplateResponse(request, "error.html",
                                      {"title": "That request was refused", "message": message},
                                      status_code=403)
