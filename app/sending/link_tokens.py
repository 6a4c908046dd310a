"""The secrets of reading without an account, made as their emails are sent.

A link's secret (128+ random bits) and a code (6 digits) exist in plain text only in the
email the worker is sending: it makes them at that moment and stores their SHA-256 hashes.
A notice sent again (a retry after a stopped worker) carries a new secret; the one before
stops working.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.clock import utc_now
from app.config import get_settings
from app.sending.link_models import InformationRequest, LinkCode, RecipientLink

LINK_TOKEN_BYTES = 24  # 192 bits
SESSION_TOKEN_BYTES = 32


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def new_token(size: int = LINK_TOKEN_BYTES) -> str:
    return secrets.token_urlsafe(size)


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def for_notification(session: Session, notification_id: int) -> dict[str, str]:
    """The secrets the notice being sent carries, made now (uncommitted: the caller commits
    before it talks to the mail server): {"token": ...} for a link notice (with "needed_by"
    for a request for information), {"code": ...} for a code email, {} for any other."""
    link = session.execute(select(RecipientLink).where(
        RecipientLink.notification_id == notification_id)).scalar_one_or_none()
    if link is not None:
        token = new_token()
        link.token_hash = digest(token)
        session.add(link)
        if link.receipt_id is None:  # a request for information: its email says by when
            needed_by = session.execute(select(InformationRequest.needed_by).where(
                InformationRequest.link_id == link.id)).scalar_one()
            return {"token": token, "needed_by": f"{needed_by:%-d %B %Y}"}
        return {"token": token}
    code = session.execute(select(LinkCode).where(
        LinkCode.notification_id == notification_id)).scalar_one_or_none()
    if code is not None and code.used_at is None and not code.replaced:
        value = new_code()
        code.code_hash = digest(value)
        code.expires_at = utc_now() + timedelta(minutes=get_settings().link_code_minutes)
        session.add(code)
        return {"code": value}
    return {}
