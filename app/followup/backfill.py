"""Migration 0006's backfill: records finalised before versions were kept get their version
snapshot, tracked actions and review columns, as if finalised under this code."""

from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlmodel import Session, select

from app.followup import versions
from app.followup.models import RecordVersion, TrackedAction
from app.records.models import DamagedRecord, StrategyRecord


def backfill(connection: Connection) -> None:
    with Session(bind=connection) as session:
        finalised = session.exec(select(StrategyRecord).where(
            StrategyRecord.status != "draft", StrategyRecord.damaged.is_(False))).all()
        for record in finalised:
            try:
                data = record.content
            except DamagedRecord:
                continue
            at = record.finalised_at or record.updated_at or datetime.now(UTC)
            session.add(RecordVersion(record_id=record.id, version=record.version,
                                      data=record.data, finalised_at=at))
            for row in versions.tracked_rows(record, data, record.version):
                session.add(TrackedAction(**row))
            for name, value in versions.finalised_columns(record, data).items():
                setattr(record, name, value)
            session.add(record)
        session.flush()
