"""Who is asking: from the session cookie (pages) or a bearer token (the JSON API)."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.auth import audit, service
from app.auth.models import User
from app.deps import SessionDep

SESSION_COOKIE = "sr_session"


class SignInRequired(Exception):
    """A page was asked for without a valid session; the handler sends the person to sign in."""


def bearer_token(request: Request) -> str | None:
    """The token of an 'Authorization: Bearer' header; "" for a Bearer header with none."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _user(request: Request, session) -> User | None:
    secret = bearer_token(request)
    if secret is not None:
        # A request that names a token is judged by it alone, never by a cookie as well.
        user = service.user_for_token(session, secret)
        if user is None:
            audit.log(session, "refused", detail="invalid or revoked API token", request=request)
            raise HTTPException(401, "The API token is not valid or has been revoked",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    return service.user_for_session(session, request.cookies.get(SESSION_COOKIE))


def page_user(request: Request, session: SessionDep) -> User:
    user = _user(request, session)
    if user is None:
        raise SignInRequired()
    request.state.user = user
    return user


def api_user(request: Request, session: SessionDep) -> User:
    user = _user(request, session)
    if user is None:
        raise HTTPException(401, "Sign in, or send an API token as 'Authorization: Bearer …'",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
