"""What a finalised version's PDF shows of life after the discussion (app/followup/printed.py):
its later state and its cancellations, read in one statement, and the stored variant's key."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, update

from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup.models import FollowUpEntry, RecordVersion
from app.followup.printed import printed_state
from tests.builders import complete_record
from tests.conftest import make_user

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _finalised(session, user):
    record = lifecycle.create_record(
        session, data=StrategyRecordData.model_validate(complete_record()), team="Central",
        created_by_id=user.id)
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=user)


def _entry(session, record, version: int, kind: str, at: datetime, reason: str) -> None:
    session.add(FollowUpEntry(record_id=record.id, version=version, kind=kind, at=at, by_id=None,
                              by_name="Sam Social", details={"reason": reason,
                                                             "cancelled_on": str(at.date())}))
    session.commit()


def test_cancellations_of_this_version_only_oldest_first_with_its_authorisation(session):
    sam = make_user(session, "sam")
    record = _finalised(session, sam)
    # Entered out of order; one for a later version, and an entry of another kind.
    _entry(session, record, 1, "discussion_cancelled", AT + timedelta(days=2), "second")
    _entry(session, record, 1, "discussion_cancelled", AT, "first")
    _entry(session, record, 2, "discussion_cancelled", AT + timedelta(days=1), "a later version's")
    _entry(session, record, 1, "referrer_told", AT + timedelta(days=3), "not a cancellation")
    session.execute(update(RecordVersion).where(RecordVersion.record_id == record.id).values(
        authorised_by_name="Mo Manager", authorised_at=AT))
    session.commit()

    state = printed_state(session, record)

    assert [c.reason for c in state.cancellations] == ["first", "second"]
    assert [c.cancelled_on for c in state.cancellations] == [date(2026, 3, 2), date(2026, 3, 4)]
    assert (state.authorised_by, state.authorised_at) == ("Mo Manager", AT)
    assert state.superseded_by is None
    assert state.key == "a.c2"
    assert state.finalised_by == sam.display_name


def test_a_version_with_nothing_after_it_keys_the_as_finalised_pdf(session):
    sam = make_user(session, "sam")
    record = _finalised(session, sam)
    state = printed_state(session, record)
    assert (state.key, state.cancellations, state.authorised_by) == ("", (), None)
    assert state.finalised_by == sam.display_name


def test_a_version_finalised_before_versions_were_kept_prints_no_later_state(session):
    sam = make_user(session, "sam")
    record = _finalised(session, sam)
    _entry(session, record, 1, "discussion_cancelled", AT, "kept on no version row")
    session.execute(delete(RecordVersion).where(RecordVersion.record_id == record.id))
    session.commit()
    state = printed_state(session, record)
    assert (state.key, state.cancellations, state.finalised_by) == ("", (), None)
