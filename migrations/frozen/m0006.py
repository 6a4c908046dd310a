"""Migration 0006's backfill: records finalised before versions were kept get their version
snapshot (a fact), tracked actions and review columns. Frozen: it imports nothing from the
application (the schema and rules are the copy in migrations/frozen/v0015); the live service
derives the last two in app/followup/projection.py, which re-projects every record at the head.

It reads and writes only the columns the tables have at this point of the migration history,
reflecting the tables as they are, never the application's models.
"""

from types import SimpleNamespace

from pydantic import ValidationError
from sqlalchemy import Connection, MetaData, insert, select, update

from migrations.frozen.v0015.clock import utc_now
from migrations.frozen.v0015.config import get_settings
from migrations.frozen.v0015.domain.choices import ActionKind, LedBy
from migrations.frozen.v0015.domain.schema import StrategyRecordData
from migrations.frozen.v0015.records.view import update_action_text
from migrations.frozen.v0015.rules.core import discussion_day
from migrations.frozen.v0015.rules.grounds import referrer_feedback_due, referrer_named


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


def backfill(connection: Connection) -> None:
    get_settings.cache_clear()  # the environment as it is now, not as a test left it
    tables = MetaData()
    tables.reflect(connection, only=["strategy_record", "record_version", "tracked_action"])
    r, versions, tracked = (tables.tables[name] for name in (
        "strategy_record", "record_version", "tracked_action"))
    record_columns, action_columns = set(r.c.keys()), set(tracked.c.keys())
    finalised = connection.execute(select(
        r.c.id, r.c.version, r.c.team, r.c.data, r.c.finalised_at, r.c.updated_at,
    ).where(r.c.status != "draft", r.c.damaged.is_(False))).all()
    for row in finalised:
        try:
            data = StrategyRecordData.model_validate(row.data, context={"stored": True})
        except ValidationError:
            continue
        record = SimpleNamespace(id=row.id, version=row.version, team=row.team)
        at = row.finalised_at or row.updated_at or utc_now()
        connection.execute(insert(versions).values(
            record_id=row.id, version=row.version, data=row.data, finalised_at=at))
        actions = [{k: v for k, v in action.items() if k in action_columns}
                   for action in tracked_rows(record, data, row.version)]
        if actions:
            connection.execute(insert(tracked), actions)
        columns = {k: v for k, v in finalised_columns(record, data).items()
                   if k in record_columns}
        connection.execute(update(r).where(r.c.id == row.id).values(columns))
