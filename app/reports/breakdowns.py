"""The report's figures that are not a share of a cohort: why records were returned, how
many days after the discussion referrers were told, and how long requests waited for triage."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from app.domain.choices import ReturnReason
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry
from app.reports.families import Scope, _cohort, _cohort_filter, _start_of, _start_of_next
from app.requests.models import StrategyRequest

# Returns recorded before managers chose reasons: counted apart, never guessed from comments.
NOT_CATEGORISED = "not_categorised"


NOT_CATEGORISED_LABEL = "Not categorised (returned before reasons were chosen)"


@dataclass
class ReturnReasons:
    """How often each ReturnReason was chosen when the cohort's records were returned: a
    return may give several reasons, so `counts` are each out of `returns`. Only the chosen
    categories are read, never the comments."""

    returns: int
    counts: dict[str, int]  # ReturnReason values, then NOT_CATEGORISED

    @staticmethod
    def labels() -> dict[str, str]:
        return {**{reason.value: reason.label for reason in ReturnReason},
                NOT_CATEGORISED: NOT_CATEGORISED_LABEL}


def return_reasons(session: Session, scope: Scope) -> ReturnReasons:
    cohort = _cohort(scope)
    chosen = session.execute(select(FollowUpEntry.details["reasons"]).join(
        cohort, cohort.c.record_id == FollowUpEntry.record_id).where(
        FollowUpEntry.kind == "returned")).scalars().all()
    counts = dict.fromkeys(ReturnReasons.labels(), 0)
    for reasons in chosen:
        known = [r for r in (reasons if isinstance(reasons, list) else []) if r in counts
                 and r != NOT_CATEGORISED]
        for reason in set(known) or {NOT_CATEGORISED}:
            counts[reason] += 1
    return ReturnReasons(len(chosen), counts)


@dataclass(frozen=True)
class Average:
    """An average (or median) and how many it was taken over."""

    value: float | None
    over: int


def referrer_days(session: Session, scope: Scope) -> Average:
    """On average, how many days after the discussion referrers were told the outcome. A
    date before the discussion (one stored before dates were judged against it,
    app/rules/dates.py) is left out rather than averaged in as negative days."""
    m = RecordMeasure
    if session.get_bind().dialect.name == "postgresql":
        days = m.referrer_told_on - m.discussion_on
    else:
        days = func.julianday(m.referrer_told_on) - func.julianday(m.discussion_on)
    value, over = session.execute(select(func.avg(days), func.count()).where(
        m.m_referrer_told.is_(True), _cohort_filter(scope),
        m.referrer_told_on.is_not(None), m.referrer_told_on >= m.discussion_on)).one()
    return Average(round(float(value), 1) if value is not None else None, over)


def triage_hours(session: Session, scope: Scope) -> Average:
    """The median hours from a request to its decision, for requests made in the period."""
    q = StrategyRequest
    period = (q.created_at >= _start_of(scope.start), q.created_at < _start_of_next(scope.end),
              q.triaged_at.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", q.triaged_at - q.created_at)
        median, over = session.execute(select(
            func.percentile_cont(0.5).within_group(seconds), func.count()).where(*period)).one()
        return Average(round(float(median) / 3600, 1) if median is not None else None, over)
    rows = session.execute(select(q.created_at, q.triaged_at).where(*period)).all()
    hours = sorted((row.triaged_at - row.created_at).total_seconds() / 3600 for row in rows)
    if not hours:
        return Average(None, 0)
    middle = len(hours) // 2
    median = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    return Average(round(median, 1), len(hours))
