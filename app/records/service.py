"""Service functions for strategy records: what a write must check and derive, and reading a
record back. The writes themselves (creating, saving, finalising) are in
app/followup/lifecycle.py, above the projection they run in the same transaction.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from app.clock import uk_wall_clock
from app.config import Settings, get_settings
from app.domain.choices import ActionStatus, LedBy
from app.domain.schema import StrategyRecordData
from app.records.models import DamagedRecord, StrategyRecord
from app.rules.completeness import Result, Severity, blocking_failures, evaluate
from app.rules.due_dates import edt_review_due


class StaleRecord(Exception):
    """Someone else saved the record since this copy was loaded."""


class NotEditable(Exception):
    """The record is no longer a draft."""


class Incomplete(Exception):
    """Blocking rules fail, so the record cannot be finalised."""

    def __init__(self, failing: list[Result]):
        super().__init__(f"{len(failing)} blocking rules fail")
        self.failing = failing


def next_due(data: StrategyRecordData) -> date | None:
    """The earliest date something is owed on this record: an open action's due date, the
    day team's review of an EDT-led discussion, the initial conference or the next strategy
    discussion. Past dates count (an overdue action is the most urgent), done and cancelled
    actions do not."""
    dates = [a.due_date for a in data.actions if a.due_date and a.status == ActionStatus.OPEN]
    if data.header.led_by == LedBy.EDT:
        dates.append(data.header.day_team_review_due)
    dates += [data.next_steps.icpc_date, data.next_steps.next_discussion_on]
    return min((d for d in dates if d is not None), default=None)


def children_columns(reference: str, data: StrategyRecordData) -> dict:
    names = [child.name for child in data.children if child.name]
    return {
        "children_names": names,
        "search_text": "\n".join([reference, *names]).lower(),
    }


def retention_columns(data: StrategyRecordData, settings: Settings) -> dict:
    """What the retention rule reads (app/retention/rule.py): the youngest child's date of
    birth and whether any child's is unknown. An unborn child counts as born on the expected
    date of delivery plus the longest a pregnancy runs past it (MAX_GESTATION_WEEKS - 40), so
    a late birth never makes a record due early; an unborn child with no expected date, or a
    child with no date of birth, is unknown (and so is a record with no children)."""
    late = timedelta(weeks=max(0, settings.max_gestation_weeks - 40))
    born = [c.expected_delivery_date + late if c.unborn and c.expected_delivery_date
            else None if c.unborn else c.date_of_birth for c in data.children]
    known = [day for day in born if day is not None]
    return {"youngest_born": max(known, default=None),
            "born_unknown": not data.children or len(known) < len(born)}


def derived_columns(
    reference: str, data: StrategyRecordData, created_at: datetime, settings: Settings
) -> dict:
    """Every read-model column, derived from a validated document. The one definition: the
    service, the 0004 migration's backfill and benchmarks/seed.py all call it.

    Blocking and warning counts are of failures (each is one problem linked to a field), as
    the rules judged them at the last save. `distribution` goes to record_distribution."""
    results = evaluate(data, settings)

    def failures(severity: Severity) -> int:
        return sum(len(r.failures) for r in results if r.rule.severity == severity)

    discussion_at = data.header.discussion_at
    return {
        "led_by": data.header.led_by.value if data.header.led_by else None,
        "discussion_at": discussion_at,
        "sort_at": discussion_at or uk_wall_clock(created_at),
        "outcome": data.decision.outcome.value if data.decision.outcome else None,
        **children_columns(reference, data),
        **retention_columns(data, settings),
        "blocking_failures": failures(Severity.BLOCKING),
        "warnings": failures(Severity.WARNING),
        "next_due": next_due(data),
        "damaged": False,
        "damage_reason": None,
        "distribution": [(r.organisation_id, r.agency.value if r.agency else "other")
                         for r in data.distribution],
    }


def with_review_due(data: StrategyRecordData) -> StrategyRecordData:
    """An EDT-led record's day-team review date, filled in for the user from the discussion
    time when they left it empty (the next working day, by EDT_REVIEW_WORKING_DAYS)."""
    header = data.header
    if header.led_by != LedBy.EDT or header.day_team_review_due or not header.discussion_at:
        return data
    due = edt_review_due(header.discussion_at, get_settings())
    return data.model_copy(update={"header": header.model_copy(update={"day_team_review_due": due})})


MAX_ID = 2**31 - 1  # the largest id either database stores; anything larger does not exist


def get_record(session: Session, record_id: int) -> StrategyRecord | None:
    """The record, checked once: a document that no longer validates is flagged as damaged
    (so lists and administrators see it) and its content answers DamagedRecord."""
    if not 0 < record_id <= MAX_ID:
        return None
    record = session.get(StrategyRecord, record_id)
    return check(session, record) if record is not None else None


def check(session: Session, record: StrategyRecord) -> StrategyRecord:
    """`record`, its document validated: one that no longer validates is flagged as damaged."""
    if not record.damaged:
        try:
            record.content  # noqa: B018  (validates and caches)
        except DamagedRecord as damage:
            mark_damaged(session, record, damage.reason)
    return record


def mark_damaged(session: Session, record: StrategyRecord, reason: str) -> None:
    # Not a save: the revision stays, so nobody's open page is made stale by a read.
    session.execute(
        update(StrategyRecord)
        .where(StrategyRecord.id == record.id)
        .values(damaged=True, damage_reason=reason)
    )
    session.commit()
    session.refresh(record)


def damaged_records(session: Session) -> list[StrategyRecord]:
    return list(session.exec(
        select(StrategyRecord).where(StrategyRecord.damaged).order_by(StrategyRecord.id)
    ))


def check_writable(record: StrategyRecord, expected_revision: int | None) -> None:
    if not record.is_editable:
        raise NotEditable(record.reference)
    if expected_revision is not None and expected_revision != record.revision:
        raise StaleRecord(record.reference)


def completeness(record: StrategyRecord) -> list[Result]:
    return evaluate(record.content, get_settings())


def check_finalisable(record: StrategyRecord, expected_revision: int | None) -> None:
    """Raises what finalising would refuse (not editable, stale, incomplete); finalises nothing."""
    check_writable(record, expected_revision)
    failing = blocking_failures(completeness(record))
    if failing:
        raise Incomplete(failing)


