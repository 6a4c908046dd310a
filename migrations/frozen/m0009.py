"""Migration 0009's backfill: records finalised before the report existed get its rows and
dates from what is stored. Frozen: it imports nothing from the application (the schema, the
rules and the report's row are the copy in migrations/frozen/v0015), and reads the tables as
they are at this point of the history, never the application's models (the live service
derives all of this in app/followup/projection.py, which re-projects every record at the head).
"""

import json
from datetime import date

from pydantic import ValidationError
from sqlalchemy import Connection, MetaData, delete, insert, select, update

from migrations.frozen.v0015.config import get_settings
from migrations.frozen.v0015.derive import decided_in_time, measure_row
from migrations.frozen.v0015.domain.schema import StrategyRecordData
from migrations.frozen.v0015.rules.due_dates import sent_late
from migrations.frozen.v0015.rules.grounds import referrer_feedback_due, referrer_named

TABLES = ("strategy_record", "record_version", "tracked_action", "followup_entry",
          "record_measure", "strategy_request", "record_receipt")


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _details(value) -> dict:
    # A JSON column reflected on SQLite may come back as text.
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


class _Backfill:
    def __init__(self, connection: Connection):
        self.connection = connection
        tables = MetaData()
        tables.reflect(connection, only=list(TABLES))
        (self.record, self.version, self.action, self.entry, self.measure, self.request,
         self.receipt) = (tables.tables[name] for name in TABLES)

    def store_measures(self, record_id: int, version: int, team: str | None,
                       data: StrategyRecordData) -> None:
        m = self.measure
        self.connection.execute(delete(m).where(m.c.record_id == record_id))
        row = measure_row(record_id, version, team, data, **self._after(record_id, version))
        if row:
            self.connection.execute(insert(m), [{k: v for k, v in row.items() if k in m.c}])

    def referrer_told(self, record_id: int, told_on) -> None:
        m = self.measure
        self.connection.execute(update(m).where(
            m.c.record_id == record_id, m.c.m_referrer_told.is_not(None),
        ).values(m_referrer_told=True, referrer_told_on=told_on))

    def _after(self, record_id: int, version: int) -> dict:
        r, v, e = self.record, self.version, self.entry
        late, reviewed_on, told_on = self.connection.execute(select(
            r.c.sent_late, r.c.reviewed_on, r.c.referrer_told_on).where(r.c.id == record_id)).one()
        authorised = self.connection.execute(select(v.c.id).where(
            v.c.record_id == record_id, v.c.version == version,
            v.c.authorised_at.is_not(None))).first() is not None
        returned = self.connection.execute(select(e.c.id).where(
            e.c.record_id == record_id, e.c.kind == "returned")).first()
        return {"sent_late": late, "reviewed_on": reviewed_on, "authorised": authorised,
                "returned": returned is not None, "referrer_told_on": told_on}


def backfill(connection: Connection) -> None:
    get_settings.cache_clear()  # the environment as it is now, not as a test left it
    settings = get_settings()
    b = _Backfill(connection)
    r, e, a = b.record, b.entry, b.action
    entries = connection.execute(select(e).where(e.c.kind.in_(
        ("edt_review", "referrer_told", "action_done")))).all()
    told: dict[int, date | None] = {}  # referrers told by follow-up (measure met below)
    for entry in entries:
        details = _details(entry.details)
        if entry.kind == "edt_review":
            connection.execute(update(r).where(r.c.id == entry.record_id, r.c.reviewed_at.is_not(None))
                               .values(reviewed_on=_day(details.get("reviewed_on"))))
        elif entry.kind == "referrer_told":
            connection.execute(update(r).where(r.c.id == entry.record_id)
                               .values(referrer_told_on=_day(details.get("told_on"))))
            told[entry.record_id] = _day(details.get("told_on"))
        else:
            connection.execute(update(a).where(
                a.c.record_id == entry.record_id, a.c.version == entry.version,
                a.c.position == entry.action_position)
                .values(done_on=_day(details.get("done_on"))))
    q = b.request
    for req in connection.execute(select(q.c.id, q.c.created_at, q.c.triaged_at).where(
            q.c.triaged_at.is_not(None))).all():
        connection.execute(update(q).where(q.c.id == req.id).values(
            triaged_in_time=decided_in_time(req.created_at, req.triaged_at, settings)))
    s = b.receipt
    first_sent = connection.execute(select(s.c.record_id, r.c.discussion_at, s.c.sent_at).join(
        r, r.c.id == s.c.record_id).order_by(s.c.record_id, s.c.sent_at)).all()
    timed: set[int] = set()
    for record_id, discussion_at, sent_at in first_sent:
        if record_id not in timed:
            timed.add(record_id)
            connection.execute(update(r).where(r.c.id == record_id)
                               .values(sent_late=sent_late(discussion_at, sent_at, settings)))
    v = b.version
    in_force = connection.execute(select(r.c.id, v.c.version, r.c.team, v.c.data).join(
        v, (v.c.record_id == r.c.id) & (v.c.version == r.c.latest_final_version))).all()
    for record_id, version, team, stored in in_force:
        try:
            data = StrategyRecordData.model_validate(stored, context={"stored": True})
        except ValidationError:
            continue  # a damaged version stays out of the report, as it is out of lists
        if referrer_named(data) and not referrer_feedback_due(data):
            connection.execute(update(r).where(r.c.id == record_id)
                               .values(referrer_told_on=data.grounds.referrer_informed_on))
        b.store_measures(record_id, version, team, data)
        day = data.header.discussion_at.date() if data.header.discussion_at else None
        for table in (a, s):
            connection.execute(update(table).where(table.c.record_id == record_id,
                                                   table.c.version == version)
                               .values(discussion_on=day))
    for record_id, told_on in told.items():
        b.referrer_told(record_id, told_on)
