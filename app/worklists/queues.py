"""The manager's queues, a page at a time: keyset paging as in the record list (Next asks for
the rows after the last one shown, Previous for those before the first), so page 40 costs
what page 1 does. Each queue's rows are one partial index in the queue's order (migration
0013); what a manager may see is the one visibility rule, ANDed in.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlmodel import Session

from app.auth.models import User
from app.clock import uk_today
from app.db import inline
from app.domain.choices import FINAL_STATUSES, LedBy, RecordStatus
from app.records.models import StrategyRecord
from app.visibility import record_filter as visible_filter

PAGE_SIZE = 25
SEPARATOR = "~"

QUEUES = {
    "awaiting-authorisation": "Awaiting authorisation",
    "returned": "Returned and not yet resubmitted",
    "edt-review": "EDT records awaiting the day team's review",
    "referrer-feedback": "Referrer not yet told the outcome",
    "drafts": "Drafts not yet finalised",
}


def is_final():
    status = StrategyRecord.status
    return or_(*(status == inline(final.value) for final in FINAL_STATUSES))


def queue_filter(name: str):
    """Which records are in the queue: each is its partial index's condition."""
    record = StrategyRecord
    return {
        "awaiting-authorisation": record.status == inline(RecordStatus.FINALISED.value),
        "returned": and_(record.status == inline(RecordStatus.DRAFT.value),
                         record.returned_at.is_not(None)),
        "edt-review": and_(record.led_by == inline(LedBy.EDT.value), is_final(),
                           record.reviewed_at.is_(None)),
        "referrer-feedback": and_(record.referrer_feedback_due, is_final()),
        # Amendments being drafted too; a returned draft has its own queue.
        "drafts": and_(record.status == inline(RecordStatus.DRAFT.value),
                       record.returned_at.is_(None)),
    }[name]


@dataclass(frozen=True)
class QueuedRecord:
    id: int
    reference: str
    team: str | None
    led_by: str | None
    status: str
    children_names: list
    discussion_at: object
    warnings: int
    review_due: date | None
    returned_at: object
    sort_at: datetime

    def review_overdue(self) -> bool:
        return self.review_due is not None and self.review_due < uk_today()


@dataclass(frozen=True)
class QueuePage:
    name: str
    items: list[QueuedRecord]
    next_cursor: str | None
    previous_cursor: str | None


def _by_review(name: str) -> bool:
    return name == "edt-review"


def cursor_of(name: str, row: QueuedRecord) -> str:
    key = row.review_due if _by_review(name) else row.sort_at
    return f"{key.isoformat() if key else ''}{SEPARATOR}{row.id}"


def parse_cursor(name: str, value: str) -> tuple[date | datetime | None, int]:
    """A position in the queue; ValueError if it is not one."""
    key, _, record_id = value.partition(SEPARATOR)
    parse = date.fromisoformat if _by_review(name) else datetime.fromisoformat
    try:
        parsed = (parse(key) if key or not _by_review(name) else None), int(record_id)
    except ValueError:
        raise ValueError("Not a position in this queue") from None
    if not 0 < parsed[1] < 2**31 or (isinstance(parsed[0], datetime) and parsed[0].tzinfo):
        raise ValueError("Not a position in this queue")
    return parsed


def _after(key_column, key, record_id: int, forwards: bool):
    """Rows after (key, id) in the queue's order, or before it walking backwards. The review
    queue's order puts records with no review date last, on both databases."""
    id_ = StrategyRecord.id
    if key is None:  # among the undated, at the end
        return (and_(key_column.is_(None), id_ > record_id) if forwards
                else or_(key_column.is_not(None), and_(key_column.is_(None), id_ < record_id)))
    if forwards:
        return or_(tuple_(key_column, id_) > tuple_(key, record_id), key_column.is_(None))
    return tuple_(key_column, id_) < tuple_(key, record_id)


def queue(session: Session, user: User, name: str, *, after: str | None = None,
          before: str | None = None, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue (oldest discussion first; the review queue by review date).
    Raises ValueError for a cursor that is not a position in it."""
    r = StrategyRecord
    key_column = r.review_due if _by_review(name) else r.sort_at
    forwards = before is None
    statement = (select(r.id, r.reference, r.team, r.led_by, r.status, r.children_names,
                        r.discussion_at, r.warnings, r.review_due, r.returned_at, r.sort_at)
                 .where(visible_filter(user), queue_filter(name)))
    if after or before:
        statement = statement.where(_after(key_column, *parse_cursor(name, after or before),
                                           forwards))
    order = ((key_column.asc().nulls_last(), r.id.asc()) if forwards
             else (key_column.desc().nulls_first(), r.id.desc()))
    rows = [QueuedRecord(**row._mapping) for row in
            session.execute(statement.order_by(*order).limit(page_size + 1)).all()]
    more, rows = len(rows) > page_size, rows[:page_size]
    if not forwards:
        rows.reverse()
    has_next, has_previous = (more, after is not None) if forwards else (True, more)
    return QueuePage(
        name, rows,
        next_cursor=cursor_of(name, rows[-1]) if has_next and rows else None,
        previous_cursor=cursor_of(name, rows[0]) if has_previous and rows else None)


def rows(user: User, name: str, *conditions):
    """The ids of the records in the queue (for a count: read from its partial index)."""
    return select(StrategyRecord.id).where(visible_filter(user), queue_filter(name),
                                           *conditions)
