"""The audit log: one function writes it, one reads it. Nothing updates or deletes rows."""

from datetime import UTC, datetime

from fastapi import Request
from sqlmodel import Session, col, select

from app.auth.models import AuditEvent, User

ACTIONS = (
    "viewed", "created", "edited", "finalised", "downloaded", "signed_in", "sign_in_failed",
    "sign_in_throttled", "signed_out", "refused", "user_created", "password_reset",
    "token_created", "token_revoked", "form_held", "form_returned",
)


def client_ip(request: Request | None) -> str | None:
    return request.client.host if request is not None and request.client else None


def log(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    username: str | None = None,
    record_id: int | None = None,
    detail: str | None = None,
    request: Request | None = None,
) -> None:
    """Append one event and commit it, so it survives whatever the request does next."""
    session.add(
        AuditEvent(
            at=datetime.now(UTC),
            user_id=user.id if user else None,
            username=(user.username if user else username or None),
            action=action,
            record_id=record_id,
            detail=(detail or "")[:500] or None,
            ip=client_ip(request),
        )
    )
    session.commit()


def events(
    session: Session,
    *,
    record_id: int | None = None,
    action: str | None = None,
    username: str | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == record_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if username:
        query = query.where(AuditEvent.username == username)
    return list(session.exec(query))
