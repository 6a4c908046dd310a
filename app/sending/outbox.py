"""What a person must look at in the outbox, and sending a notification again by hand.

Stuck: claimed by a worker whose lease has run out (it stopped mid-send and no worker has
claimed it again yet), or due for longer than a lease with no worker taking it (none is
running). Failed: tried the most times allowed. Either can be queued again from the outbox
page, with a fresh set of attempts.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import User
from app.clock import utc_now
from app.config import get_settings
from app.sending.models import Notification


def needs_attention(now: datetime):
    """SQL condition: failed or stuck."""
    return or_(Notification.status == "failed", stuck(now))


def stuck(now: datetime):
    lease_start = now - timedelta(seconds=get_settings().notification_claim_timeout_seconds)
    return or_(and_(Notification.status == "sending", Notification.claimed_at < lease_start),
               and_(Notification.status == "pending", Notification.next_attempt_at < lease_start))


def retry(session: Session, notification_id: int, by: User, request=None) -> bool:
    """Queue a failed or stuck notification again now, with every attempt allowed; False if
    it needs no retry (already sent, or on its way)."""
    now = utc_now()
    notification = session.get(Notification, notification_id)
    if notification is None:
        return False
    was = notification.status
    result = session.execute(update(Notification).where(
        Notification.id == notification_id, needs_attention(now),
    ).values(status="pending", attempts=0, next_attempt_at=now, claimed_at=None))
    session.commit()
    if result.rowcount != 1:
        return False
    twice = " (its worker stopped mid-send: it may arrive twice)" if was == "sending" else ""
    audit.log(session, "notification_requeued", user=by, record_id=notification.record_id,
              detail=f"notification {notification_id} ({was}) queued again{twice}",
              request=request)
    return True
