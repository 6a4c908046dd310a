"""What happened to a record, as the projection (app/followup/projection.py) reads it: the
record's own columns, each finalised version's snapshot and document, the follow-up entries
in the order they happened, and when it was first sent. Read fresh, never from ORM objects
a caller may hold stale."""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from app.clock import as_utc
from app.domain.schema import StrategyRecordData
from app.followup.models import FollowUpEntry, RecordVersion
from app.records.models import StrategyRecord
from app.sending.models import RecordReceipt

RECORD_FACTS = ("id", "reference", "status", "version", "data", "team", "created_at")


@dataclass
class Facts:
    record: SimpleNamespace  # the record's own columns, read fresh (never a stale ORM object)
    current: StrategyRecordData | None  # None when the stored document no longer validates
    snapshots: dict[int, RecordVersion]
    documents: dict[int, StrategyRecordData]  # each finalised version's validated document
    entries: list[FollowUpEntry]
    first_sent: tuple[int, datetime] | None  # the version first sent, and when


def load(session: Session, record_id: int) -> Facts:
    session.flush()
    r = StrategyRecord
    row = session.execute(select(*(getattr(r, name) for name in RECORD_FACTS))
                          .where(r.id == record_id)).one()
    snapshots = list(session.execute(
        select(RecordVersion).where(RecordVersion.record_id == record_id)).scalars())
    entries = list(session.execute(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record_id).order_by(FollowUpEntry.at, FollowUpEntry.id)
    ).scalars())
    first = session.execute(select(RecordReceipt.version, RecordReceipt.sent_at).where(
        RecordReceipt.record_id == record_id).order_by(RecordReceipt.sent_at, RecordReceipt.id)
        .limit(1)).first()
    return facts(SimpleNamespace(**row._mapping), snapshots, entries,
                 (first[0], first[1]) if first else None)


def facts(record, snapshots, entries, first_sent: tuple[int, datetime] | None,
          validate=None) -> Facts:
    """Facts from rows (stored ones, or rows not yet stored, as benchmarks/seed.py makes):
    `record` has the `RECORD_FACTS` attributes, `snapshots` and `entries` those of
    RecordVersion and FollowUpEntry (entries in the order they happened); `first_sent` is the
    version first sent and when. `validate` turns a stored document into StrategyRecordData
    (a caller projecting the same documents many times may remember them)."""
    validate = validate or _validated
    snapshots = {s.version: s for s in snapshots}
    documents = {}
    for version, snapshot in snapshots.items():
        try:
            documents[version] = validate(snapshot.data)
        except ValidationError:
            continue  # a damaged version derives nothing, as it lists nothing
    try:
        current = validate(record.data)
    except ValidationError:
        current = None
    return Facts(record, current, snapshots, documents, list(entries),
                 (first_sent[0], as_utc(first_sent[1])) if first_sent else None)


def _validated(data: dict) -> StrategyRecordData:
    return StrategyRecordData.model_validate(data, context={"stored": True})


