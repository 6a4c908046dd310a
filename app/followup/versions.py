"""Versions: each finalised version's snapshot, and what follow-up adds on top of it.

`strategy_record` holds the current version (a draft while it is being amended or after it
was returned); `record_version` holds every finalised version as it was finalised. Follow-up
never edits a snapshot: `effective_data` lays the follow-up entries over it (actions done or
cancelled, the referrer told, the cancellation's update action), for the rules, the read
model and an amendment's starting point.
"""

from datetime import datetime

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.auth.models import User
from app.domain.choices import RecordStatus
from app.domain.schema import StrategyRecordData
from app.followup import projection
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import StrategyRecord


def on_finalised(session: Session, record: StrategyRecord, at: datetime, by: User | None) -> None:
    """Called inside the finalise's transaction: the version's snapshot and its timeline entry
    (the facts; the projection derives the rest from them)."""
    session.add(RecordVersion(record_id=record.id, version=record.version, data=record.data,
                              finalised_at=at, finalised_by_id=by.id if by else None))
    session.add(FollowUpEntry(record_id=record.id, version=record.version, kind="finalised",
                              at=at, by_id=by.id if by else None,
                              by_name=by.display_name if by else "", details={}))


def user_name(session: Session, user_id: int | None) -> str | None:
    """The display name of the user with this id, if there is one."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.display_name if user else None


def snapshots(session: Session, record_id: int) -> list[tuple[RecordVersion, str | None]]:
    """The record's versions, oldest first, each with the display name of who finalised it
    (if known), without their documents (a page lists them: it never prints one; reading
    `data` of these raises instead of reading it one by one)."""
    return [(version, name) for version, name in session.execute(
        select(RecordVersion, User.display_name)
        .outerjoin(User, User.id == RecordVersion.finalised_by_id)
        .where(RecordVersion.record_id == record_id)
        .options(defer(RecordVersion.data, raiseload=True))
        .order_by(RecordVersion.version))]


def snapshot(session: Session, record_id: int, version: int) -> RecordVersion | None:
    return session.exec(select(RecordVersion).where(
        RecordVersion.record_id == record_id, RecordVersion.version == version)).first()


def status_of(version: RecordVersion) -> RecordStatus:
    if version.superseded_by:
        return RecordStatus.AMENDED
    return RecordStatus.AUTHORISED if version.authorised_at else RecordStatus.FINALISED


def version_record(record: StrategyRecord, version: RecordVersion) -> StrategyRecord:
    """A finalised version as a (detached, never stored) record, for its page and its PDF."""
    return StrategyRecord(
        id=record.id, reference=record.reference, status=status_of(version).value,
        version=version.version, revision=record.revision, data=version.data, team=record.team,
        created_by_id=record.created_by_id, created_at=record.created_at,
        updated_at=version.finalised_at, finalised_at=version.finalised_at,
        sort_at=record.sort_at, led_by=record.led_by,
        latest_final_version=record.latest_final_version,
    )


def tracked_actions(session: Session, record_id: int, version: int) -> list[TrackedAction]:
    return list(session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.version == version)
        .order_by(TrackedAction.position)))


def entries(session: Session, record_id: int) -> list[FollowUpEntry]:
    return list(session.exec(select(FollowUpEntry).where(FollowUpEntry.record_id == record_id)
                             .order_by(FollowUpEntry.at, FollowUpEntry.id)))


def effective_data(session: Session, record: StrategyRecord) -> StrategyRecordData:
    """The current version with what happened after it laid over it (its actions' progress
    and re-dating, the referrer told), as projected; a draft as it stands."""
    data = record.content
    if record.status == RecordStatus.DRAFT:
        return data
    rows = [{"status": row.status, "due_date": row.due_date}
            for row in tracked_actions(session, record.id, record.version)]
    told = [e for e in entries(session, record.id)
            if e.kind == "referrer_told" and e.version <= record.version]
    return projection.effective(data, rows, told[-1] if told else None)
