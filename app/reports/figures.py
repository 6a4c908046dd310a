"""The live audit's figures: each of the audits' questions as a numerator over a denominator,
month by month, over every record finalised for a discussion in the chosen period.

Every figure belongs to a *family* of rows (records, actions, receipts, requests) and is two
conditions on them: which rows it applies to (its denominator) and which of those it counts
(its numerator). Totals, months and "the records behind this figure" all apply the same two
conditions to the same rows, so a figure and its list cannot disagree.
Figures that mirror a completeness rule read record_measure, which the rules filled in when
the version was finalised (app/rules/measures.py); none re-implements a rule.

The cohort is a record's finalised version in force: a record being amended counts as it was
last finalised, and its discussion date places it in a period.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, true
from sqlmodel import Session

from app.config import get_settings
from app.domain.choices import ActionKind, Agency, LedBy, RequestStatus
from app.followup.measure_table import MEASURE_COLUMNS
from app.followup.projection import CANCELLATION_UPDATE, OTHER_CHILD_DISCUSSION
from app.records.among import Among
from app.records.models import StrategyRecord
from app.reports.families import ACTIONS, MEASURES, RECEIPTS, REQUESTS, Family, Scope, month_key, month_of
from app.rules.workdays import within_working_days


@dataclass(frozen=True)
class Figure:
    id: str
    group: str
    # The label, with {placeholders} for the local limits it is judged by (see `label`).
    wording: str
    # What is counted, plural: "records", "actions", "receipts", "requests".
    unit: str
    # The rows it counts, which of them it applies to (its denominator; None: all) and which
    # of those it counts (its numerator; None: all), as conditions on the family's columns.
    family: "Family"
    applies: Callable | None
    hit: Callable | None
    # Whether the team and led-by choices narrow it (requests belong to no team).
    scoped: bool = True
    # A figure where a higher share is worse (overdue, late, never opened).
    lower_is_better: bool = False
    # Where set, the figure is also counted per part (its family's "part" column, an agency):
    # requests by the agency asking, receipts by the agency receiving.
    parts: type | None = None

    @property
    def label(self) -> str:
        """The wording with this service's limits: "within 1 working day", "by 34 weeks"."""
        settings = get_settings()
        return self.wording.format(
            send=_within(settings.send_within_working_days),
            receipt=_within(settings.receipt_working_days),
            triage=_within(settings.request_triage_working_days),
            icpc=_within(settings.icpc_working_days),
            prebirth=f"{settings.prebirth_conference_by_weeks} weeks",
        )


def _within(days: int) -> str:
    """A working-day limit before what it counts from: "within 15 working days of"."""
    limit = within_working_days(days)
    return f"by {limit} after" if days == 1 else f"within {limit} of"


@dataclass
class Count:
    numerator: int = 0
    denominator: int = 0

    @property
    def percentage(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass
class Result:
    figure: Figure
    total: Count
    months: dict[str, Count]
    parts: dict[str, Count] = field(default_factory=dict)
    # The parts month by month, so a month's counts can be kept apart (app/reports/tally.py).
    month_parts: dict[str, dict[str, Count]] = field(default_factory=dict)


# --- figures as conditions on their family's columns --------------------------------------------
# (==, != and & only: see the note in app/reports/families.py.)
# The helpers below run only while FIGURES is built, at import: mutmut switches a mutant on
# after the import, so it could never test one of theirs ("no mutate block": not mutated).


def _measured(name: str, led_by: str | None = None) -> dict:  # pragma: no mutate block
    """Records to which measure `name` applies (optionally only those led by `led_by`),
    counted where it is met."""
    column = MEASURE_COLUMNS[name]

    def applies(c):
        present = c[column] != None  # noqa: E711  (IS NOT NULL)
        return (present & (c.led_by == led_by)) if led_by else present
    return {"family": MEASURES, "applies": applies,
            "hit": lambda c: c[column] == True}  # noqa: E712


def _action(kind: str, hit) -> dict:  # pragma: no mutate block
    return {"family": ACTIONS, "applies": lambda c: c.kind == kind, "hit": hit}


def _record(hit, applies=None) -> dict:  # pragma: no mutate block
    """A fact of the record's row (what happened after the meeting), for every record."""
    return {"family": MEASURES, "applies": applies, "hit": hit}


UPDATE = ActionKind.UPDATE_AGENCIES.value


def _is(column: str, value):  # pragma: no mutate block
    return lambda c: getattr(c, column) == value


FIGURES: list[Figure] = [
    Figure("participants-recorded", "Who took part",
           "Records where every participant's agency, role, contribution mode and time are "
           "recorded", "records", **_measured("participants-recorded")),
    Figure("outside-contributions", "Who took part",
           "Records with contributions made outside the meeting (phone, email or report)",
           "records", **_measured("outside-contributions")),
    Figure("partners-in-discussion", "Who took part",
           "Records where the police and health took part in the discussion itself (in the "
           "room, by video or on the call)", "records", **_measured("partners-in-discussion")),
    Figure("agency-positions", "Every agency's position",
           "Records with every involved agency's position recorded", "records",
           **_measured("agency-positions")),
    Figure("no-concerns-recorded", "Every agency's position",
           "Records that record an agency with no safeguarding concerns", "records",
           **_measured("no-concerns-recorded")),
    Figure("not-contacted-reasons", "Every agency's position",
           "Records with an agency not contacted that say why for each", "records",
           **_measured("not-contacted-reasons")),
    Figure("experience-recorded", "The child's experience",
           "Records with every child's experience recorded", "records",
           **_measured("experience-recorded")),
    Figure("experience-observed", "The child's experience",
           "Records with a child who cannot speak (unborn, young, pre-verbal or non-verbal) "
           "that give an observation-based account", "records", **_measured("experience-observed")),
    Figure("update-on-time", "Agencies told the outcome",
           "Update-all-agencies actions done by their date", "actions",
           **_action(UPDATE, lambda c: (c.status == "done") & (c.in_time == True))),  # noqa: E712
    Figure("update-late", "Agencies told the outcome",
           "Update-all-agencies actions done after their date", "actions",
           **_action(UPDATE, lambda c: (c.status == "done") & (c.in_time == False)),  # noqa: E712
           lower_is_better=True),
    Figure("update-overdue", "Agencies told the outcome",
           "Update-all-agencies actions still open and overdue", "actions",
           **_action(UPDATE, lambda c: (c.status == "open") & (c.past_due == True)),  # noqa: E712
           lower_is_better=True),
    Figure("cancellation-told", "Agencies told the outcome",
           "Cancelled further discussions where agencies were told of the cancellation",
           "actions", **_action(CANCELLATION_UPDATE, _is("status", "done"))),
    Figure("other-child-considered", "A child alleged to have caused harm",
           "Children alleged to have caused harm for whom a discussion of their own was "
           "considered (the action done)", "actions",
           **_action(OTHER_CHILD_DISCUSSION, _is("status", "done"))),
    Figure("sent-on-time", "Agencies told the outcome",
           "Records sent to their agencies {send} the discussion", "records",
           **_record(_is("sent_late", False))),
    Figure("never-opened", "Agencies told the outcome",
           "Records sent to an agency that it has not opened {receipt} sending", "receipts",
           family=RECEIPTS, applies=None, hit=_is("opened", False), lower_is_better=True,
           parts=Agency),
    Figure("edt-reviewed-on-time", "Out of hours (EDT)",
           "EDT-led records reviewed by the day team by the review date", "records",
           **_record(lambda c: c.reviewed_on <= c.review_due,
                     lambda c: (c.led_by == LedBy.EDT.value) & (c.review_due != None))),  # noqa: E711
    Figure("no-warnings-edt", "Out of hours (EDT)",
           "EDT-led records finalised with no rule warnings", "records",
           **_measured("no-warnings", LedBy.EDT.value)),
    Figure("no-warnings-day-team", "Out of hours (EDT)",
           "Day-team records finalised with no rule warnings", "records",
           **_measured("no-warnings", LedBy.DAY_TEAM.value)),
    Figure("requests-declined", "Requests from partner agencies",
           "Requests for a strategy discussion declined, of those decided", "requests",
           family=REQUESTS, applies=lambda c: c.status != RequestStatus.AWAITING.value,
           hit=_is("status", RequestStatus.DECLINED.value), scoped=False),
    Figure("requests-triaged-on-time", "Requests from partner agencies",
           "Requests decided {triage} being made", "requests", family=REQUESTS,
           applies=lambda c: c.status != RequestStatus.AWAITING.value,
           hit=_is("triaged_in_time", True), scoped=False),
    Figure("requests-by-agency", "Requests from partner agencies",
           "Requests for a strategy discussion, by the agency asking", "requests",
           family=REQUESTS, applies=None, hit=None, scoped=False, parts=Agency),
    Figure("midwifery-unborn", "Unborn children",
           "Records with an unborn child where midwifery is involved", "records",
           **_measured("midwifery-unborn")),
    Figure("prebirth-conference", "Unborn children",
           "Records with an unborn child whose pre-birth conference is by {prebirth} of "
           "pregnancy", "records", **_measured("prebirth-conference")),
    Figure("referrer-told", "Referrers",
           "Records with a named referrer where the referrer was told the outcome", "records",
           **_measured("referrer-told")),
    Figure("icpc-within-limit", "Conferences",
           "Section 47 records with an initial child protection conference {icpc} the "
           "discussion", "records", **_measured("icpc-within-limit")),
    Figure("authorised", "Review and amendment", "Records authorised by a manager", "records",
           **_record(_is("authorised", True))),
    Figure("returned", "Review and amendment", "Records returned to their author", "records",
           **_record(_is("returned", True)), lower_is_better=True),
    Figure("amended", "Review and amendment", "Records amended after finalising", "records",
           **_record(_is("amended", True))),
]
BY_ID = {figure.id: figure for figure in FIGURES}


# --- counting --------------------------------------------------------------------------------


def _scoped(figure: Figure, scope: Scope) -> Scope:
    return scope if figure.scoped else Scope(scope.start, scope.end, today=scope.today)


def _holds(condition, group) -> bool:
    return condition is None or bool(condition(group))


def count_family(session: Session, family: Family, figures: list[Figure], scope: Scope
                  ) -> list[Result]:
    results = [Result(figure, Count(), {}) for figure in figures]
    rows = family.rows(_scoped(figures[0], scope)).subquery()
    keys = [month_of(session, rows.c.day, family.timed).label("month"), rows.c.part,
            *(rows.c[name] for name in family.dimensions)]
    if family.dimensions:
        groups = session.execute(select(*keys, func.count().label("n")).group_by(*keys)).all()
        counted = [(group, [(group.n, group.n if _holds(f.hit, group) else 0)
                            if _holds(f.applies, group) else (0, 0) for f in figures])
                   for group in groups]
    else:  # a row per record and a condition per figure: summed by the database
        sums = []
        for figure in figures:
            applies = figure.applies(rows.c) if figure.applies is not None else true()
            hit = and_(applies, figure.hit(rows.c)) if figure.hit is not None else applies
            # count(*) FILTER: about a third cheaper a row than sum(CASE ...) on PostgreSQL
            sums += [func.count().filter(applies), func.count().filter(hit)]
        groups = session.execute(select(*keys, *sums).group_by(*keys)).all()
        counted = [(group, [(group[2 + 2 * i] or 0, group[3 + 2 * i] or 0)
                            for i in range(len(figures))]) for group in groups]
    for group, counts in counted:
        month = month_key(group.month)
        for result, (applies, hits) in zip(results, counts, strict=True):
            if not applies:
                continue
            buckets = [result.total, result.months.setdefault(month, Count())]
            if result.figure.parts and group.part is not None:
                buckets.append(result.parts.setdefault(group.part, Count()))
                buckets.append(result.month_parts.setdefault(month, {}).setdefault(
                    group.part, Count()))
            for bucket in buckets:
                bucket.denominator += applies
                bucket.numerator += hits
    return results


def apart(session: Session, jobs: list[Callable[[Session], object]]) -> list:
    """Each job's answer, in order: on PostgreSQL two at a time, each in its own session."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql" or len(jobs) < 2:
        return [job(session) for job in jobs]

    def apart(job: Callable[[Session], object]):
        with Session(engine) as own:
            return job(own)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(apart, jobs))


def _behind(figure: Figure, scope: Scope, numerator: bool, part: str | None):
    """The figure's rows for the scope, and the conditions its numerator (or its whole
    denominator, or one agency's part) sets on them: what its counts apply."""
    rows = figure.family.rows(_scoped(figure, scope)).subquery()
    conditions = [rows.c.record_id.is_not(None)]
    if figure.applies is not None:
        conditions.append(figure.applies(rows.c))
    if numerator and figure.hit is not None:
        conditions.append(figure.hit(rows.c))
    if part is not None and figure.parts:
        conditions.append(rows.c.part == part)
    return rows, conditions


def record_ids(figure: Figure, scope: Scope, *, numerator: bool = True,
               part: str | None = None) -> Select:
    """The ids of the records behind a figure's numerator (or its whole denominator, or one
    agency's part), gathered: the same conditions the counts apply. A record counted more
    than once (two actions, two receipts) is named as often, so that the first thousand
    ids come without reading them all."""
    rows, conditions = _behind(figure, scope, numerator, part)
    return select(rows.c.record_id).where(*conditions)


def is_behind(figure: Figure, scope: Scope, record_id: ColumnElement, *, numerator: bool = True,
              part: str | None = None) -> ColumnElement[bool]:
    """Whether the record `record_id` (a column of the list asking) is among `record_ids`,
    as a scalar subquery: the database asks it of each record in turn rather than gathering
    them all first, so a list walking its own order stops at a page (`listing.list_page`)."""
    rows, conditions = _behind(figure, scope, numerator, part)
    return (select(literal(1)).where(rows.c.record_id == record_id, *conditions).limit(1)
            .scalar_subquery().is_not(None))


def behind(figure: Figure, scope: Scope, *, numerator: bool = True,
           part: str | None = None) -> Among:
    """The records behind a figure, as the record list reads them (`among.Among`): where
    the figure's records were all discussed in the period, the list starts at its first day
    and reads a page from the figure's rows in the order of their days (a record being
    amended is listed by its draft, and found wherever that is)."""
    within = by_day = None
    if figure.family.discussed_in_period:
        within = (datetime.combine(scope.start, time()),
                  datetime.combine(scope.end + timedelta(days=1), time()))
        # Each row's day is its record's discussion date (of the version in force): the
        # list's sort date, but for a record being amended.
        rows, conditions = _behind(figure, scope, numerator, part)
        by_day = select(rows.c.record_id, rows.c.day).where(*conditions)
    return Among(ids=record_ids(figure, scope, numerator=numerator, part=part),
                 asked=is_behind(figure, scope, StrategyRecord.id, numerator=numerator,
                                 part=part),
                 within=within, by_day=by_day)


def months_between(start: date, end: date) -> list[str]:
    """Every month of the period as "YYYY-MM", so a month with nothing shows as nothing."""
    months, (year, month) = [], (start.year, start.month)
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
