"""The actions tracker and the manager's page: queries over indexed columns, never documents.

What a user may see is the record list's own rule (`access.visible_filter`); an action counts
only for the version in force (`strategy_record.latest_final_version`).
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from app.auth.models import User
from app.domain.choices import LedBy, RecordStatus
from app.domain.schema import _blank_to_none, uk_now
from app.followup.models import TrackedAction
from app.followup.projection import UPDATE_KINDS
from app.records.access import visible_filter
from app.records.models import StrategyRecord
from app.rules.due_dates import working_days_overdue
from app.sending import receipts

LIMIT = 500
FINAL = (RecordStatus.FINALISED.value, RecordStatus.AUTHORISED.value)


def _text(limit: int):
    return Annotated[Annotated[str, Field(max_length=limit)] | None, BeforeValidator(_blank_to_none)]


class ActionQuery(BaseModel):
    """The tracker's filters: a GET form's fields and GET /api/actions' query parameters."""

    model_config = ConfigDict(extra="ignore")

    overdue: Annotated[bool, BeforeValidator(lambda v: _blank_to_none(v) or False)] = Field(
        False, description="Only actions past their due date")
    owner: _text(200) = Field(None, description="The owner, exactly as recorded")
    agency: _text(40) = Field(None, description="The owner's agency (an agency value)")
    team: _text(80) = Field(None, description="The record's team")
    due_before: Annotated[date | None, BeforeValidator(_blank_to_none)] = Field(
        None, description="Due on or before this date")


@dataclass(frozen=True)
class TrackedRow:
    id: int
    record_id: int
    reference: str
    position: int
    kind: str
    description: str
    owner: str | None
    agency: str | None
    team: str | None
    due_date: date | None
    working_days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.working_days_overdue > 0 or (
            self.due_date is not None and self.due_date < uk_now().date())

    @property
    def is_update_action(self) -> bool:
        return self.kind in UPDATE_KINDS


def _in_force():
    return and_(TrackedAction.record_id == StrategyRecord.id,
                TrackedAction.version == StrategyRecord.latest_final_version)


def _open_actions(user: User, query: ActionQuery, today: date):
    statement = (select(TrackedAction, StrategyRecord.reference).join(StrategyRecord, _in_force())
                 .where(visible_filter(user), TrackedAction.status == "open"))
    if query.overdue:
        statement = statement.where(TrackedAction.due_date < today)
    if query.due_before:
        statement = statement.where(TrackedAction.due_date <= query.due_before)
    for name in ("owner", "agency", "team"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(TrackedAction, name) == value)
    return statement


def open_actions(session: Session, user: User, query: ActionQuery) -> list[TrackedRow]:
    """Open actions, overdue first (the update-all-agencies ones first among them), then by
    due date; undated last."""
    today = uk_now().date()
    overdue_first = case((TrackedAction.due_date < today, 0), else_=1)
    update_first = case((TrackedAction.kind.in_(UPDATE_KINDS), 0), else_=1)
    undated_last = case((TrackedAction.due_date.is_(None), 1), else_=0)
    statement = _open_actions(user, query, today).order_by(
        overdue_first, update_first, undated_last, TrackedAction.due_date, TrackedAction.id
    ).limit(LIMIT)
    return [
        TrackedRow(id=a.id, record_id=a.record_id, reference=reference, position=a.position,
                   kind=a.kind, description=a.description, owner=a.owner, agency=a.agency,
                   team=a.team, due_date=a.due_date,
                   working_days_overdue=working_days_overdue(a.due_date, today)
                   if a.due_date else 0)
        for a, reference in session.execute(statement).all()
    ]


# --- the manager's page ----------------------------------------------------------------------

QUEUES = {
    "awaiting-authorisation": "Awaiting authorisation",
    "returned": "Returned and not yet resubmitted",
    "edt-review": "EDT records awaiting the day team's review",
    "referrer-feedback": "Referrer not yet told the outcome",
}


def _queue_filter(name: str, today: date):
    record = StrategyRecord
    return {
        "awaiting-authorisation": record.status == RecordStatus.FINALISED.value,
        "returned": and_(record.status == RecordStatus.DRAFT.value, record.returned_at.is_not(None)),
        "edt-review": and_(record.led_by == LedBy.EDT.value, record.status.in_(FINAL),
                           record.reviewed_at.is_(None)),
        "referrer-feedback": and_(record.referrer_feedback_due, record.status.in_(FINAL)),
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

    def review_overdue(self) -> bool:
        return self.review_due is not None and self.review_due < uk_now().date()


def queue(session: Session, user: User, name: str) -> list[QueuedRecord]:
    r = StrategyRecord
    statement = (select(r.id, r.reference, r.team, r.led_by, r.status, r.children_names,
                        r.discussion_at, r.warnings, r.review_due, r.returned_at)
                 .where(visible_filter(user), _queue_filter(name, uk_now().date()))
                 .order_by(r.review_due if name == "edt-review" else r.sort_at, r.id)
                 .limit(LIMIT))
    return [QueuedRecord(**row._mapping) for row in session.execute(statement).all()]


@dataclass(frozen=True)
class ManagerCounts:
    awaiting_authorisation: int
    returned: int
    overdue_actions: int
    overdue_update_actions: int
    edt_review: int
    edt_review_overdue: int
    referrer_feedback: int
    # Sending the record (app/sending/receipts): agencies, record by record.
    not_opened: int = 0
    unreachable: int = 0


def manager_counts(session: Session, user: User) -> ManagerCounts:
    today = uk_now().date()

    def count_records(*conditions) -> int:
        return session.execute(select(func.count()).select_from(StrategyRecord)
                               .where(visible_filter(user), *conditions)).scalar_one()

    overdue = _open_actions(user, ActionQuery(overdue=True), today).subquery()
    overdue_all = session.execute(select(func.count()).select_from(overdue)).scalar_one()
    overdue_update = session.execute(select(func.count()).select_from(overdue)
                                     .where(overdue.c.kind.in_(UPDATE_KINDS))).scalar_one()
    edt = _queue_filter("edt-review", today)
    return ManagerCounts(
        awaiting_authorisation=count_records(_queue_filter("awaiting-authorisation", today)),
        returned=count_records(_queue_filter("returned", today)),
        overdue_actions=overdue_all,
        overdue_update_actions=overdue_update,
        edt_review=count_records(edt),
        edt_review_overdue=count_records(edt, StrategyRecord.review_due < today),
        referrer_feedback=count_records(_queue_filter("referrer-feedback", today)),
        not_opened=receipts.not_opened_count(session, user, today),
        unreachable=receipts.unreachable_count(session, user),
    )
