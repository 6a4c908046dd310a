"""Service functions for strategy records: the one place records are created and changed.

Every write goes through `_write` (or creates the record), then the projection
(app/followup/projection.py) derives the read model (the columns lists and access checks use,
record_distribution, ...) from the stored facts in the same transaction.
"""

from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.models import User
from app.clock import uk_wall_clock, utc_now
from app.config import Settings, get_settings
from app.domain.choices import ActionStatus, LedBy, RecordStatus
from app.domain.schema import StrategyRecordData, with_update_action
from app.organisations import service as directory
from app.records import staff
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


def _dump(data: StrategyRecordData) -> dict:
    return data.model_dump(mode="json")


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


def create_record(
    session: Session,
    *,
    data: StrategyRecordData | None = None,
    team: str | None = None,
    created_by_id: int | None = None,
) -> StrategyRecord:
    data = with_review_due(with_update_action(data or StrategyRecordData()))
    data = directory.named_recipients(session, data)
    data = staff.named_staff(session, data)
    now = utc_now()
    record = StrategyRecord(
        reference=f"pending-{uuid4().hex}",
        data=_dump(data),
        team=team,
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
        sort_at=uk_wall_clock(now),
    )
    session.add(record)
    session.flush()
    record.reference = f"SR-{now.year}-{record.id:05d}"
    session.flush()
    _project(session, record.id)
    session.commit()
    session.refresh(record)
    return record


MAX_ID = 2**31 - 1  # the largest id either database stores; anything larger does not exist


def get_record(session: Session, record_id: int) -> StrategyRecord | None:
    """The record, checked once: a document that no longer validates is flagged as damaged
    (so lists and administrators see it) and its content answers DamagedRecord."""
    if not 0 < record_id <= MAX_ID:
        return None
    record = session.get(StrategyRecord, record_id)
    if record is not None and not record.damaged:
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


def _check_writable(record: StrategyRecord, expected_revision: int | None) -> None:
    if not record.is_editable:
        raise NotEditable(record.reference)
    if expected_revision is not None and expected_revision != record.revision:
        raise StaleRecord(record.reference)


def save_record(
    session: Session,
    *,
    record: StrategyRecord,
    data: StrategyRecordData,
    expected_revision: int | None,
) -> StrategyRecord:
    _check_writable(record, expected_revision)
    data = with_review_due(with_update_action(data, record.content.update_action))
    # An organisation deactivated since it was ticked may stay; none may be newly added.
    data = directory.named_recipients(
        session, data, already=(r.organisation_id for r in record.content.distribution))
    # Likewise a member of staff who has left since they were chosen.
    data = staff.named_staff(session, data, already=staff.staff_ids(record.content))
    return _write(session, record, data, updated_at=utc_now())


def _project(session: Session, record_id: int) -> None:
    from app.followup import projection  # derives from this module's tables and columns

    projection.project(session, record_id)


def _write(
    session: Session, record: StrategyRecord, data: StrategyRecordData, *,
    before_commit=None, **values
) -> StrategyRecord:
    # The revision in the WHERE clause also refuses a save that raced this one. It runs first:
    # its row lock makes a racing save wait here and then find the revision gone, before it
    # touches the record's other rows.
    result = session.execute(
        update(StrategyRecord)
        .where(StrategyRecord.id == record.id, StrategyRecord.revision == record.revision)
        .values(revision=record.revision + 1, data=_dump(data), **values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise StaleRecord(record.reference)
    if before_commit:
        before_commit()
    _project(session, record.id)  # everything derived, from the facts just written
    session.commit()
    session.refresh(record)
    return record


def completeness(record: StrategyRecord) -> list[Result]:
    return evaluate(record.content, get_settings())


def check_finalisable(record: StrategyRecord, expected_revision: int | None) -> None:
    """Raises what finalising would refuse (not editable, stale, incomplete); finalises nothing."""
    _check_writable(record, expected_revision)
    failing = blocking_failures(completeness(record))
    if failing:
        raise Incomplete(failing)


def finalise_record(
    session: Session, *, record: StrategyRecord, expected_revision: int | None,
    finalised_by: User | None = None,
) -> StrategyRecord:
    from app.followup import versions  # its tables refer to this module's
    from app.sending import service as sending

    check_finalisable(record, expected_revision)
    now = utc_now()
    data = record.content
    # The version's snapshot, sending it to the agencies (the outbox) and everything derived
    # from them, all in the same transaction.

    def facts():
        versions.on_finalised(session, record, now, finalised_by)
        sending.on_finalised(session, record, now, finalised_by)

    return _write(session, record, data, before_commit=facts,
                  status=RecordStatus.FINALISED.value, updated_at=now)
