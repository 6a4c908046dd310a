"""Re-projecting many records at once: after an upgrade that changes what is derived
(`projection.PROJECTION`), `python -m app migrate` re-derives every record before the service
starts, so it must take minutes at 100,000 records, not most of an hour.

The rules stay in `projection.derive` and the facts are built by `facts.facts` (app/followup/facts.py), exactly
as `projection.project` builds them for one record; only the reading and writing are done a
batch at a time: a handful of `IN (...)` queries read a batch's facts and what is stored, and
only what differs is written, with one statement per kind of change (executemany). One record
at a time it took about eleven statements a record (benchmarks/reproject.py; README,
"Performance").
"""

from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, insert, select
from sqlmodel import Session

from app.clock import uk_today
from app.config import get_settings
from app.followup.facts import RECORD_FACTS, facts
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.followup.projection import (
    PROJECTION,
    Projection,
    action_changes,
    derive,
    differs,
)
from app.records.models import RecordDistribution, StrategyRecord
from app.records.returns_tables import ChildIdentifier, Section47Enquiry
from app.sending.models import RecordReceipt

BATCH = 500


def project_stale(session: Session, batch: int = BATCH, *, today: date | None = None) -> int:
    """Project every record last projected by an older projection (after an upgrade); the
    number projected. Committed in batches, so an interrupted run resumes where it stopped."""
    done = 0
    while True:
        ids = list(session.execute(select(StrategyRecord.id).where(
            StrategyRecord.projected_with < PROJECTION).order_by(StrategyRecord.id)
            .limit(batch)).scalars())
        if not ids:
            return done
        project_many(session, ids, today=today)
        session.commit()
        done += len(ids)


def project_many(session: Session, ids: list[int], *, today: date | None = None) -> None:
    """What `projection.project` does for each of `ids`, in the caller's transaction."""
    session.flush()
    stored = _Stored(session, ids)
    settings, today = get_settings(), today or uk_today()
    derived = {record.id: derive(facts(record, stored.snapshots[record.id],
                                       stored.entries[record.id], stored.first_sent(record.id)),
                                 settings, today)
               for record in stored.records}
    _write(session, stored, derived)


class _Stored:
    """A batch's facts, and the derived rows stored for it, each kind read in one query."""

    def __init__(self, session: Session, ids: list[int]):
        r = StrategyRecord
        self.records = [SimpleNamespace(**row._mapping) for row in session.execute(
            select(*(getattr(r, name) for name in RECORD_FACTS)).where(r.id.in_(ids)))]
        self.snapshots = _grouped(session.execute(select(RecordVersion.__table__).where(
            RecordVersion.record_id.in_(ids))))
        # In the order they happened, as `facts.load` reads them.
        self.entries = _grouped(session.execute(select(FollowUpEntry.__table__).where(
            FollowUpEntry.record_id.in_(ids)).order_by(
            FollowUpEntry.record_id, FollowUpEntry.at, FollowUpEntry.id)))
        self.receipts = _grouped(session.execute(select(
            RecordReceipt.record_id, RecordReceipt.id, RecordReceipt.version,
            RecordReceipt.sent_at, RecordReceipt.discussion_on).where(
            RecordReceipt.record_id.in_(ids))))
        self.actions = _grouped(session.execute(select(TrackedAction.__table__).where(
            TrackedAction.record_id.in_(ids))))
        self.distribution = defaultdict(set)
        for row in session.execute(select(
                RecordDistribution.record_id, RecordDistribution.organisation_id,
                RecordDistribution.agency).where(RecordDistribution.record_id.in_(ids))):
            self.distribution[row.record_id].add((row.organisation_id, row.agency))
        self.measures = {row.record_id: row for row in session.execute(
            select(RecordMeasure.__table__).where(RecordMeasure.record_id.in_(ids)))}

    def first_sent(self, record_id: int):
        """The version first sent and when (the earliest receipt, then the lowest id)."""
        receipts = self.receipts[record_id]
        if not receipts:
            return None
        first = min(receipts, key=lambda row: (row.sent_at, row.id))
        return first.version, first.sent_at


def _grouped(rows) -> defaultdict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.record_id].append(row)
    return grouped


def _write(session: Session, stored: _Stored, derived: dict[int, Projection]) -> None:
    """Store the batch's projections as `projection.store` stores one, writing only what
    differs from what is stored."""
    columns = defaultdict(list)  # a record's columns, by which columns it has
    redistributed, measured, measures = [], [], []
    changed_actions, gone_actions, new_actions = [], [], []
    superseded, receipt_days = [], []
    for record_id, projection in derived.items():
        values = projection.columns
        columns[tuple(sorted(values))].append({"_id": record_id, **values})
        if "led_by" in values and set(projection.distribution) != stored.distribution[record_id]:
            redistributed.append(record_id)
        changed, gone, new = action_changes(stored.actions[record_id], projection.actions)
        changed_actions += [{"_id": action_id, **values} for action_id, values in changed]
        gone_actions += gone
        new_actions += new
        old = stored.measures.get(record_id)
        if _measure_differs(old, projection.measure):
            measured.append(record_id)
            measures += [projection.measure] if projection.measure else []
        snapshots = {s.version: s for s in stored.snapshots[record_id]}
        for version, (by, at) in projection.superseded.items():
            snapshot = snapshots[version]
            if differs(snapshot.superseded_by, by) or differs(snapshot.superseded_at, at):
                superseded.append({"_record": record_id, "_version": version,
                                   "superseded_by": by, "superseded_at": at})
        for version, day in projection.receipt_days.items():
            if any(r.version == version and r.discussion_on != day
                   for r in stored.receipts[record_id]):
                receipt_days.append({"_record": record_id, "_version": version, "day": day})

    record = StrategyRecord.__table__
    for group in columns.values():
        session.execute(record.update().where(record.c.id == bindparam("_id")), group)
    if redistributed:
        session.execute(delete(RecordDistribution).where(
            RecordDistribution.record_id.in_(redistributed)))
        rows = [{"record_id": record_id, "organisation_id": org, "agency": agency}
                for record_id in redistributed for org, agency in derived[record_id].distribution]
        if rows:
            session.execute(insert(RecordDistribution.__table__), rows)
    action = TrackedAction.__table__
    if changed_actions:
        session.execute(action.update().where(action.c.id == bindparam("_id")), changed_actions)
    if gone_actions:
        session.execute(delete(action).where(action.c.id.in_(gone_actions)))
    if new_actions:
        session.execute(insert(action), new_actions)
    if measured:
        session.execute(delete(RecordMeasure).where(RecordMeasure.record_id.in_(measured)))
        if measures:
            session.execute(insert(RecordMeasure.__table__), measures)
    version = RecordVersion.__table__
    if superseded:
        session.execute(version.update().where(
            version.c.record_id == bindparam("_record"),
            version.c.version == bindparam("_version")), superseded)
    # The returns' rows are few a record: replaced whole, two statements a batch each.
    for table, kind in ((ChildIdentifier, "identifiers"), (Section47Enquiry, "enquiries")):
        session.execute(delete(table).where(table.record_id.in_(list(derived))))
        rows = [row for projection in derived.values() for row in getattr(projection, kind)]
        if rows:
            session.execute(insert(table.__table__), rows)
    receipt = RecordReceipt.__table__
    if receipt_days:
        session.execute(receipt.update().where(
            receipt.c.record_id == bindparam("_record"),
            receipt.c.version == bindparam("_version"),
            receipt.c.discussion_on.is_distinct_from(bindparam("day")))
            .values(discussion_on=bindparam("day")), receipt_days)


def _measure_differs(old, new: dict | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    return set(old._mapping) != set(new) or any(
        differs(old._mapping[k], v) for k, v in new.items())
