"""The actions tracker and the manager's page: queries over indexed columns, never documents.

What a user may see is the record list's own rule (`access.visible_filter`); an action counts
only for the version in force (`strategy_record.latest_final_version`).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import and_, select, true, tuple_
from sqlmodel import Session

from app.auth.models import User
from app.clock import uk_today
from app.config import get_settings
from app.db import count_up_to, counts_up_to, inline
from app.domain.fields import _blank_to_none
from app.domain.schema import uk_now
from app.followup.models import TrackedAction
from app.followup.projection import UPDATE_KINDS
from app.records.models import StrategyRecord
from app.rules import calendar
from app.rules.calendar import WorkingDay, working_days_since
from app.visibility import record_filter as visible_filter
from app.worklists import queues, receipts

# Rows a page of the tracker shows (the API may ask for up to API_LIMIT).
PAGE_SIZE = 50
API_LIMIT = 500
SEPARATOR = "~"


def _text(limit: int):
    return Annotated[Annotated[str, Field(max_length=limit)] | None, BeforeValidator(_blank_to_none)]


def parse_cursor(value: str) -> tuple[int, date | None, int]:
    """A position in the tracker's order: (segment, due date or None, action id)."""
    try:
        segment, due, action_id = value.split(SEPARATOR)
        parsed = int(segment), date.fromisoformat(due) if due else None, int(action_id)
    except ValueError:
        raise ValueError("Not a position in this list: use its Next link") from None
    if not (0 <= parsed[0] < len(SEGMENTS) and 0 < parsed[2] < 2**31
            and (parsed[1] is None) == SEGMENTS[parsed[0]][2]):
        raise ValueError("Not a position in this list: use its Next link")
    return parsed


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
    after: Annotated[Annotated[str, Field(max_length=40),
                               AfterValidator(lambda v: parse_cursor(v) and v)] | None,
                     BeforeValidator(_blank_to_none)] = Field(
        None, description="The page after this position (a previous page's next_cursor)")

    def link(self, **changes) -> str:
        """The query string for these filters with `changes`, leaving out what is unset."""
        values = self.model_dump(mode="json") | {"after": None} | changes
        kept = {k: "true" if v is True else v for k, v in values.items()
                if v not in (None, "", False)}
        return "?" + urlencode(kept) if kept else "?"


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
            self.due_date is not None and self.due_date < uk_today())

    @property
    def overdue_by(self) -> str:
        """How late, for the tracker and the manager's page: in working days, or just
        "Overdue" when no working day has passed (due on Friday, read on Saturday)."""
        days = self.working_days_overdue
        if days:
            return f"Overdue {days} working {'day' if days == 1 else 'days'}"
        return "Overdue" if self.overdue else ""

    @property
    def is_update_action(self) -> bool:
        return self.kind in UPDATE_KINDS


@dataclass(frozen=True)
class ActionPage:
    query: ActionQuery
    rows: list[TrackedRow]
    next_cursor: str | None


# The tracker's order, as segments each read in (due date, id) order from the open actions'
# index: overdue first (update-all-agencies actions first among them), then every other
# action by due date whatever its kind (a baby's medical due today comes before an update due
# next week), undated last. (overdue, kind: update / other / any, undated) per segment.
SEGMENTS = [(True, "update", False), (True, "other", False), (False, "any", False),
            (False, "any", True)]


def _segment(number: int, today: date):
    overdue, kind, undated = SEGMENTS[number]
    a = TrackedAction
    due = (a.due_date.is_(None) if undated else a.due_date < today if overdue
           else a.due_date >= today)
    if kind == "any":
        return due
    return and_(due, a.kind.in_(UPDATE_KINDS) if kind == "update" else a.kind.not_in(UPDATE_KINDS))


def _in_force():
    # The flag lets the open actions' index skip earlier versions' rows (a third of those
    # open at 100,000 records) before each is looked up; the version keeps the join exact.
    return and_(TrackedAction.in_force == true(), TrackedAction.record_id == StrategyRecord.id,
                TrackedAction.version == StrategyRecord.latest_final_version)


def _open_actions(user: User, query: ActionQuery, today: date, columns=(TrackedAction.id,)):
    statement = (select(*columns).select_from(TrackedAction).join(StrategyRecord, _in_force())
                 .where(visible_filter(user), TrackedAction.status == inline("open")))
    if query.overdue:
        statement = statement.where(TrackedAction.due_date < today)
    if query.due_before:
        statement = statement.where(TrackedAction.due_date <= query.due_before)
    for name in ("owner", "agency", "team"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(TrackedAction, name) == value)
    return statement


def open_actions(session: Session, user: User, query: ActionQuery,
                 page_size: int = PAGE_SIZE) -> ActionPage:
    """A page of open actions, overdue first (the update-all-agencies ones first among
    them), then by due date; undated last. Each segment of that order is read from the
    open actions' index in due-date order, only as far as the page needs: at most one query
    a segment, whatever the number of actions. Working days overdue come from the calendar
    table (app/rules/calendar.py), in the same query."""
    today = uk_today()
    a = TrackedAction
    overdue_days = working_days_since(a.due_date, calendar.number_of(session, today))
    columns = (a.id, a.record_id, StrategyRecord.reference, a.position, a.kind, a.description,
               a.owner, a.agency, a.team, a.due_date, overdue_days.label("working_days_overdue"))
    base = _open_actions(user, query, today, columns).outerjoin(
        WorkingDay, WorkingDay.day == a.due_date)
    start = parse_cursor(query.after) if query.after else (0, None, 0)
    rows: list[tuple[int, TrackedRow]] = []
    for number in range(start[0], len(SEGMENTS)):
        statement = base.where(_segment(number, today))
        if number == start[0] and query.after:
            statement = statement.where(
                a.id > start[2] if start[1] is None
                else tuple_(a.due_date, a.id) > tuple_(start[1], start[2]))
        wanted = page_size + 1 - len(rows)
        found = session.execute(statement.order_by(a.due_date, a.id).limit(wanted)).all()
        rows += [(number, TrackedRow(**row._mapping)) for row in found]
        if len(rows) > page_size:
            break
    shown = rows[:page_size]
    cursor = None
    if len(rows) > page_size:
        number, last = shown[-1]
        cursor = SEPARATOR.join((str(number), last.due_date.isoformat() if last.due_date else "",
                                 str(last.id)))
    return ActionPage(query, [row for _, row in shown], cursor)


# --- the manager's page ----------------------------------------------------------------------

# The manager's counts stop here: "more than 1,000 overdue actions" asks for the same action as
# the exact number, and counting no further keeps the page's cost flat as the records grow.
COUNT_CAP = 1000

QUEUES = queues.QUEUES
queue = queues.queue


@dataclass(frozen=True)
class ManagerCounts:
    awaiting_authorisation: int
    returned: int
    overdue_actions: int
    overdue_update_actions: int
    edt_review: int
    edt_review_overdue: int
    referrer_feedback: int
    drafts: int = 0
    drafts_stale: int = 0  # of those, discussed (or started) more than DRAFT_STALE_DAYS ago
    # Sending the record (app/sending/receipts): agencies, record by record.
    not_opened: int = 0
    unreachable: int = 0


def overdue_update_actions(user: User, today: date):
    """The open update-all-agencies actions in force past their due date that `user` may see
    (read from the open actions' index by kind, migration 0030)."""
    return _open_actions(user, ActionQuery(overdue=True), today).where(
        TrackedAction.kind.in_(UPDATE_KINDS))


def manager_counts(session: Session, user: User, cap: int = COUNT_CAP) -> ManagerCounts:
    """The manager's counts, each read from an index and counted no further than cap + 1
    (shown as "more than cap"): the page costs the same at any size."""
    today = uk_today()
    overdue = _open_actions(user, ActionQuery(overdue=True), today)
    stale_before = uk_now().replace(tzinfo=None) - timedelta(days=get_settings().draft_stale_days)
    # One statement for every count but the two below that depend on what it finds.
    counted = dict(zip(COUNTED, counts_up_to(session, [
        overdue_update_actions(user, today),
        queues.rows(user, "awaiting-authorisation"),
        queues.rows(user, "returned"),
        queues.rows(user, "edt-review"),
        queues.rows(user, "edt-review", StrategyRecord.review_due < today),
        queues.rows(user, "referrer-feedback"),
        queues.rows(user, "drafts"),
        queues.rows(user, "drafts", StrategyRecord.sort_at < stale_before),
    ], cap), strict=True))
    # The update-all-agencies actions first, then the others only as far as the cap: when the
    # first alone pass it (as at 100,000 records), so does the total, and nothing more is read.
    updates = counted["overdue_update_actions"]
    overdue_actions = updates if updates > cap else updates + count_up_to(
        session, overdue.where(TrackedAction.kind.not_in(UPDATE_KINDS)), cap - updates)
    not_opened, unreachable = receipts.flag_counts(session, user, today, cap)
    return ManagerCounts(**counted, overdue_actions=overdue_actions, not_opened=not_opened,
                         unreachable=unreachable)


# The counts manager_counts reads in one statement, in its order.
COUNTED = ("overdue_update_actions", "awaiting_authorisation", "returned", "edt_review",
           "edt_review_overdue", "referrer_feedback", "drafts", "drafts_stale")


