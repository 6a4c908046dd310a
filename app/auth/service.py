"""Signing in and out, sessions, API tokens, throttling, and forms held over a sign-in."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, select

from app.auth import audit, passwords, throttle
from app.auth.models import ApiToken, HeldForm, User, UserSession
from app.clock import as_utc, utc_now
from app.config import get_settings


class Throttled(Exception):
    """Too many failed sign-ins for this account or address."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return utc_now()


# --- users -------------------------------------------------------------------------------


def get_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def set_email(session: Session, user: User, email: str | None) -> None:
    """Where the user is told of records sent to their agency; blank clears it. ValueError if
    it is not an email address."""
    from email_validator import EmailNotValidError, validate_email

    email = (email or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValueError(f"{email!r} is not an email address: {error}") from None
    user.email = email
    session.add(user)
    session.commit()
    session.refresh(user)
    audit.log(session, "user_email_set", username=user.username,
              detail="email cleared" if email is None else "email set")


def reset_password(session: Session, user: User, password: str) -> None:
    problem = passwords.password_problem(password)
    if problem:
        raise ValueError(problem)
    user.password_hash = passwords.hash_password(password)
    session.add(user)
    # A new password ends every session the old one opened.
    for open_session in session.exec(select(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None))):
        open_session.revoked_at = _now()
        session.add(open_session)
    session.commit()
    audit.log(session, "password_reset", user=user)


# --- signing in ------------------------------------------------------------------------


def authenticate(session: Session, username: str, password: str, *, request=None) -> User | None:
    """The user if the password is right; None otherwise. Raises Throttled after too many
    failures, and passwords.Busy when no password check is free in time."""
    # One normal form for the throttle, the lookup and the log: no padded variant escapes.
    name = username.replace("\x00", "").strip().lower()
    if len(name) > 80:
        name = name[:79] + "…"  # no user has such a name; it still counts against the address
    ip = audit.client_ip(request)
    # Counted before it is checked, so concurrent attempts cannot all pass the check.
    attempt = throttle.begin(session, name, ip)
    if throttle.over_limit(session, name, ip):
        throttle.finish(session, attempt, "throttled")
        audit.log(session, "sign_in_throttled", username=name, request=request)
        raise Throttled(name)
    user = get_user(session, name) if len(name) <= 80 else None
    # Someone who signs in at the identity provider has no password here.
    password_hash = user.password_hash if user and not user.oidc_subject else None
    session.commit()  # no transaction held open while waiting for a turn to hash
    try:
        ok = passwords.verify(password, password_hash)
    except passwords.Busy:
        throttle.finish(session, attempt, "busy")
        audit.log(session, "sign_in_throttled", username=name, detail="password checks busy",
                  request=request)
        raise
    if not ok or user is None or not user.is_active:
        throttle.finish(session, attempt, "failed")
        audit.log(session, "sign_in_failed", username=name, request=request)
        return None
    throttle.finish(session, attempt, "ok")
    audit.log(session, "signed_in", user=user, request=request)
    return user


def start_session(session: Session, user: User) -> str:
    """A new random session id (never reused from before sign-in); returns the cookie value."""
    token = secrets.token_urlsafe(32)
    now = _now()
    _prune_sessions(session, user, now)
    session.add(UserSession(token_hash=_hash(token), user_id=user.id, created_at=now,
                            last_seen_at=now,
                            expires_at=now + timedelta(hours=get_settings().session_max_hours)))
    session.commit()
    return token


# Ended sessions are kept this long (a form posted just after expiry may still be held for its
# owner, see hold_form), then deleted when their user next signs in.
ENDED_SESSIONS_KEPT = timedelta(days=1)


def _prune_sessions(session: Session, user: User, now: datetime) -> None:
    cutoff = now - ENDED_SESSIONS_KEPT
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff,
            UserSession.last_seen_at < cutoff - timedelta(minutes=get_settings().session_idle_minutes))))


def user_for_session(session: Session, token: str | None) -> User | None:
    if not token or len(token) > 100:
        return None
    # One query for the session and its user: this runs on every request.
    found = session.exec(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None:
        return None
    now = _now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= as_utc(row.expires_at) or now - as_utc(row.last_seen_at) >= idle:
        return None
    if not user.is_active:
        return None
    if now - as_utc(row.last_seen_at) > timedelta(minutes=1):  # spare a write per request
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return user


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(select(UserSession).where(UserSession.token_hash == _hash(token))).first()
    if row and row.revoked_at is None:
        row.revoked_at = _now()
        session.add(row)
        session.commit()


# --- API tokens --------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the secret is returned once and only its hash is kept."""
    secret = "sr_" + secrets.token_urlsafe(32)
    token = ApiToken(token_hash=_hash(secret), user_id=user.id, name=name, created_at=_now())
    session.add(token)
    session.commit()
    session.refresh(token)
    audit.log(session, "token_created", user=user, detail=f"token {token.id}: {name}")
    return token, secret


def revoke_token(session: Session, token_id: int) -> ApiToken | None:
    token = session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = _now()
        session.add(token)
        session.commit()
        audit.log(session, "token_revoked", user=session.get(User, token.user_id),
                  detail=f"token {token.id}")
    return token


def user_for_token(session: Session, secret: str) -> User | None:
    if len(secret) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = _now()
    if token.last_used_at is None or now - as_utc(token.last_used_at) > timedelta(minutes=1):
        token.last_used_at = now  # shows an administrator which tokens are still in use
        session.add(token)
        session.commit()
    return user


# --- forms posted after the session expired ------------------------------------------------

HELD_FORM_MAX_CHARS = 256_000
HELD_FORMS_PER_USER = 20


def owner_of_expired_session(session: Session, token: str | None) -> User | None:
    """Whose session this cookie was, if it ended only because time ran out (its absolute or
    idle limit). A session that was signed out, ended by a password reset or replaced at the
    next sign-in holds nothing: whoever still has that cookie is not its owner at work."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = _now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now < as_utc(row.expires_at) and now - as_utc(row.last_seen_at) < idle:
        return None  # still live: nothing to hold (the user is inactive, or it is not expired)
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def hold_form(session: Session, user: User, path: str, values: dict) -> str | None:
    """Keep a form for its author until they sign in again; None if it is too large to keep."""
    if sum(len(str(k)) + len(str(v)) for k, v in values.items()) > HELD_FORM_MAX_CHARS:
        return None
    stale = _now() - timedelta(days=1)
    for row in session.exec(select(HeldForm).where(HeldForm.user_id == user.id)
                            .order_by(HeldForm.id.desc())).all()[HELD_FORMS_PER_USER - 1:]:
        session.delete(row)
    for row in session.exec(select(HeldForm).where(HeldForm.created_at < stale)):
        session.delete(row)
    token = secrets.token_urlsafe(24)
    session.add(HeldForm(token_hash=_hash(token), user_id=user.id, path=path, values=values,
                         created_at=_now()))
    session.commit()
    audit.log(session, "form_held", user=user, detail=path)
    return token


def take_held_form(session: Session, user: User, token: str | None, path: str) -> dict | None:
    """The held values for this person and page, once; forms older than a day are gone."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(HeldForm).where(HeldForm.token_hash == _hash(token))).first()
    if row is None or row.path != path or row.user_id != user.id:
        return None
    values = row.values
    session.delete(row)
    session.commit()
    if _now() - as_utc(row.created_at) > timedelta(days=1):
        return None
    audit.log(session, "form_returned", user=user, detail=path)
    return values
