"""The report's figures that are not a share of a cohort: why records were returned, how
many days after the discussion referrers were told, and how long requests waited for triage."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, String, cast, func, select
from sqlmodel import Session

from app.domain.choices import ReturnReason
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry
from app.reports.families import (
    Scope,
    _cohort,
    _cohort_filter,
    _start_of,
    _start_of_next,
    month_key,
    month_of,
)
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


def month_reasons(session: Session, scope: Scope) -> dict[str, ReturnReasons]:
    """How often each reason was chosen, month by month of the cohort's discussions."""
    cohort = _cohort(scope)
    chosen = session.execute(select(month_of(session, cohort.c.discussion_on),
                                    FollowUpEntry.details["reasons"]).join(
        cohort, cohort.c.record_id == FollowUpEntry.record_id).where(
        FollowUpEntry.kind == "returned")).all()
    months: dict[str, ReturnReasons] = {}
    for month, reasons in chosen:
        counted = months.setdefault(month_key(month),
                                    ReturnReasons(0, dict.fromkeys(ReturnReasons.labels(), 0)))
        counted.returns += 1
        known = [r for r in (reasons if isinstance(reasons, list) else []) if r in counted.counts
                 and r != NOT_CATEGORISED]
        for reason in set(known) or {NOT_CATEGORISED}:
            counted.counts[reason] += 1
    return months


def all_reasons(months: Iterable[ReturnReasons]) -> ReturnReasons:
    total = ReturnReasons(0, dict.fromkeys(ReturnReasons.labels(), 0))
    for month in months:
        total.returns += month.returns
        for reason, n in month.counts.items():
            total.counts[reason] += n
    return total


def return_reasons(session: Session, scope: Scope) -> ReturnReasons:
    return all_reasons(month_reasons(session, scope).values())


@dataclass(frozen=True)
class Average:
    """An average (or median) and how many it was taken over."""

    value: float | None
    over: int


def month_referrer_days(session: Session, scope: Scope) -> dict[str, list[float]]:
    """Month by month: [the days after the discussion referrers were told, summed; how many].
    A date before the discussion (one stored before dates were judged against it,
    app/rules/dates.py) is left out rather than averaged in as negative days."""
    m = RecordMeasure
    if session.get_bind().dialect.name == "postgresql":
        days = m.referrer_told_on - m.discussion_on
    else:
        days = func.julianday(m.referrer_told_on) - func.julianday(m.discussion_on)
    month = month_of(session, m.discussion_on)
    rows = session.execute(select(month, func.sum(days), func.count()).where(
        m.m_referrer_told.is_(True), _cohort_filter(scope),
        m.referrer_told_on.is_not(None), m.referrer_told_on >= m.discussion_on
    ).group_by(month)).all()
    return {month_key(month): [float(total), over] for month, total, over in rows}


def mean_days(months: Iterable[list[float]]) -> Average:
    total, over = 0.0, 0
    for days, count in months:
        total, over = total + days, over + int(count)
    return Average(round(total / over, 1) if over else None, over)


def referrer_days(session: Session, scope: Scope) -> Average:
    """On average, how many days after the discussion referrers were told the outcome."""
    return mean_days(month_referrer_days(session, scope).values())


def month_triage_seconds(session: Session, scope: Scope) -> dict[str, list[int]]:
    """Month by month (the UK month each request was made in), how long each request made in
    the period waited for its decision, in whole seconds (kept month by month, a year of
    them is read as a few kilobytes; the median is shown to a tenth of an hour)."""
    q = StrategyRequest
    if session.get_bind().dialect.name == "postgresql":
        wait = cast(func.round(func.extract("epoch", q.triaged_at - q.created_at)), Integer)
        waits = func.string_agg(cast(wait, String), ",")
    else:
        wait = cast(func.round(
            (func.julianday(q.triaged_at) - func.julianday(q.created_at)) * 86400), Integer)
        waits = func.group_concat(wait)
    month = month_of(session, q.created_at, timed=True)
    # A month's waits in one row: a year is a dozen rows, not thousands.
    rows = session.execute(select(month, waits).where(
        q.created_at >= _start_of(scope.start), q.created_at < _start_of_next(scope.end),
        q.triaged_at.is_not(None)).group_by(month)).all()
    months: dict[str, list[int]] = {}
    for month_value, waits in rows:
        months.setdefault(month_key(month_value), []).extend(int(w) for w in waits.split(","))
    return months


def median_hours(months: Iterable[list[int]]) -> Average:
    seconds = sorted(second for month in months for second in month)
    if not seconds:
        return Average(None, 0)
    middle = len(seconds) // 2
    median = seconds[middle] if len(seconds) % 2 else (seconds[middle - 1] + seconds[middle]) / 2
    return Average(round(median / 3600, 1), len(seconds))


def triage_hours(session: Session, scope: Scope) -> Average:
    """The median hours from a request to its decision, for requests made in the period."""
    return median_hours(month_triage_seconds(session, scope).values())
