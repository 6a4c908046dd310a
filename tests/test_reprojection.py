"""Re-projecting after an upgrade (`reprojection.project_stale`, run by `app.migrate.upgrade`)
works a batch at a time, and leaves exactly what `projection.project` leaves one record at a
time: over drafts, finalised, authorised, returned, amended, followed-up, sent and damaged
records, with their derived rows damaged first so every kind of write is needed."""

from datetime import UTC, datetime

from sqlalchemy import delete, event, func, select, update

from app.followup import lifecycle, projection, reprojection
from app.followup import service as followup
from app.followup.measure_table import RecordMeasure
from app.followup.models import RecordVersion, TrackedAction
from app.records.models import RecordDistribution, StrategyRecord
from app.records.returns_tables import ChildIdentifier, Section47Enquiry
from app.sending.models import RecordReceipt
from tests.builders import damage

DERIVED_COLUMNS = ("status", "version", "projected_with", "latest_final_version",
                   "finalised_at", "authorised_at", "authorised_by_id", "returned_at",
                   "next_due", "review_due", "reviewed_at", "reviewed_on",
                   "referrer_feedback_due", "referrer_told_on", "sent_late", "led_by", "team",
                   "outcome", "discussion_at", "sort_at", "children_names", "search_text",
                   "blocking_failures", "warnings", "damaged", "damage_reason")



def _stale(session) -> int:
    """Records an older projection derived."""
    return session.execute(select(func.count()).select_from(StrategyRecord).where(
        StrategyRecord.projected_with < projection.PROJECTION)).scalar_one()

def _plain(value):
    # SQLite hands stored UTC times back without a zone.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _rows(session, statement) -> list[tuple]:
    return sorted((tuple(_plain(v) for v in row) for row in session.execute(statement)),
                  key=repr)


def derived_state(session, leave_out: int | None = None) -> dict:
    """Every derived row of every record but `leave_out` (a tracked action's id aside), each
    row starting with its record's id."""
    session.expire_all()
    a = TrackedAction
    state = {
        "records": _rows(session, select(StrategyRecord.id, *(
            getattr(StrategyRecord, name) for name in DERIVED_COLUMNS))),
        "distribution": _rows(session, select(RecordDistribution.__table__)),
        "actions": _rows(session, select(a.record_id, *(
            c for c in a.__table__.c if c.name not in ("id", "record_id")))),
        "measures": _rows(session, select(RecordMeasure.__table__)),
        "superseded": _rows(session, select(RecordVersion.record_id, RecordVersion.version,
                                            RecordVersion.superseded_by,
                                            RecordVersion.superseded_at)),
        "receipt_days": _rows(session, select(RecordReceipt.record_id, RecordReceipt.id,
                                              RecordReceipt.discussion_on)),
        # The returns' rows (app/followup/course.py), their ids aside.
        **{name: _rows(session, select(table.record_id, *(
            c for c in table.__table__.c if c.name not in ("id", "record_id"))))
           for name, table in (("identifiers", ChildIdentifier),
                               ("enquiries", Section47Enquiry))},
    }
    return {kind: [row for row in rows if row[0] != leave_out] for kind, rows in state.items()}


def population(session, w) -> tuple[list[int], int]:
    """The live audit's crafted world (finalised, authorised, returned and finalised again,
    amended and finalised again, actions done, reviews, a referrer told, a cancelled further
    discussion, a draft, receipts), and a record returned and one amended still in draft, and
    a damaged one (all the ids, and the damaged one's)."""
    returned = lifecycle.finalise_record(
        session, record=lifecycle.create_record(session, data=_data(session, w.ids["A"]),
                                                team="North", created_by_id=w.sw.id),
        expected_revision=1, finalised_by=w.sw)
    followup.return_record(session, returned, w.manager, returned.revision, "Check the dates",
                           ["factual_error"])
    amended = session.get(StrategyRecord, w.ids["G"])
    followup.amend(session, amended, w.sw, amended.revision, "The referrer's name was wrong")
    damaged = lifecycle.create_record(session, data=_data(session, w.ids["B"]), team="North",
                                      created_by_id=w.sw.id)
    damage(session, damaged)
    projection.project(session, damaged.id)
    session.commit()
    ids = session.execute(select(StrategyRecord.id).order_by(StrategyRecord.id)).scalars()
    return list(ids), damaged.id


def _data(session, record_id: int):
    return session.get(StrategyRecord, record_id).content


def spoil(session, ids: list[int]) -> None:
    """Mark the records stale and damage what was derived about them, so re-projecting must
    write every kind of row: columns, distribution, tracked actions (changed, gone, missing),
    the live audit's rows, versions superseded and receipts' days."""
    session.execute(update(StrategyRecord).where(StrategyRecord.id.in_(ids)).values(
        projected_with=0, next_due=None, latest_final_version=None, finalised_at=None,
        returned_at=None, referrer_told_on=None, sent_late=None, warnings=99))
    session.execute(delete(RecordDistribution).where(RecordDistribution.record_id.in_(ids[::2])))
    ours = TrackedAction.record_id.in_(ids)
    session.execute(update(TrackedAction).where(ours, TrackedAction.position == 0).values(
        status="cancelled", note="spoilt"))
    session.execute(delete(TrackedAction).where(ours, TrackedAction.position == 1))
    session.add(TrackedAction(record_id=ids[0], version=9, position=0, kind="task",
                              description="not an action of this record", agency="csc",
                              status="open"))
    session.execute(delete(RecordMeasure).where(RecordMeasure.record_id.in_(ids[::3])))
    session.execute(update(RecordMeasure).where(RecordMeasure.record_id.in_(ids)).values(
        returned=True))
    session.execute(update(RecordVersion).where(RecordVersion.record_id.in_(ids)).values(
        superseded_by=None, superseded_at=None))
    session.execute(update(RecordReceipt).where(RecordReceipt.record_id.in_(ids)).values(
        discussion_on=None))
    session.commit()


def test_re_projecting_in_batches_leaves_what_projecting_one_by_one_does(session, world):
    ids, damaged = population(session, world)
    assert len(ids) == 15
    as_left = derived_state(session, leave_out=damaged)

    spoil(session, ids)
    assert _stale(session) == len(ids)
    for record_id in ids:
        projection.project(session, record_id)
    session.commit()
    one_by_one = derived_state(session)
    # What the services left, but for the damaged record, whose document derives nothing.
    assert derived_state(session, leave_out=damaged) == as_left

    spoil(session, ids)
    assert reprojection.project_stale(session, batch=4) == len(ids)
    assert derived_state(session) == one_by_one
    assert _stale(session) == 0
    assert reprojection.project_stale(session) == 0


def test_a_batch_takes_the_same_few_statements_however_many_records_it_holds(
        session, engine, world):
    """Read in eight queries, written in one statement per kind of change (the returns'
    two tables replaced whole: a delete and an insert each): one record at a time it took
    about eleven a record."""
    ids, _ = population(session, world)
    seen = []
    listener = (engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    counts = {}
    for n in (3, len(ids)):
        spoil(session, ids[:n])
        seen.clear()
        event.listen(*listener)
        try:
            assert reprojection.project_stale(session) == n
        finally:
            event.remove(*listener)
        counts[n] = len(seen)
    assert counts[3] <= 24 and counts[len(ids)] <= 24, counts
