"""Every refusal is logged once, with the user, the route and why.

Routes that refuse for a reason of their own log it themselves (`audit.refused`, which marks
the request). Anything else that answers 403, 409, 422 or 428 (a workflow refusal, a stale
write, a missing revision, a refused body), or a 404 a route raised on purpose, is logged here
after the answer is sent, with the reason the route gave. Unknown addresses are not refusals.
"""

from sqlalchemy import inspect
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from app.asgi import HttpMiddleware
from app.auth import audit
from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE, bearer_token
from app.auth.models import User
from app.db import get_engine

ALWAYS = frozenset({403, 409, 422, 428})
REASONS = {403: "not allowed", 404: "not found", 409: "conflict with the record's state",
           422: "refused as invalid", 428: "no revision sent"}


def asker(session: Session, request: Request) -> User | None:
    """Who sent a request refused before any route read its credentials (at the edge): by its
    API token or session cookie, never refusing anything itself."""
    try:
        secret = bearer_token(request)
        if secret:
            return auth_service.user_for_token(session, secret)
        return auth_service.user_for_session(session, request.cookies.get(SESSION_COOKIE))
    except (ValueError, UnicodeError):  # credentials as mangled as the rest of the request
        return None


def log_at_the_edge(request: Request, why: str) -> None:
    """A refusal at the edge (cross-site, text that cannot be stored), with who asked."""
    with Session(get_engine()) as session:
        audit.refused(session, asker(session, request), request, why)


def note(request: Request, why: str) -> None:
    """Why this request is being refused, for the log line written after the answer."""
    if not getattr(request.state, "refusal_why", None):
        request.state.refusal_why = why


class RefusalLog(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        request = Request(scope)
        state = request.state
        why = getattr(state, "refusal_why", None)
        if getattr(state, "refusal_logged", False):
            return
        if status in ALWAYS or (why and 400 <= status < 500):
            await run_in_threadpool(_log, request, status, why)


def _log(request: Request, status: int, why: str | None) -> None:
    with Session(get_engine()) as session:
        # The route's session has closed: read the person again in this one.
        asked = getattr(request.state, "user", None)
        user_id = inspect(asked).identity[0] if asked is not None and inspect(asked).identity else None
        user = session.get(User, user_id) if user_id is not None else None
        audit.refused(session, user, request, f"{status} {why or REASONS.get(status, 'refused')}")
