"""Sign-in throttling that holds under concurrency.

Every attempt is written down (and committed) before anything is checked; then the attempts
in the window are counted, its own included, and only one within the limits goes on to the
password check. Of the attempts let through, the last to count saw every other one (each was
committed before its own count), so however many arrive at once, on however many processes
or hosts, at most the limit reach the password check. An attempt counts as failed from the
moment it is written until it is known to have succeeded or to have been refused.
"""

from datetime import timedelta

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from app.auth.models import SignInAttempt
from app.clock import utc_now
from app.config import get_settings


def begin(session: Session, username: str, ip: str | None) -> int:
    """Write the attempt down (committed); its id."""
    now = utc_now()
    since = now - timedelta(minutes=get_settings().sign_in_window_minutes)
    # Rows older than the window count for nothing: the audit log keeps the history.
    session.execute(delete(SignInAttempt).where(SignInAttempt.at < since))
    attempt = SignInAttempt(at=now, username=username, ip=ip)
    session.add(attempt)
    session.commit()
    return attempt.id


def over_limit(session: Session, username: str, ip: str | None) -> bool:
    """Whether the attempts counting against this username or address (this one included)
    are more than their limits allow."""
    settings = get_settings()
    since = utc_now() - timedelta(minutes=settings.sign_in_window_minutes)
    counting = select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.at >= since,
        or_(SignInAttempt.outcome.is_(None), SignInAttempt.outcome == "failed"))
    if session.exec(counting.where(SignInAttempt.username == username)).one() \
            > settings.sign_in_max_failures_per_account:
        return True
    return ip is not None and session.exec(counting.where(SignInAttempt.ip == ip)).one() \
        > settings.sign_in_max_failures_per_address


def finish(session: Session, attempt_id: int, outcome: str) -> None:
    """"failed" keeps counting; "ok", "throttled" and "busy" (never checked) stop."""
    session.execute(update(SignInAttempt).where(SignInAttempt.id == attempt_id)
                    .values(outcome=outcome))
    session.commit()
