"""Error answers: JSON for the API, a readable page for people. Never a bare 500 trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.security import add_security_headers
from app.templating import templates

log = logging.getLogger(__name__)

TITLES = {
    404: "Page not found",
    405: "That cannot be done here",
    409: "This record has changed",
    413: "That was too large to send",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/healthz"


def _page(request: Request, status: int, message: str) -> HTMLResponse:
    title = TITLES.get(status, "Sorry, there is a problem with the service")
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if _wants_json(request):
            return await http_exception_handler(request, exc)
        message = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404:
            message = "If you typed the web address, check it is correct."
        return _page(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        # A page address with a malformed id is simply a page that does not exist.
        return _page(request, 404, "If you typed the web address, check it is correct.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            response = JSONResponse({"detail": "Internal error"}, status_code=500)
        else:
            response = _page(request, 500, "Try again later. Nothing you saved before this was lost.")
        # This handler runs outside the middleware that adds the headers elsewhere.
        add_security_headers(request, response)
        return response
