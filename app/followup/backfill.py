"""Migration 0006's backfill: records finalised before versions were kept get their version
snapshot, tracked actions and review columns, as if finalised under this code.

It reads and writes only the columns the tables have at this point of the migration history
(later migrations add columns the models already know), so it selects columns, not models.
"""

from datetime import UTC, datetime
from types import SimpleNamespace

from pydantic import ValidationError
from sqlalchemy import Connection, insert, inspect, select, update

from app.domain.schema import StrategyRecordData
from app.followup import versions
from app.followup.models import RecordVersion, TrackedAction
from app.records.models import StrategyRecord


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
        at = row.finalised_at or row.updated_at or datetime.now(UTC)
        connection.execute(insert(RecordVersion.__table__).values(
            record_id=row.id, version=row.version, data=row.data, finalised_at=at))
        actions = [{k: v for k, v in action.items() if k in action_columns}
                   for action in versions.tracked_rows(record, data, row.version)]
        if actions:
            connection.execute(insert(TrackedAction.__table__), actions)
        columns = {k: v for k, v in versions.finalised_columns(record, data).items()
                   if k in record_columns}
        connection.execute(update(r.__table__).where(r.__table__.c.id == row.id).values(columns))
