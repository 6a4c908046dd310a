"""The rows the live audit's figures count, by family (records, actions, receipts, requests),
for a scope: the period, and optionally a team or a kind of lead.

Figures that count the same kind of row share a family. A family's query reads its rows for
the period with a few low-cardinality columns (its "dimensions": which measure, met or not,
the action's status, done in time ...); one aggregate counts the rows by month and those
dimensions, a few hundred groups at most, and each figure adds up the groups it applies to.
A figure's conditions are written with ==, != and & only, so the same lambda is a SQL
condition on the family's columns (for the records behind it) and a test of a counted group."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import Date, DateTime, Select, String, and_, cast, func, null, select, true
from sqlmodel import Session

from app.clock import UK
from app.config import get_settings
from app.domain.choices import ActionKind
from app.domain.schema import uk_now
from app.followup.measure_table import MEASURE_COLUMNS, RecordMeasure
from app.followup.models import TrackedAction
from app.followup.projection import CANCELLATION_UPDATE, OTHER_CHILD_DISCUSSION
from app.requests.models import StrategyRequest
from app.sending.models import RecordReceipt
from app.worklists.receipts import flag_cutoff


@dataclass(frozen=True)
class Scope:
    """What the report covers: discussions from `start` to `end` inclusive, optionally one
    team's or one kind of lead's; `today` judges what is overdue."""

    start: date
    end: date
    team: str | None = None
    led_by: str | None = None
    today: date = field(default_factory=lambda: uk_now().date())


@dataclass(frozen=True)
class Family:
    name: str
    # The rows for a scope: record_id, day (what places it in a month), part (an agency, for
    # figures counted per agency, or None) and the dimensions its figures test.
    rows: Callable[[Scope], Select]
    dimensions: tuple[str, ...]
    # Its day is a stored instant (placed in the UK month it falls in), not a date.
    timed: bool = False
    # Its rows belong to the cohort's records (_cohort): each was discussed in the period, as
    # its version in force says. Requests are placed by when they were made instead.
    discussed_in_period: bool = True


def _cohort_filter(scope: Scope):
    m = RecordMeasure
    conditions = [m.discussion_on >= scope.start, m.discussion_on <= scope.end]
    if scope.team:
        conditions.append(m.team == scope.team)
    if scope.led_by:
        conditions.append(m.led_by == scope.led_by)
    return and_(*conditions)


def _cohort(scope: Scope):
    """The records in the report: one row each, with its version in force."""
    m = RecordMeasure
    return select(m.record_id, m.version, m.discussion_on, m.led_by).where(
        _cohort_filter(scope)).subquery("cohort")


def _measure_rows(scope: Scope) -> Select:
    m = RecordMeasure
    return select(m.record_id, m.discussion_on.label("day"), cast(null(), String).label("part"),
                  m.led_by, m.version, m.sent_late, m.review_due, m.reviewed_on, m.authorised,
                  m.returned, m.amended, *(getattr(m, column) for column in MEASURE_COLUMNS.values())
                  ).where(_cohort_filter(scope))


def _action_rows(scope: Scope) -> Select:
    """The actions of the cohort's versions in force. An action carries its version's
    discussion date, team and lead and whether that version is in force, as the projection
    wrote them beside the record's measures, so it is placed without joining the cohort."""
    a = TrackedAction
    conditions = [a.in_force == true(), a.discussion_on >= scope.start,
                  a.discussion_on <= scope.end]
    if scope.team:
        conditions.append(a.team == scope.team)
    if scope.led_by:
        conditions.append(a.led_by == scope.led_by)
    return (select(a.record_id, a.discussion_on.label("day"), cast(null(), String).label("part"), a.kind,
                   a.status, (a.done_on <= a.due_date).label("in_time"),
                   (a.due_date < scope.today).label("past_due"))
            .where(a.kind.in_([ActionKind.UPDATE_AGENCIES.value, CANCELLATION_UPDATE,
                               OTHER_CHILD_DISCUSSION]), *conditions))


def _receipt_rows(scope: Scope) -> Select:
    """Receipts of the versions in force, sent long enough ago to be flagged if still unopened
    (RECEIPT_WORKING_DAYS)."""
    cohort, r = _cohort(scope), RecordReceipt
    return (select(r.record_id, r.discussion_on.label("day"), r.agency.label("part"),
                   r.first_opened_at.is_not(None).label("opened"))
            .join(cohort, and_(cohort.c.record_id == r.record_id, cohort.c.version == r.version))
            .where(r.discussion_on >= scope.start, r.discussion_on <= scope.end,
                   r.sent_at < flag_cutoff(scope.today, get_settings())))


def _request_rows(scope: Scope) -> Select:
    """Requests made in the period (they belong to no team)."""
    q = StrategyRequest
    return select(q.record_id, q.created_at.label("day"), q.agency.label("part"), q.status,
                  q.triaged_in_time).where(
        q.created_at >= _start_of(scope.start), q.created_at < _start_of_next(scope.end))


# One row a record: its figures are summed over the rows, not counted by groups.
MEASURES = Family("measures", _measure_rows, ())


ACTIONS = Family("actions", _action_rows, ("kind", "status", "in_time", "past_due"))


RECEIPTS = Family("receipts", _receipt_rows, ("opened",))


REQUESTS = Family("requests", _request_rows, ("status", "triaged_in_time"), timed=True,
                  discussed_in_period=False)


def _start_of(day: date) -> datetime:
    """The moment (UTC) the UK day begins: requests are timed, not dated."""
    return datetime.combine(day, time(), UK).astimezone(UTC)


def _start_of_next(day: date) -> datetime:
    return _start_of(date.fromordinal(day.toordinal() + 1))


def month_of(session: Session, column, timed: bool = False):
    """The month of a date, or the UK month of a stored instant (`timed`): its first day
    (PostgreSQL), or "YYYY-MM" (SQLite; for an instant, its UTC hour, see `month_key`)."""
    if session.get_bind().dialect.name == "postgresql":
        if timed:
            column = func.timezone("Europe/London", column)
        elif isinstance(column.type, Date):  # as a plain timestamp: no zone to look up a row
            column = cast(column, DateTime)
        return func.date_trunc("month", column)  # cheaper than formatting every row
    # SQLite knows no zones, and the UK day starts on a UTC hour: the hour places it.
    return func.strftime("%Y-%m-%d %H" if timed else "%Y-%m", column)


def month_key(value) -> str:
    """"YYYY-MM" from what `month_of` gave."""
    if isinstance(value, str) and len(value) > 7:  # SQLite's UTC hour of an instant
        value = datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(UK)
    return value if isinstance(value, str) else f"{value:%Y-%m}"
