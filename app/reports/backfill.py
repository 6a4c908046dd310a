"""Migration 0009's backfill: records finalised before the report existed get its rows and
dates from what is stored. Frozen: it keeps its own helpers (the live service derives all of
this in app/followup/projection.py, which re-projects every record at the head)."""

from datetime import date

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, update
from sqlmodel import Session, select

from app.config import get_settings
from app.domain.schema import StrategyRecordData
from app.followup.measure_row import measure_row
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import StrategyRecord
from app.requests.models import StrategyRequest
from app.requests.service import decided_in_time
from app.rules.due_dates import sent_late
from app.rules.grounds import referrer_feedback_due, referrer_named
from app.sending.models import RecordReceipt


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def store_measures(session: Session, record_id: int, version: int | None, team: str | None,
                   data: StrategyRecordData | None) -> None:
    session.execute(delete(RecordMeasure).where(RecordMeasure.record_id == record_id))
    row = measure_row(record_id, version, team, data, **_after(session, record_id, version)
                      ) if data is not None else None
    if row:
        session.execute(insert(RecordMeasure), [row])


def referrer_told(session: Session, record_id: int, told_on) -> None:
    session.execute(update(RecordMeasure).where(
        RecordMeasure.record_id == record_id, RecordMeasure.m_referrer_told.is_not(None),
    ).values(m_referrer_told=True, referrer_told_on=told_on))


def _after(session: Session, record_id: int, version: int) -> dict:
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


def backfill(connection: Connection) -> None:
    settings = get_settings()
    with Session(bind=connection) as session:
        entries = session.exec(select(FollowUpEntry).where(FollowUpEntry.kind.in_(
            ("edt_review", "referrer_told", "action_done")))).all()
        told: dict[int, date | None] = {}  # referrers told by follow-up (measure met below)
        for entry in entries:
            if entry.kind == "edt_review":
                session.execute(update(StrategyRecord).where(
                    StrategyRecord.id == entry.record_id, StrategyRecord.reviewed_at.is_not(None))
                    .values(reviewed_on=_day(entry.details.get("reviewed_on"))))
            elif entry.kind == "referrer_told":
                session.execute(update(StrategyRecord).where(
                    StrategyRecord.id == entry.record_id)
                    .values(referrer_told_on=_day(entry.details.get("told_on"))))
                told[entry.record_id] = _day(entry.details.get("told_on"))
            else:
                session.execute(update(TrackedAction).where(
                    TrackedAction.record_id == entry.record_id,
                    TrackedAction.version == entry.version,
                    TrackedAction.position == entry.action_position)
                    .values(done_on=_day(entry.details.get("done_on"))))
        q = StrategyRequest
        for req in session.execute(select(q.id, q.created_at, q.triaged_at).where(
                q.triaged_at.is_not(None))).all():
            session.execute(update(q).where(q.id == req.id).values(
                triaged_in_time=decided_in_time(req, req.triaged_at, settings)))
        first_sent = session.execute(select(
            RecordReceipt.record_id, StrategyRecord.discussion_at, RecordReceipt.sent_at).join(
            StrategyRecord, StrategyRecord.id == RecordReceipt.record_id)
            .order_by(RecordReceipt.record_id, RecordReceipt.sent_at)).all()
        timed: set[int] = set()
        for record_id, discussion_at, sent_at in first_sent:
            if record_id not in timed:
                timed.add(record_id)
                session.execute(update(StrategyRecord).where(StrategyRecord.id == record_id)
                                .values(sent_late=sent_late(discussion_at, sent_at, settings)))
        in_force = session.execute(select(StrategyRecord.id, RecordVersion.version,
                                          StrategyRecord.team, RecordVersion.data).join(
            RecordVersion, (RecordVersion.record_id == StrategyRecord.id)
            & (RecordVersion.version == StrategyRecord.latest_final_version))).all()
        for record_id, version, team, stored in in_force:
            try:
                data = StrategyRecordData.model_validate(stored, context={"stored": True})
            except ValidationError:
                continue  # a damaged version stays out of the report, as it is out of lists
            if referrer_named(data) and not referrer_feedback_due(data):
                session.execute(update(StrategyRecord).where(StrategyRecord.id == record_id)
                                .values(referrer_told_on=data.grounds.referrer_informed_on))
            store_measures(session, record_id, version, team, data)
            day = data.header.discussion_at.date() if data.header.discussion_at else None
            for table in (TrackedAction, RecordReceipt):
                session.execute(update(table).where(table.record_id == record_id,
                                                    table.version == version)
                                .values(discussion_on=day))
        for record_id, told_on in told.items():
            referrer_told(session, record_id, told_on)
        session.flush()
