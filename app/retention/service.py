"""Finding the records past retention, and deleting them with everything that refers to them.

Deletion is explicit, table by table (not left to ON DELETE CASCADE, which SQLite enforces
only with its foreign-key pragma on and which two tables do not declare): the record's
versions, stored PDFs, receipts, personal links and their codes and sessions, the outbox's
notices, follow-up entries and tracked actions, the live audit's row, the distribution, the
request it was convened from, and forms held for its pages. The audit log keeps its entries
(who did what, by record id); the tombstone says which reference that id was.
"""

from collections.abc import Iterator
from datetime import date

from sqlalchemy import delete, func, select
from sqlmodel import Session

from app.auth.models import AuditEvent, HeldForm, User
from app.clock import utc_now
from app.config import Settings
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.pdf.models import RenderedPdf
from app.records.models import RecordDistribution, StrategyRecord
from app.requests.models import StrategyRequest
from app.retention.models import RecordTombstone
from app.retention.rule import Columns, describe, due_clause, due_on
from app.sending.link_models import LinkCode, LinkSession, RecipientLink
from app.sending.models import Notification, RecordReceipt

r = StrategyRecord
REPORT_COLUMNS = (r.id, r.reference, r.status, r.team, r.created_at, r.updated_at,
                  r.youngest_born, r.born_unknown)
# Tables holding rows about one record by its record_id, children before parents.
BY_RECORD = (RecordMeasure, TrackedAction, FollowUpEntry, RecordDistribution, RenderedPdf,
             Notification, RecordReceipt, RecordVersion, StrategyRequest)


def due_rows(session: Session, settings: Settings, today: date, *, after_id: int = 0,
             limit: int = 1000, where=None) -> list:
    """Records past retention with ids above `after_id`, in id order (keyset pages)."""
    query = select(*REPORT_COLUMNS).where(due_clause(settings, today), r.id > after_id)
    if where is not None:
        query = query.where(where)
    return list(session.execute(query.order_by(r.id).limit(limit)))


def all_due(session: Session, settings: Settings, today: date, batch: int = 1000) -> Iterator:
    after = 0
    while rows := due_rows(session, settings, today, after_id=after, limit=batch):
        yield from rows
        after = rows[-1].id


def due_count(session: Session, settings: Settings, today: date, where=None,
              cap: int = 1000) -> int:
    """How many are due, counted to `cap` (a page says "1,000 or more")."""
    query = select(r.id).where(due_clause(settings, today))
    if where is not None:
        query = query.where(where)
    return session.execute(select(func.count()).select_from(query.limit(cap).subquery())
                           ).scalar_one()


def row_due_on(row, settings: Settings) -> date | None:
    return due_on(Columns(row.youngest_born, row.born_unknown, row.updated_at), settings)


class NotApproved(Exception):
    """The approver may not approve deletion; the message says why."""


def approver(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise NotApproved(f"There is no active user called {username!r}.")
    if user.role not in ("manager", "admin"):
        raise NotApproved(f"{username} is not a manager or an administrator: only they may "
                          "approve deleting records.")
    return user


def purge(session: Session, record_id: int, by: User, settings: Settings,
          today: date) -> RecordTombstone | None:
    """Delete one record past retention, leaving a tombstone and an audit entry; None (and
    nothing deleted) if it is not due any more (changed since the report), or gone."""
    row = session.execute(select(*REPORT_COLUMNS).where(
        r.id == record_id, due_clause(settings, today)).with_for_update()).first()
    if row is None:
        return None
    links = select(RecipientLink.id).where(RecipientLink.record_id == record_id)
    session.execute(delete(LinkSession).where(LinkSession.link_id.in_(links)))
    session.execute(delete(LinkCode).where(LinkCode.link_id.in_(links)))
    session.execute(delete(RecipientLink).where(RecipientLink.record_id == record_id))
    for table in BY_RECORD:
        session.execute(delete(table).where(table.record_id == record_id))
    session.execute(delete(HeldForm).where(HeldForm.path.startswith(f"/strategies/{record_id}/")))
    session.execute(delete(StrategyRecord).where(r.id == record_id))
    now = utc_now()
    tombstone = RecordTombstone(
        record_id=record_id, reference=row.reference, created_at=row.created_at,
        last_changed_at=row.updated_at, due_on=row_due_on(row, settings),
        rule=describe(settings)[:200], purged_at=now, approved_by_id=by.id,
        approved_by=by.username)
    session.add(tombstone)
    session.add(AuditEvent(at=now, user_id=by.id, username=by.username, action="purged",
                           record_id=record_id,
                           detail=f"{row.reference} deleted after its retention period"))
    session.commit()
    return tombstone
