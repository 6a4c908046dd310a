"""Migration 0006's backfill: records finalised before versions were kept get their version
snapshot (a fact), tracked actions and review columns. Frozen: it keeps its own helpers; the
live service derives the last two in app/followup/projection.py, which re-projects every
record at the head.

It reads and writes only the columns the tables have at this point of the migration history
(later migrations add columns the models already know), so it selects columns, not models.
"""

from types import SimpleNamespace

from pydantic import ValidationError
from sqlalchemy import Connection, insert, inspect, select, update

from app.clock import utc_now
from app.domain.choices import ActionKind, LedBy
from app.domain.schema import StrategyRecordData
from app.followup.models import RecordVersion, TrackedAction
from app.records.models import StrategyRecord
from app.records.view import update_action_text
from app.rules.core import discussion_day
from app.rules.grounds import referrer_feedback_due, referrer_named


def finalised_columns(record, data: StrategyRecordData) -> dict:
    edt = data.header.led_by == LedBy.EDT
    return {
        "latest_final_version": record.version, "authorised_at": None, "authorised_by_id": None,
        "returned_at": None,
        "review_due": data.header.day_team_review_due if edt else None,
        "reviewed_at": None, "reviewed_on": None,
        "referrer_feedback_due": referrer_feedback_due(data),
        "referrer_told_on": (data.grounds.referrer_informed_on
                             if referrer_named(data) and not referrer_feedback_due(data) else None),
    }


def tracked_rows(record, data: StrategyRecordData, version: int) -> list[dict]:
    return [
        {
            "record_id": record.id, "version": version, "position": position,
            "kind": action.kind.value,
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


def _existing(connection: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(table)}


def backfill(connection: Connection) -> None:
    record_columns = _existing(connection, "strategy_record")
    action_columns = _existing(connection, "tracked_action")
    r = StrategyRecord
    finalised = connection.execute(select(
        r.id, r.version, r.team, r.data, r.finalised_at, r.updated_at,
    ).where(r.status != "draft", r.damaged.is_(False))).all()
    for row in finalised:
        try:
            data = StrategyRecordData.model_validate(row.data, context={"stored": True})
        except ValidationError:
            continue
        record = SimpleNamespace(id=row.id, version=row.version, team=row.team)
        at = row.finalised_at or row.updated_at or utc_now()
        connection.execute(insert(RecordVersion.__table__).values(
            record_id=row.id, version=row.version, data=row.data, finalised_at=at))
        actions = [{k: v for k, v in action.items() if k in action_columns}
                   for action in tracked_rows(record, data, row.version)]
        if actions:
            connection.execute(insert(TrackedAction.__table__), actions)
        columns = {k: v for k, v in finalised_columns(record, data).items()
                   if k in record_columns}
        connection.execute(update(r.__table__).where(r.__table__.c.id == row.id).values(columns))
