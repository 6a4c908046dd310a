"""Error answers: JSON for the API, a readable page for people. Never a bare 500 trace.

The handlers are plain functions (Starlette runs them in a worker thread): rendering a page is
blocking work that must stay out of the event loop.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app.asgi import HttpMiddleware
from app.templating import templates
from app.web import refusals
from app.web.security import add_security_headers

log = logging.getLogger(__name__)

TITLES = {
    400: "That could not be read",
    404: "Page not found",
    405: "That cannot be done here",
    409: "This record has changed",
    413: "That was too large to send",
    503: "The service is unavailable",
}
UNAVAILABLE = "Nothing you saved has been lost. Try again in a few minutes."
# How much of a refused value a 422 answer repeats: enough to recognise it, never the payload.
INPUT_EXCERPT_CHARS = 100


def wants_json(path: str) -> bool:
    return path.startswith("/api") or path == "/healthz"


def page(request: Request, status: int, message: str, title: str | None = None) -> HTMLResponse:
    title = title or TITLES.get(status, "Sorry, there is a problem with the service")
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status
    )


def answer(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    """The error as JSON `{"detail": message}` for the API, or as the error page."""
    if wants_json(request.url.path):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = page(request, status, message)
    response.headers.update(headers or {})
    return response


def unavailable(request: Request) -> Response:
    if wants_json(request.url.path):
        return JSONResponse({"detail": f"The service is unavailable. {UNAVAILABLE}"},
                            status_code=503, headers={"Retry-After": "60"})
    response = page(request, 503, UNAVAILABLE)
    response.headers["Retry-After"] = "60"
    return response


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each problem's field and message, with at most a short excerpt of what was sent."""
    problems = []
    for error in exc.errors():
        problem = {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""),
                   "type": error.get("type", "")}
        value = error.get("input")
        if isinstance(value, str):
            problem["input"] = value if len(value) <= INPUT_EXCERPT_CHARS else (
                value[:INPUT_EXCERPT_CHARS] + "…")
        elif isinstance(value, bool | int | float) or value is None:
            problem["input"] = value
        # A list or object is never repeated back: it may be the whole request body.
        problems.append(problem)
    return problems


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        # Starlette's own answers (an unknown address) carry just the status phrase: not refusals.
        if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase:
            refusals.note(request, exc.detail)
        if wants_json(request.url.path):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        message = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404:
            message = "If you typed the web address, check it is correct."
        response = page(request, exc.status_code, message)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError):
        refusals.note(request, "invalid: " + ", ".join(
            ".".join(str(part) for part in e.get("loc", ())) for e in exc.errors()[:5]))
        if wants_json(request.url.path):
            return JSONResponse({"detail": validation_errors(exc)}, status_code=422)
        # A page address with a malformed id is simply a page that does not exist.
        return page(request, 404, "If you typed the web address, check it is correct.")

    # The database is down, hung (a connect or statement timeout) or every connection is busy.
    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    def _database_unavailable(request: Request, exc: Exception):
        log.error("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return unavailable(request)

    # Only for an error in our own middleware, outside CatchErrors: Starlette answers with this
    # and then closes the connection.
    @app.exception_handler(Exception)
    def _last_resort(request: Request, exc: Exception):
        log.error("Unhandled error in middleware on %s %s", request.method, request.url.path)
        response = _server_error(request)
        add_security_headers(request, response)
        return response

    app.add_middleware(CatchErrors)


def _server_error(request: Request) -> Response:
    if wants_json(request.url.path):
        return JSONResponse({"detail": "Internal error"}, status_code=500)
    return page(request, 500, "Try again later. Nothing you saved before this was lost.")


class CatchErrors(HttpMiddleware):
    """Answers an unexpected error with the 500 page (or JSON) and keeps the connection open.

    Starlette's outermost ServerErrorMiddleware sends its 500 and then re-raises, which makes
    the server drop the connection, so the browser's next request on it fails too. Installed
    inside our other middleware, so the answer still carries the security headers.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            if started:
                raise  # part of the answer is sent: nothing sensible can follow it
            request = Request(scope)
            log.exception("Unhandled error on %s %s", request.method, request.url.path)
            response = await run_in_threadpool(_server_error, request)
            await response(scope, receive, send)
