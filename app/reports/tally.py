"""The live audit's counts, kept month by month, so a report reads what nothing has changed
instead of every row of its period (issue 26).

A period is cut into its months (the first and last may be part of one). Each family of
figures (app/reports/families.py) and each breakdown is counted once for a month and kept in
`report_tally`, with the month's generation at the time: `report_month`'s number, which the
database's triggers (migration 0025) bump whenever a counted row in that month changes. A kept
count is read only while the month's generation, the UK day (what is overdue depends on it),
the settings and the figures' version are all as they were; anything else is counted again,
every stale month of a family in one query, and kept. The generation is read before counting,
so a change that commits while a month is being counted leaves it stale, never wrong.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.config import get_settings
from app.reports import breakdowns
from app.reports.breakdowns import Average, ReturnReasons
from app.reports.families import Scope
from app.reports.figures import FIGURES, Count, Figure, Result, apart, count_family
from app.reports.tally_tables import ReportMonth, ReportTally

# Bump when what is counted changes meaning: every kept count is then counted again.
VERSION = 1


@dataclass(frozen=True)
class Piece:
    """One month of a period, or the part of it the period covers."""

    month: str  # "YYYY-MM"
    start: date
    end: date


def pieces(scope: Scope) -> list[Piece]:
    found, day = [], scope.start
    while day <= scope.end:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        end = min(following - timedelta(days=1), scope.end)
        found.append(Piece(f"{day:%Y-%m}", day, end))
        day = following
    return found


@dataclass(frozen=True)
class Counted:
    """What a report needs: the figures asked for and the three breakdowns."""

    results: list[Result]
    reasons: ReturnReasons
    referrer: Average
    triage: Average


# A kept month's body: a family's {figure id: {"n": [numerator, denominator],
# "parts": {part: [numerator, denominator]}}}, or a breakdown's own (see _BREAKDOWNS).
def _family_job(family_name: str) -> Callable[[Session, Scope], dict[str, dict]]:
    members = [figure for figure in FIGURES if figure.family.name == family_name]

    def count(session: Session, scope: Scope) -> dict[str, dict]:
        months: dict[str, dict] = {}
        for result in count_family(session, members[0].family, members, scope):
            for month, counted in result.months.items():
                parts = result.month_parts.get(month, {})
                months.setdefault(month, {})[result.figure.id] = {
                    "n": [counted.numerator, counted.denominator],
                    "parts": {part: [c.numerator, c.denominator] for part, c in parts.items()}}
        return months
    return count


def _reasons_body(session: Session, scope: Scope) -> dict[str, dict]:
    return {month: {"returns": r.returns, "counts": r.counts}
            for month, r in breakdowns.month_reasons(session, scope).items()}


# name: (how a month is counted, whether the team and lead choices narrow it)
_BREAKDOWNS: dict[str, tuple[Callable[[Session, Scope], dict], bool]] = {
    "returns": (_reasons_body, True),
    "referrer": (breakdowns.month_referrer_days, True),
    "triage": (breakdowns.month_triage_seconds, False),
}
# The tables each family and breakdown reads (the record's row gives the measures, receipts
# and return reasons their cohort; actions carry their own, `families._action_rows`); the
# triggers number each table's changes apart.
READS = {"measures": ("record_measure",), "actions": ("tracked_action",),
         "receipts": ("record_measure", "record_receipt"), "requests": ("strategy_request",),
         "returns": ("record_measure", "followup_entry"), "referrer": ("record_measure",),
         "triage": ("strategy_request",)}


def _jobs(names: set[str]) -> dict[str, tuple[Callable[[Session, Scope], dict], bool]]:
    jobs = {}
    for figure in FIGURES:
        if figure.family.name in names:
            jobs[figure.family.name] = (_family_job(figure.family.name), figure.scoped)
    jobs.update({name: job for name, job in _BREAKDOWNS.items() if name in names})
    return jobs


def _basis(scope: Scope) -> str:
    """What a count depends on beyond the rows: the day, and the one setting read while
    counting (when an unopened receipt is flagged). Instances whose other settings differ (a
    worker of its own, another port) share what they keep."""
    flagged_after = get_settings().receipt_working_days
    return hashlib.sha256(f"{VERSION}|{scope.today}|{flagged_after}".encode()).hexdigest()


def _key(name: str, scope: Scope, piece: Piece) -> str:
    what = [name, scope.team, scope.led_by, piece.start.isoformat(), piece.end.isoformat()]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def _narrowed(scope: Scope, scoped: bool) -> Scope:
    return scope if scoped else Scope(scope.start, scope.end, today=scope.today)


def kept_months(session: Session, scope: Scope, names: set[str]) -> dict[str, dict[str, dict]]:
    """{name: {month: body}} for each family or breakdown named, over the scope's months:
    kept ones where still true, the rest counted (and kept)."""
    jobs, parts = _jobs(names), pieces(scope)
    numbers = {(month, table): n for month, table, n in session.execute(select(
        ReportMonth.month, ReportMonth.counted, ReportMonth.generation).where(
        ReportMonth.month.in_([p.month for p in parts])))}

    def generation(name: str, month: str) -> int:
        return sum(numbers.get((month, table), 0) for table in READS[name])
    basis = _basis(scope)
    keys = {(name, p.month): _key(name, _narrowed(scope, scoped), p)
            for name, (_, scoped) in jobs.items() for p in parts}
    kept = {row.key: row for row in session.execute(select(
        ReportTally.key, ReportTally.basis, ReportTally.generation, ReportTally.body).where(
        ReportTally.key.in_(list(keys.values()))))}
    found: dict[str, dict[str, dict]] = {name: {} for name in jobs}
    stale: dict[str, list[Piece]] = {}
    for (name, month), key in keys.items():
        row = kept.get(key)
        if (row is not None and row.basis == basis
                and row.generation == generation(name, month)):
            found[name][month] = row.body
        else:
            stale.setdefault(name, []).append(next(p for p in parts if p.month == month))
    if not stale:
        return found
    # Every stale month of a name in one count, from its first to its last.
    spans = {name: Scope(missing[0].start, missing[-1].end, scope.team, scope.led_by,
                         scope.today) for name, missing in stale.items()}
    counts = apart(session, [
        (lambda own, name=name: jobs[name][0](own, _narrowed(spans[name], jobs[name][1])))
        for name in spans])
    rows = []
    for (name, span), months in zip(spans.items(), counts, strict=True):
        for piece in parts:
            if span.start <= piece.start and piece.end <= span.end:
                body = months.get(piece.month, {})
                found[name][piece.month] = body
                rows.append({"key": keys[(name, piece.month)], "made_on": scope.today,
                             "basis": basis, "generation": generation(name, piece.month),
                             "body": body})
    _keep(session, sorted(rows, key=lambda row: row["key"]), scope.today)
    return found


def _keep(session: Session, rows: list[dict], today: date) -> None:
    """Upsert in key order (two reports keeping the same months lock them in one order, so
    neither waits on the other in a circle), then drop what was counted on an earlier day
    (never true again), passing over any row another report holds: it is that one's to keep."""
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = (postgresql.insert if postgres else sqlite.insert)(ReportTally).values(rows)
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={
        name: statement.excluded[name] for name in ("made_on", "basis", "generation", "body")}))
    old = select(ReportTally.key).where(ReportTally.made_on < today)
    if postgres:
        old = old.with_for_update(skip_locked=True)
    session.execute(delete(ReportTally).where(ReportTally.key.in_(old)))


def counted(session: Session, scope: Scope, figures: list[Figure] | None = None
            ) -> Counted:
    """The figures (every one, with the breakdowns; or those given, without them: a figure's
    page shows none) over the scope, from the kept months."""
    names = {figure.family.name for figure in figures or FIGURES}
    if figures is None:
        names |= set(_BREAKDOWNS)
    months = kept_months(session, scope, names)
    results = [_result(figure, months[figure.family.name]) for figure in figures or FIGURES]
    if figures is not None:
        return Counted(results, ReturnReasons(0, {}), Average(None, 0), Average(None, 0))
    return Counted(
        results,
        breakdowns.all_reasons(ReturnReasons(body["returns"], body["counts"])
                               for body in months["returns"].values() if body),
        breakdowns.mean_days(body for body in months["referrer"].values() if body),
        breakdowns.median_hours(months["triage"].values()))


def _result(figure: Figure, months: dict[str, dict]) -> Result:
    result = Result(figure, Count(), {})
    for month, body in sorted(months.items()):
        if figure.id not in body:
            continue
        numerator, denominator = body[figure.id]["n"]
        result.months[month] = Count(numerator, denominator)
        result.total.numerator += numerator
        result.total.denominator += denominator
        for part, (n, d) in body[figure.id]["parts"].items():
            for bucket in (result.parts.setdefault(part, Count()),
                           result.month_parts.setdefault(month, {}).setdefault(part, Count())):
                bucket.numerator += n
                bucket.denominator += d
    return result
