"""Answers any page may give: a redirect after a POST, and whether htmx asked."""

from fastapi import Request
from fastapi.responses import RedirectResponse


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
