"""Keeping the report's read model (record_measure) in step with each record's finalised
version, inside the transaction that finalises or returns it."""

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.config import get_settings
from app.domain.choices import LedBy
from app.domain.schema import StrategyRecordData, uk_now
from app.followup.models import FollowUpEntry, RecordVersion
from app.records.models import StrategyRecord
from app.reports.models import MEASURE_COLUMNS, RecordMeasure
from app.rules.completeness import evaluate
from app.rules.measures import measure


def measure_row(record_id: int, version: int, team: str | None, data: StrategyRecordData,
                **after) -> dict | None:
    """The row for one finalised version, with what happened after the meeting (`after`:
    sent_late, reviewed_on, authorised, returned); None for a version with no discussion date
    (it belongs to no period)."""
    if data.header.discussion_at is None:
        return None
    settings, today = get_settings(), uk_now().date()
    met = measure(data, evaluate(data, settings, today=today), settings, today)
    return {
        "record_id": record_id, "version": version, "team": team,
        "discussion_on": data.header.discussion_at.date(),
        "led_by": data.header.led_by.value if data.header.led_by else None,
        "review_due": data.header.day_team_review_due if data.header.led_by == LedBy.EDT else None,
        "sent_late": None, "reviewed_on": None, "authorised": False, "returned": False,
        "referrer_told_on": None,
        **after,
        **{column: met.get(name) for name, column in MEASURE_COLUMNS.items()},
    }


def store_measures(session: Session, record_id: int, version: int | None, team: str | None,
                   data: StrategyRecordData | None) -> None:
    """Replace the record's row with that of `data`, the version now in force (None when no
    finalised version is in force: the record leaves the report)."""
    session.execute(delete(RecordMeasure).where(RecordMeasure.record_id == record_id))
    row = measure_row(record_id, version, team, data, **_after(session, record_id, version)
                      ) if data is not None else None
    if row:
        session.execute(insert(RecordMeasure), [row])


def referrer_told(session: Session, record_id: int, told_on) -> None:
    """The referrer was told after the record was finalised (follow-up): the live audit's
    referrer measure is met from now on (where it applies)."""
    session.execute(update(RecordMeasure).where(
        RecordMeasure.record_id == record_id, RecordMeasure.m_referrer_told.is_not(None),
    ).values(m_referrer_told=True, referrer_told_on=told_on))


def _after(session: Session, record_id: int, version: int) -> dict:
    """What has happened to the record since its meeting, as the services recorded it."""
    sent_late, reviewed_on, told_on = session.execute(select(
        StrategyRecord.sent_late, StrategyRecord.reviewed_on, StrategyRecord.referrer_told_on
    ).where(StrategyRecord.id == record_id)).one()
    authorised = session.execute(select(RecordVersion.id).where(
        RecordVersion.record_id == record_id, RecordVersion.version == version,
        RecordVersion.authorised_at.is_not(None))).first() is not None
    returned = session.execute(select(FollowUpEntry.id).where(
        FollowUpEntry.record_id == record_id, FollowUpEntry.kind == "returned")).first()
    return {"sent_late": sent_late, "reviewed_on": reviewed_on, "authorised": authorised,
            "returned": returned is not None, "referrer_told_on": told_on}


def happened(session: Session, record_id: int, **facts) -> None:
    """Something happened after the meeting (first sent, reviewed, authorised): the live
    audit's row says so from now on."""
    session.execute(update(RecordMeasure).where(RecordMeasure.record_id == record_id)
                    .values(**facts))
