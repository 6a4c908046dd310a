"""Sending a version to its agencies, and recording that they opened it.

`send_version` runs inside the transaction that finalises (or authorises, with
SEND_ON=authorise) the record: the receipts, the outbox rows and the audit entries commit with
it or not at all. Delivery is the worker's (app/sending/worker.py).
"""

from datetime import UTC, datetime

from sqlalchemy import and_, delete, select, update
from sqlmodel import Session

from app.auth import audit
from app.auth.models import AuditEvent, User
from app.config import get_settings
from app.records.models import RecordDistribution, StrategyRecord
from app.reports import store as report_rows
from app.rules.due_dates import sent_late
from app.sending.models import Notification, RecordReceipt

PARTNER = "partner"


def recipients(session: Session, agencies: list[str]) -> dict[str, list[User]]:
    """Each agency's active partner-agency users who have an email address."""
    found: dict[str, list[User]] = {agency: [] for agency in agencies}
    if not agencies:
        return found
    users = session.execute(select(User).where(
        User.role == PARTNER, User.agency.in_(agencies), User.email.is_not(None),
        User.is_active).order_by(User.id)).scalars()
    for user in users:
        found[user.agency].append(user)
    return found


def _audit(session: Session, action: str, by: User | None, record_id: int, detail: str) -> None:
    # Added to the caller's transaction (audit.log commits, which would split it).
    session.add(AuditEvent(
        at=datetime.now(UTC), user_id=by.id if by else None,
        username=audit.storable(by.username, audit.USERNAME_MAX) if by else None,
        action=action, record_id=record_id, detail=audit.storable(detail, audit.DETAIL_MAX)))


def send_version(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    """Send the record's current version to every agency on its distribution list: a receipt
    per agency and a notification per reachable user. Agencies that had an earlier version but
    are no longer on the list are told a corrected version exists, nothing more."""
    version = record.version
    agencies = list(session.execute(select(RecordDistribution.agency).where(
        RecordDistribution.record_id == record.id).order_by(RecordDistribution.agency)).scalars())
    earlier = set(session.execute(select(RecordReceipt.agency).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version < version)).scalars())
    # The same version sent again (returned, then finalised again): it is new to everyone.
    session.execute(delete(RecordReceipt).where(
        RecordReceipt.record_id == record.id, RecordReceipt.version == version))
    reachable = recipients(session, sorted(set(agencies) | earlier))
    discussion_on = record.discussion_at.date() if record.discussion_at else None
    for agency in agencies:
        session.add(RecordReceipt(record_id=record.id, version=version, agency=agency, sent_at=at,
                                  discussion_on=discussion_on))
    if agencies and record.sent_late is None:  # the first sending is the one that is timed
        late = sent_late(record.discussion_at, at, get_settings())
        session.execute(update(StrategyRecord).where(StrategyRecord.id == record.id).values(
            sent_late=late))
        report_rows.happened(session, record.id, sent_late=late)
    for agency in sorted(set(agencies) | earlier):
        kind = "corrected" if agency in earlier else "sent"
        users = reachable[agency]
        for user in users:
            session.add(Notification(
                record_id=record.id, version=version, agency=agency, kind=kind,
                recipient_id=user.id, email=user.email, next_attempt_at=at, created_at=at))
        what = "corrected version" if kind == "corrected" else "record"
        reach = (f"{len(users)} notification(s) queued" if users
                 else "unreachable: no user of this agency has an email address")
        _audit(session, "record_sent", by, record.id,
               f"version {version} {what} sent to {agency}: {reach}")


def on_finalised(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    if get_settings().send_on == "finalise":
        send_version(session, record, at, by)


def on_authorised(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    if get_settings().send_on == "authorise":
        send_version(session, record, at, by)


# --- receipt ---------------------------------------------------------------------------------


def _first(session: Session, user: User, record_id: int, version: int, column: str,
           action: str, request=None) -> bool:
    """Fill a receipt's first-opened/first-downloaded time if this is the agency's first; one
    indexed UPDATE, so two people of one agency opening at once set it once."""
    if user.role != PARTNER or user.agency is None:
        return False
    receipt_column = getattr(RecordReceipt, column)
    result = session.execute(update(RecordReceipt).where(
        RecordReceipt.record_id == record_id, RecordReceipt.version == version,
        RecordReceipt.agency == user.agency, receipt_column.is_(None),
    ).values({column: datetime.now(UTC)}))
    session.commit()
    if result.rowcount != 1:
        return False
    audit.log(session, action, user=user, record_id=record_id,
              detail=f"version {version}, first for {user.agency}", request=request)
    return True


def mark_opened(session: Session, user: User, record_id: int, version: int, request=None) -> bool:
    return _first(session, user, record_id, version, "first_opened_at", "receipt_opened", request)


def mark_downloaded(session: Session, user: User, record_id: int, version: int,
                    request=None) -> bool:
    # A download is an opening too, if the page was never opened (a link straight to the PDF).
    mark_opened(session, user, record_id, version, request)
    return _first(session, user, record_id, version, "first_downloaded_at",
                  "receipt_downloaded", request)


def new_to(session: Session, user: User, record_ids: list[int]) -> set[int]:
    """Which of these records' versions in force this partner's agency has not yet opened."""
    if user.role != PARTNER or user.agency is None or not record_ids:
        return set()
    return set(session.execute(
        select(RecordReceipt.record_id).join(StrategyRecord, and_(
            StrategyRecord.id == RecordReceipt.record_id,
            StrategyRecord.latest_final_version == RecordReceipt.version))
        .where(RecordReceipt.agency == user.agency, RecordReceipt.record_id.in_(record_ids),
               RecordReceipt.first_opened_at.is_(None))).scalars())
