"""Service functions for strategy records: the one place records are created and changed."""

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import update
from sqlmodel import Session, select

from app.config import get_settings
from app.records.choices import RecordStatus
from app.records.models import StrategyRecord
from app.records.schema import StrategyRecordData, with_update_action
from app.rules.completeness import Result, blocking_failures, evaluate


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


def create_record(
    session: Session,
    *,
    data: StrategyRecordData | None = None,
    team: str | None = None,
    created_by_id: int | None = None,
) -> StrategyRecord:
    data = with_update_action(data or StrategyRecordData())
    now = datetime.now(UTC)
    record = StrategyRecord(
        reference=f"pending-{uuid4().hex}",
        data=_dump(data),
        team=team,
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    record.reference = f"SR-{now.year}-{record.id:05d}"
    session.commit()
    session.refresh(record)
    return record


MAX_ID = 2**31 - 1  # the largest id either database stores; anything larger does not exist


def get_record(session: Session, record_id: int) -> StrategyRecord | None:
    if not 0 < record_id <= MAX_ID:
        return None
    return session.get(StrategyRecord, record_id)


def list_records(session: Session) -> list[StrategyRecord]:
    return list(session.exec(select(StrategyRecord).order_by(StrategyRecord.id.desc())))


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
    data = with_update_action(data, record.content.update_action)
    return _write(session, record, data=_dump(data), updated_at=datetime.now(UTC))


def _write(session: Session, record: StrategyRecord, **values) -> StrategyRecord:
    # The revision in the WHERE clause also refuses a save that raced this one.
    result = session.execute(
        update(StrategyRecord)
        .where(StrategyRecord.id == record.id, StrategyRecord.revision == record.revision)
        .values(revision=record.revision + 1, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise StaleRecord(record.reference)
    session.commit()
    session.refresh(record)
    return record


def completeness(record: StrategyRecord) -> list[Result]:
    return evaluate(record.content, get_settings())


def finalise_record(
    session: Session, *, record: StrategyRecord, expected_revision: int | None
) -> StrategyRecord:
    _check_writable(record, expected_revision)
    failing = blocking_failures(completeness(record))
    if failing:
        raise Incomplete(failing)
    now = datetime.now(UTC)
    return _write(
        session, record, status=RecordStatus.FINALISED.value, finalised_at=now, updated_at=now
    )
