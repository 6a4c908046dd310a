"""Tables for people, their sessions and tokens, held forms, and the append-only audit log."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    # One account per person at the council's identity provider (app/auth/oidc.py).
    __table_args__ = (Index("ix_app_user_oidc", "oidc_issuer", "oidc_subject", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    # The organisation a partner-agency user works for: what they may read is what was sent
    # to it (app/visibility.py). Every partner user has exactly one.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # The organisation's kind of agency, copied when the user is created (a request they
    # make is from that kind of agency); never used to decide access.
    agency: str | None = Field(default=None, max_length=40)
    # The social-care team whose records CSC staff see.
    team: str | None = Field(default=None, max_length=80)
    # Where a partner-agency user is told a record has been sent to their agency (app/sending).
    email: str | None = Field(default=None, max_length=320)
    password_hash: str = Field(max_length=300)
    is_active: bool = True
    created_at: datetime
    # Who this is at the identity provider (its issuer and their subject id): set for people
    # who sign in there, matched on every sign-in; never a username or email, which change.
    oidc_issuer: str | None = Field(default=None, max_length=300)
    oidc_subject: str | None = Field(default=None, max_length=255)


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    # Only a hash of the cookie's random value is stored: a leaked table opens no session.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class HeldForm(SQLModel, table=True):
    """A form posted after its session expired, kept until its author signs in again."""

    __tablename__ = "held_form"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # Only the person whose session ended may have the form back.
    user_id: int = Field(foreign_key="app_user.id", index=True)
    path: str = Field(max_length=300)
    values: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, and when. The app inserts rows here and never deletes
    them; the one update is to `count`, when a refusal or failed sign-in repeats."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # As typed or as known at the time, so failed sign-ins and later renames stay readable.
    username: str | None = Field(default=None, max_length=80, index=True)
    action: str = Field(max_length=40, index=True)
    record_id: int | None = Field(default=None, index=True)
    detail: str | None = Field(default=None, max_length=500)
    ip: str | None = Field(default=None, max_length=64, index=True)
    # How many times this event happened: repeats of a refusal or failed sign-in within
    # AUDIT_REPEAT_WINDOW_SECONDS of `at` are counted here, so a flood cannot fill the table.
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # The request that caused it (X-Request-Id, or made up): the same id as its log line.
    request_id: str | None = Field(default=None, max_length=64, index=True)


class SignInAttempt(SQLModel, table=True):
    """One sign-in attempt, written before its password is checked: the throttle counts these
    (app/auth/throttle.py). Rows older than the window are deleted; the audit log keeps the
    history."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str = Field(max_length=80, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    # None while its password is being checked (it counts, as if failed), then "failed",
    # "ok", "throttled" or "busy"; only None and "failed" count against the limits.
    outcome: str | None = Field(default=None, max_length=10)


class OidcSignIn(SQLModel, table=True):
    """A sign-in started at the identity provider and not yet finished: what the callback
    checks its answer against. Used once; rows older than a few minutes are deleted."""

    __tablename__ = "oidc_sign_in"

    id: int | None = Field(default=None, primary_key=True)
    # Only a hash of the state: the state itself is in the browser's cookie and the URL.
    state_hash: str = Field(max_length=64, unique=True, index=True)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=128)
    next_url: str = Field(max_length=300)
    created_at: datetime = Field(index=True)
