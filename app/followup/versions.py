"""Versions: each finalised version's snapshot, and what follow-up adds on top of it.

`strategy_record` holds the current version (a draft while it is being amended or after it
was returned); `record_version` holds every finalised version as it was finalised. Follow-up
never edits a snapshot: `effective_data` lays the follow-up entries over it (actions done or
cancelled, the referrer told, the cancellation's update action), for the rules, the read
model and an amendment's starting point.
"""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.auth.models import User
from app.domain.choices import ActionKind, ActionStatus, LedBy, RecordStatus
from app.domain.schema import Action, StrategyRecordData
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import StrategyRecord
from app.records.view import update_action_text
from app.reports.store import store_measures
from app.rules.core import discussion_day
from app.rules.grounds import referrer_feedback_due, referrer_named

CANCELLATION_UPDATE = "cancellation_update"


def as_utc(moment: datetime | None) -> datetime | None:
    # SQLite hands stored UTC times back without a zone.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def finalised_columns(record: StrategyRecord, data: StrategyRecordData) -> dict:
    """The review columns a finalise sets (the manager's page counts them)."""
    edt = data.header.led_by == LedBy.EDT
    return {
        "latest_final_version": record.version,
        "authorised_at": None,
        "authorised_by_id": None,
        "returned_at": None,
        "review_due": data.header.day_team_review_due if edt else None,
        "reviewed_at": None,
        "reviewed_on": None,
        "referrer_feedback_due": referrer_feedback_due(data),
        "referrer_told_on": (data.grounds.referrer_informed_on
                             if referrer_named(data) and not referrer_feedback_due(data) else None),
    }


def tracked_rows(record: StrategyRecord, data: StrategyRecordData, version: int) -> list[dict]:
    return [
        {
            "record_id": record.id, "version": version, "position": position,
            "kind": action.kind.value,
            # The update-all-agencies action reads as its whole sentence, date included.
            "description": (update_action_text(action)
                            if action.kind == ActionKind.UPDATE_AGENCIES
                            else action.description or ""),
            "owner": action.owner, "agency": action.agency.value if action.agency else None,
            "team": record.team, "led_by": data.header.led_by.value if data.header.led_by else None,
            "due_date": action.due_date, "status": action.status.value,
            "discussion_on": discussion_day(data),
        }
        for position, action in enumerate(data.actions)
    ]


def on_finalised(session: Session, record: StrategyRecord, data: StrategyRecordData,
                 at: datetime, by: User | None) -> None:
    """Called inside the finalise's transaction: snapshot the version, track its actions."""
    session.add(RecordVersion(record_id=record.id, version=record.version, data=record.data,
                              finalised_at=at, finalised_by_id=by.id if by else None))
    for row in tracked_rows(record, data, record.version):
        session.add(TrackedAction(**row))
    store_measures(session, record.id, record.version, record.team, data)
    earlier = session.exec(select(RecordVersion).where(
        RecordVersion.record_id == record.id, RecordVersion.version < record.version,
        col(RecordVersion.superseded_by).is_(None))).all()
    for snapshot in earlier:
        snapshot.superseded_by, snapshot.superseded_at = record.version, at
        session.add(snapshot)
    session.add(FollowUpEntry(record_id=record.id, version=record.version, kind="finalised",
                              at=at, by_id=by.id if by else None,
                              by_name=by.display_name if by else "", details={}))


def finalised_by_name(session: Session, record: StrategyRecord) -> str | None:
    """Who finalised the record's current version (the snapshot's finaliser), if known."""
    if record.status == RecordStatus.DRAFT:
        return None
    found = snapshot(session, record.id, record.version)
    if found is None or found.finalised_by_id is None:
        return None
    user = session.get(User, found.finalised_by_id)
    return user.display_name if user else None


def snapshots(session: Session, record_id: int) -> list[RecordVersion]:
    return list(session.exec(select(RecordVersion).where(RecordVersion.record_id == record_id)
                             .order_by(RecordVersion.version)))


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
    """The current version with its follow-up laid over it (never stored in the snapshot)."""
    data = record.content
    if record.status == RecordStatus.DRAFT:
        return data
    tracked = tracked_actions(session, record.id, record.version)
    actions = list(data.actions)
    for row in tracked:
        if row.position < len(actions):
            actions[row.position] = actions[row.position].model_copy(
                update={"status": ActionStatus(row.status)})
        else:  # added after finalisation: the cancellation's update action
            actions.append(Action(kind=ActionKind.TASK, description=row.description,
                                  owner=row.owner, agency=row.agency, due_date=row.due_date,
                                  status=ActionStatus(row.status)))
    grounds = data.grounds
    told = [e for e in entries(session, record.id)
            if e.kind == "referrer_told" and e.version == record.version]
    if told:
        details = told[-1].details
        grounds = grounds.model_copy(update={
            "referrer_informed_on": datetime.fromisoformat(details["told_on"]).date(),
            "referrer_informed_how": details["how"][:200],
        })
    return data.model_copy(update={"actions": actions, "grounds": grounds})
