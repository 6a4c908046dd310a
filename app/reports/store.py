"""Keeping the report's read model (record_measure) in step with each record's finalised
version, inside the transaction that finalises or returns it."""

from sqlalchemy import delete, insert, update
from sqlmodel import Session

from app.config import get_settings
from app.domain.schema import StrategyRecordData, uk_now
from app.reports.models import RecordMeasure
from app.rules.completeness import evaluate
from app.rules.measures import measure


def measure_rows(record_id: int, version: int, team: str | None, data: StrategyRecordData
                 ) -> list[dict]:
    """The rows for one finalised version; none for a version with no discussion date (it
    belongs to no period)."""
    if data.header.discussion_at is None:
        return []
    settings, today = get_settings(), uk_now().date()
    met = measure(data, evaluate(data, settings, today=today), settings, today)
    common = {
        "record_id": record_id, "version": version, "team": team,
        "discussion_on": data.header.discussion_at.date(),
        "led_by": data.header.led_by.value if data.header.led_by else None,
    }
    return [{**common, "measure": name, "met": value} for name, value in met.items()]


def store_measures(session: Session, record_id: int, version: int | None, team: str | None,
                   data: StrategyRecordData | None) -> None:
    """Replace the record's rows with those of `data`, the version now in force (None when
    no finalised version is in force: the record leaves the report)."""
    session.execute(delete(RecordMeasure).where(RecordMeasure.record_id == record_id))
    rows = measure_rows(record_id, version, team, data) if data is not None else []
    if rows:
        session.execute(insert(RecordMeasure), rows)


def referrer_told(session: Session, record_id: int) -> None:
    """The referrer was told after the record was finalised (follow-up): the live audit's
    referrer measure is met from now on."""
    session.execute(update(RecordMeasure).where(
        RecordMeasure.record_id == record_id, RecordMeasure.measure == "referrer-told",
    ).values(met=True))
