"""The live audit's figures: each of the audits' questions as a numerator over a denominator,
month by month, over every record finalised for a discussion in the chosen period.

Every figure is a *population*: a query yielding one row per thing counted (a record, an
action, a receipt, a request) with the record it belongs to, the day that places it in a
month, and whether it counts towards the numerator. Totals, months and "the records behind
this figure" are all read from that one query, so a figure and its list cannot disagree.
Figures that mirror a completeness rule read record_measure, which the rules filled in when
the version was finalised (app/rules/measures.py); none re-implements a rule.

The cohort is a record's finalised version in force: a record being amended counts as it was
last finalised, and its discussion date places it in a period.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import Select, and_, case, exists, func, select, true
from sqlmodel import Session

from app.config import get_settings
from app.domain.choices import ActionKind, Agency, LedBy, RequestStatus
from app.domain.schema import UK, uk_now
from app.followup import versions
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import StrategyRecord
from app.reports.models import RecordMeasure
from app.requests.models import StrategyRequest
from app.requests.service import triage_due
from app.rules.due_dates import uk_date
from app.rules.workdays import within_working_days
from app.sending.models import RecordReceipt
from app.sending.receipts import flag_cutoff


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
class Figure:
    id: str
    group: str
    # The label, with {placeholders} for the local limits it is judged by (see `label`).
    wording: str
    # What is counted, plural: "records", "actions", "receipts", "requests".
    unit: str
    population: Callable[[Scope], Select]
    # Whether the team and led-by choices narrow it (requests belong to no team).
    scoped: bool = True
    # A figure where a higher share is worse (overdue, late, never opened).
    lower_is_better: bool = False
    # Where set, the population also yields a "part" column (an agency), and the figure is
    # also counted per part: requests by the agency asking, receipts by the agency receiving.
    parts: type | None = None
    # Where set, whether a row counts is judged in Python from the row (a working-day
    # deadline no SQL can work out); only for small populations, such as requests.
    judge: Callable[[object], bool] | None = None

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


# --- populations -----------------------------------------------------------------------------


def _cohort_filter(scope: Scope, measure=RecordMeasure):
    conditions = [measure.discussion_on >= scope.start, measure.discussion_on <= scope.end]
    if scope.team:
        conditions.append(measure.team == scope.team)
    if scope.led_by:
        conditions.append(measure.led_by == scope.led_by)
    return and_(*conditions)


def _measured(name: str, *, led_by: str | None = None, hit=None):
    """Records to which measure `name` applies; counted when it is met (or when `hit`)."""
    def population(scope: Scope) -> Select:
        m = RecordMeasure
        condition = _cohort_filter(scope)
        if led_by:
            condition = and_(condition, m.led_by == led_by)
        statement = select(m.record_id.label("record_id"), m.discussion_on.label("day"),
                           (hit if hit is not None else m.met).label("hit"))
        if hit is not None:
            statement = statement.join(StrategyRecord, StrategyRecord.id == m.record_id)
        return statement.where(m.measure == name, condition)
    return population


def _cohort(scope: Scope):
    return select(RecordMeasure.record_id, RecordMeasure.discussion_on).where(
        RecordMeasure.measure == "record", _cohort_filter(scope)).subquery("cohort")


def _records(hit_of: Callable[[Scope], object], *, extra=None):
    """Every record in the cohort, joined to its row; counted where `hit_of(scope)`."""
    def population(scope: Scope) -> Select:
        cohort = _cohort(scope)
        statement = (select(cohort.c.record_id.label("record_id"),
                            cohort.c.discussion_on.label("day"), hit_of(scope).label("hit"))
                     .join(StrategyRecord, StrategyRecord.id == cohort.c.record_id))
        return statement.where(extra) if extra is not None else statement
    return population


def _actions(kind: str, hit_of: Callable[[Scope], object]):
    """The cohort's tracked actions of `kind` in the version in force."""
    def population(scope: Scope) -> Select:
        cohort = _cohort(scope)
        a = TrackedAction
        return (select(a.record_id.label("record_id"), cohort.c.discussion_on.label("day"),
                       hit_of(scope).label("hit"))
                .join(cohort, cohort.c.record_id == a.record_id)
                .join(StrategyRecord, and_(StrategyRecord.id == a.record_id,
                                           StrategyRecord.latest_final_version == a.version))
                .where(a.kind == kind))
    return population


def _done_by(due_ok: bool):
    def hit(scope: Scope):
        a = TrackedAction
        in_time = a.done_on <= a.due_date
        return and_(a.status == "done", in_time if due_ok else ~in_time)
    return hit


def _receipts_not_opened(scope: Scope) -> Select:
    """Receipts of the version in force of the cohort's records, sent long enough ago to be
    flagged if still unopened (RECEIPT_WORKING_DAYS)."""
    cohort = _cohort(scope)
    r = RecordReceipt
    return (select(r.record_id.label("record_id"), cohort.c.discussion_on.label("day"),
                   r.first_opened_at.is_(None).label("hit"), r.agency.label("part"))
            .join(cohort, cohort.c.record_id == r.record_id)
            .join(StrategyRecord, and_(StrategyRecord.id == r.record_id,
                                       StrategyRecord.latest_final_version == r.version))
            .where(r.sent_at < flag_cutoff(scope.today, get_settings())))


def _requests(hit_of: Callable[[], object], *, triaged_only: bool):
    def population(scope: Scope) -> Select:
        q = StrategyRequest
        conditions = [q.created_at >= _start_of(scope.start), q.created_at < _start_of_next(scope.end)]
        if triaged_only:
            conditions.append(q.status != RequestStatus.AWAITING.value)
        return select(q.record_id.label("record_id"), q.created_at.label("day"),
                      hit_of().label("hit"), q.agency.label("part"), q.id.label("request_id"),
                      q.created_at, q.triaged_at).where(*conditions)
    return population


def _triaged_in_time(row) -> bool:
    return uk_date(row.triaged_at) <= triage_due(row)


def _start_of(day: date) -> datetime:
    """The moment (UTC) the UK day begins: requests are timed, not dated."""
    return datetime.combine(day, time(), UK).astimezone(UTC)


def _start_of_next(day: date) -> datetime:
    return _start_of(date.fromordinal(day.toordinal() + 1))


def _entry_exists(kind: str):
    return lambda scope: exists(select(FollowUpEntry.id).where(
        FollowUpEntry.record_id == StrategyRecord.id, FollowUpEntry.kind == kind))


def _authorised(scope: Scope):
    return exists(select(RecordVersion.id).where(
        RecordVersion.record_id == StrategyRecord.id, RecordVersion.authorised_at.is_not(None)))


FIGURES: list[Figure] = [
    Figure("participants-recorded", "Who took part",
           "Records where every participant's agency, role, contribution mode and time are "
           "recorded", "records", _measured("participants-recorded")),
    Figure("outside-contributions", "Who took part",
           "Records with contributions made outside the meeting (phone, email or report)",
           "records", _measured("outside-contributions")),
    Figure("agency-positions", "Every agency's position",
           "Records with every involved agency's position recorded", "records",
           _measured("agency-positions")),
    Figure("no-concerns-recorded", "Every agency's position",
           "Records that record an agency with no safeguarding concerns", "records",
           _measured("no-concerns-recorded")),
    Figure("not-contacted-reasons", "Every agency's position",
           "Records with an agency not contacted that say why for each", "records",
           _measured("not-contacted-reasons")),
    Figure("experience-recorded", "The child's experience",
           "Records with every child's experience recorded", "records",
           _measured("experience-recorded")),
    Figure("experience-observed", "The child's experience",
           "Records with a child who cannot speak (unborn, young, pre-verbal or non-verbal) "
           "that give an observation-based account", "records", _measured("experience-observed")),
    Figure("update-on-time", "Agencies told the outcome",
           "Update-all-agencies actions done by their date", "actions",
           _actions(ActionKind.UPDATE_AGENCIES.value, _done_by(True))),
    Figure("update-late", "Agencies told the outcome",
           "Update-all-agencies actions done after their date", "actions",
           _actions(ActionKind.UPDATE_AGENCIES.value, _done_by(False)), lower_is_better=True),
    Figure("update-overdue", "Agencies told the outcome",
           "Update-all-agencies actions still open and overdue", "actions",
           _actions(ActionKind.UPDATE_AGENCIES.value, lambda scope: and_(
               TrackedAction.status == "open", TrackedAction.due_date < scope.today)),
           lower_is_better=True),
    Figure("cancellation-told", "Agencies told the outcome",
           "Cancelled further discussions where agencies were told of the cancellation",
           "actions", _actions(versions.CANCELLATION_UPDATE, lambda scope: TrackedAction.status == "done")),
    Figure("sent-on-time", "Agencies told the outcome",
           "Records sent to their agencies {send} the discussion",
           "records", _records(lambda scope: StrategyRecord.sent_late.is_(False))),
    Figure("never-opened", "Agencies told the outcome",
           "Records sent to an agency that it has not opened {receipt} sending",
           "receipts", _receipts_not_opened, lower_is_better=True, parts=Agency),
    Figure("edt-reviewed-on-time", "Out of hours (EDT)",
           "EDT-led records reviewed by the day team by the review date", "records",
           _records(lambda scope: StrategyRecord.reviewed_on <= StrategyRecord.review_due,
                    extra=and_(StrategyRecord.led_by == LedBy.EDT.value,
                               StrategyRecord.review_due.is_not(None)))),
    Figure("no-warnings-edt", "Out of hours (EDT)",
           "EDT-led records finalised with no rule warnings", "records",
           _measured("no-warnings", led_by=LedBy.EDT.value)),
    Figure("no-warnings-day-team", "Out of hours (EDT)",
           "Day-team records finalised with no rule warnings", "records",
           _measured("no-warnings", led_by=LedBy.DAY_TEAM.value)),
    Figure("requests-declined", "Requests from partner agencies",
           "Requests for a strategy discussion declined, of those decided", "requests",
           _requests(lambda: StrategyRequest.status == RequestStatus.DECLINED.value,
                     triaged_only=True), scoped=False),
    Figure("requests-triaged-on-time", "Requests from partner agencies",
           "Requests decided {triage} being made", "requests",
           _requests(true, triaged_only=True), scoped=False, judge=_triaged_in_time),
    Figure("requests-by-agency", "Requests from partner agencies",
           "Requests for a strategy discussion, by the agency asking", "requests",
           _requests(true, triaged_only=False), scoped=False, parts=Agency),
    Figure("midwifery-unborn", "Unborn children",
           "Records with an unborn child where midwifery is involved", "records",
           _measured("midwifery-unborn")),
    Figure("prebirth-conference", "Unborn children",
           "Records with an unborn child whose pre-birth conference is by {prebirth} of "
           "pregnancy", "records", _measured("prebirth-conference")),
    Figure("referrer-told", "Referrers",
           "Records with a named referrer where the referrer was told the outcome", "records",
           _measured("referrer-told", hit=~StrategyRecord.referrer_feedback_due)),
    Figure("icpc-within-limit", "Conferences",
           "Section 47 records with an initial child protection conference {icpc} the "
           "discussion", "records", _measured("icpc-within-limit")),
    Figure("authorised", "Review and amendment", "Records authorised by a manager", "records",
           _records(_authorised)),
    Figure("returned", "Review and amendment", "Records returned to their author", "records",
           _records(_entry_exists("returned")), lower_is_better=True),
    Figure("amended", "Review and amendment", "Records amended after finalising", "records",
           _records(_entry_exists("amended"))),
]
BY_ID = {figure.id: figure for figure in FIGURES}


# --- counting ----------------------------------------------------------------------------


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _scoped(figure: Figure, scope: Scope) -> Scope:
    return scope if figure.scoped else Scope(scope.start, scope.end, today=scope.today)


def count(session: Session, figure: Figure, scope: Scope) -> Result:
    population = figure.population(_scoped(figure, scope)).subquery()
    result = Result(figure, Count(), {})
    if figure.judge is not None:
        for row in session.execute(select(population)).all():
            hit = figure.judge(row)
            for bucket in (result.total, result.months.setdefault(
                    f"{row.day:%Y-%m}", Count())):
                bucket.denominator += 1
                bucket.numerator += hit
        return result
    month = _month(session, population.c.day)
    hits = func.sum(case((population.c.hit, 1), else_=0))
    keys = [month] + ([population.c.part] if figure.parts else [])
    for row in session.execute(select(*keys, func.count(), hits).group_by(*keys)).all():
        key, *part, denominator, numerator = row
        for bucket in [result.total, result.months.setdefault(key, Count()),
                       *([result.parts.setdefault(part[0], Count())] if part else [])]:
            bucket.denominator += denominator
            bucket.numerator += numerator or 0
    return result


def report(session: Session, scope: Scope) -> list[Result]:
    return [count(session, figure, scope) for figure in FIGURES]


def record_ids(session: Session, figure: Figure, scope: Scope, *, numerator: bool = True,
               part: str | None = None) -> Select:
    """The ids of the records behind a figure's numerator (or its whole denominator), as a
    query the record list can filter by."""
    population = figure.population(_scoped(figure, scope)).subquery()
    conditions = [population.c.record_id.is_not(None)]
    if numerator and figure.judge is None:
        conditions.append(population.c.hit)
    if part is not None and figure.parts:
        conditions.append(population.c.part == part)
    statement = select(population.c.record_id).where(*conditions).distinct()
    if numerator and figure.judge is not None:
        ids = [row.record_id for row in session.execute(select(population)).all()
               if row.record_id is not None and figure.judge(row)]
        return select(StrategyRecord.id).where(StrategyRecord.id.in_(ids or [-1]))
    return statement


def months_between(start: date, end: date) -> list[str]:
    """Every month of the period as "YYYY-MM", so a month with nothing shows as nothing."""
    months, (year, month) = [], (start.year, start.month)
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def common_return_reasons(session: Session, scope: Scope, limit: int = 5) -> list[tuple[str, int]]:
    """The comments managers most often returned records with (the same words, ignoring case
    and spacing), for the cohort's records."""
    cohort = _cohort(scope)
    comments = session.execute(select(FollowUpEntry.details).join(
        cohort, cohort.c.record_id == FollowUpEntry.record_id).where(
        FollowUpEntry.kind == "returned")).scalars()
    counted: Counter = Counter()
    shown: dict[str, str] = {}
    for details in comments:
        text = " ".join(str((details or {}).get("comments") or "").split())
        if text:
            counted[text.casefold()] += 1
            shown.setdefault(text.casefold(), text)
    return [(shown[key], n) for key, n in counted.most_common(limit)]


def referrer_days(session: Session, scope: Scope) -> float | None:
    """On average, how many days after the discussion referrers were told the outcome."""
    m, r = RecordMeasure, StrategyRecord
    if session.get_bind().dialect.name == "postgresql":
        days = r.referrer_told_on - m.discussion_on
    else:
        days = func.julianday(r.referrer_told_on) - func.julianday(m.discussion_on)
    value = session.execute(select(func.avg(days)).select_from(m).join(r, r.id == m.record_id).where(
        m.measure == "referrer-told", _cohort_filter(scope),
        r.referrer_told_on.is_not(None))).scalar()
    return round(float(value), 1) if value is not None else None


def triage_hours(session: Session, scope: Scope) -> float | None:
    """The median hours from a request to its decision, for requests made in the period."""
    q = StrategyRequest
    rows = session.execute(select(q.created_at, q.triaged_at).where(
        q.created_at >= _start_of(scope.start), q.created_at < _start_of_next(scope.end),
        q.triaged_at.is_not(None))).all()
    hours = sorted((row.triaged_at - row.created_at).total_seconds() / 3600 for row in rows)
    if not hours:
        return None
    middle = len(hours) // 2
    median = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    return round(median, 1)
