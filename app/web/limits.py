"""The edge: what every request must pass before any route parses it.

- A body larger than MAX_BODY_BYTES is refused with 413: at once on its Content-Length, or as
  soon as a streamed (chunked) body passes the limit. Nothing larger is ever held in memory.
- An API request with neither a bearer token nor a session cookie is refused with 401 before
  its body is read.
- Text the database cannot store is refused with 400, here and only here: a NUL anywhere in
  the path, query or posted form, and a NUL or lone surrogate (`"\\ud800"`) in any string of a
  JSON body. PostgreSQL refuses both, and a lone surrogate cannot even be encoded to save it.
"""

import json
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.asgi import HttpMiddleware
from app.auth.deps import SESSION_COOKIE
from app.config import get_settings
from app.web import errors, refusals

UNSTORABLE = ("The request contained characters that cannot be stored (a NUL character or an "
              "unpaired surrogate). Remove them and try again. Nothing was saved.")
NEEDS_CREDENTIALS = "Sign in, or send an API token as 'Authorization: Bearer …'"
# Bodies larger than this are checked in a worker thread rather than in the event loop.
CHECK_INLINE_BYTES = 16 * 1024


class TooLarge(Exception):
    pass


class EdgeMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        headers = Headers(scope=scope)
        if not storable_text(scope["path"]) or _nul_in_encoded(scope["query_string"]):
            await self._refuse_unstorable(request, send)
            return
        if _is_api(scope["path"]) and not _has_credentials(headers):
            answer = JSONResponse({"detail": NEEDS_CREDENTIALS}, status_code=401,
                                  headers={"WWW-Authenticate": "Bearer"})
            await answer(scope, receive, send)
            return
        limit = get_settings().max_body_bytes
        if not _has_body(headers):
            await self.app(scope, receive, send)
            return
        try:
            declared = int(headers.get("content-length", "0"))
        except ValueError:
            await self._answer(request, send, 400, "The Content-Length header is not a number.")
            return
        try:
            if declared > limit:
                raise TooLarge
            body = await _read_body(receive, limit)
        except TooLarge:
            await self._answer(request, send, 413, _too_large_message(limit))
            return
        check = _body_is_storable
        storable = (check(headers, body) if len(body) <= CHECK_INLINE_BYTES
                    else await run_in_threadpool(check, headers, body))
        if not storable:
            await self._refuse_unstorable(request, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse_unstorable(self, request: Request, send: Send) -> None:
        await run_in_threadpool(_log_unstorable, request)
        await self._answer(request, send, 400, UNSTORABLE)

    async def _answer(self, request: Request, send: Send, status: int, message: str) -> None:
        response: Response = await run_in_threadpool(errors.answer, request, status, message)
        # The body may be partly unread: tell the client this connection is finished.
        if status == 413:
            response.headers["Connection"] = "close"
        await response(request.scope, request.receive, send)


def _too_large_message(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"The request was larger than the {size} this service accepts. Nothing was saved."


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _has_credentials(headers: Headers) -> bool:
    """A bearer header with a token, or our session cookie: worth reading the body for (the
    route's own check decides whether they are valid)."""
    scheme, _, secret = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return True
    return bool(cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE))


def _has_body(headers: Headers) -> bool:
    return "transfer-encoding" in headers or headers.get("content-length", "0") not in ("", "0")


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # waits for the client to disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _nul_in_encoded(data: bytes) -> bool:
    return b"\x00" in data or b"\x00" in unquote_to_bytes(data)


def _body_is_storable(headers: Headers, body: bytes) -> bool:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return not _nul_in_encoded(body)
    if content_type == "multipart/form-data":
        return b"\x00" not in body  # the service takes no file uploads, only text fields
    try:
        document = json.loads(body)
    except ValueError:
        return True  # not JSON: the route refuses it with its own 422
    return _json_is_storable(document)


def _json_is_storable(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not storable_text(item):
                return False
        elif isinstance(item, dict):
            for key, child in item.items():
                if not storable_text(key):
                    return False
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _log_unstorable(request: Request) -> None:
    refusals.log_at_the_edge(request, "text that cannot be stored")
