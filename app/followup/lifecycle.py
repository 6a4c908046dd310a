"""Creating, saving and finalising a record: the one place records are written.

Every write goes through `_write` (or creates the record), then the projection
(app/followup/projection.py) derives the read model (the columns lists and access checks use,
record_distribution, ...) from the stored facts in the same transaction. It sits above the
projection, the versions and sending, which it runs; app/records/service.py holds what a write
checks and derives.
"""

from uuid import uuid4

from sqlalchemy import update
from sqlmodel import Session

from app.auth.models import User
from app.clock import uk_wall_clock, utc_now
from app.domain.choices import RecordStatus
from app.domain.schema import StrategyRecordData, with_update_action
from app.followup import projection, versions
from app.organisations import service as directory
from app.records import staff
from app.records.models import StrategyRecord
from app.records.service import (
    StaleRecord,
    check_finalisable,
    check_writable,
    with_review_due,
)
from app.sending import service as sending


def _dump(data: StrategyRecordData) -> dict:
    return data.model_dump(mode="json")


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


def save_record(
    session: Session,
    *,
    record: StrategyRecord,
    data: StrategyRecordData,
    expected_revision: int | None,
) -> StrategyRecord:
    check_writable(record, expected_revision)
    data = with_review_due(with_update_action(data, record.content.update_action))
    # An organisation deactivated since it was ticked may stay; none may be newly added.
    data = directory.named_recipients(
        session, data, already=(r.organisation_id for r in record.content.distribution))
    # Likewise a member of staff who has left since they were chosen.
    data = staff.named_staff(session, data, already=staff.staff_ids(record.content))
    return _write(session, record, data, updated_at=utc_now())


def _project(session: Session, record_id: int) -> None:
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


def finalise_record(
    session: Session, *, record: StrategyRecord, expected_revision: int | None,
    finalised_by: User | None = None,
) -> StrategyRecord:
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
