"""Saving a draft through `lifecycle.save_record`, the one place a record's document is written:
what the save keeps from the draft it replaces (an organisation deactivated or a member of
staff gone since they were chosen, the update-all-agencies action), when it says it was made,
and the revision it must be based on."""

from datetime import UTC, datetime, timedelta

import pytest

from app.clock import as_utc
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.organisations.models import Organisation
from app.organisations.service import UnknownRecipient
from app.records.service import StaleRecord
from app.records.staff import UnknownStaff
from tests.builders import STANDARD_ORGANISATIONS, recipients
from tests.conftest import make_user

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _draft(session, **sections):
    return lifecycle.create_record(session, data=StrategyRecordData.model_validate(sections),
                                   team="Central")


def _save(session, record, expected_revision=None, **changes):
    data = record.content.model_copy(update=changes)
    return lifecycle.save_record(session, record=record, data=data,
                                 expected_revision=record.revision
                                 if expected_revision is None else expected_revision)


def _risks(text: str):
    return StrategyRecordData.model_validate({"analysis": {"risks": text}}).analysis


def test_a_save_is_stamped_with_when_it_was_made(session, monkeypatch):
    monkeypatch.setattr(lifecycle, "utc_now", lambda: CREATED)
    record = _draft(session)
    saved_at = CREATED + timedelta(hours=2)
    monkeypatch.setattr(lifecycle, "utc_now", lambda: saved_at)
    saved = _save(session, record, analysis=_risks("Known now"))
    assert (as_utc(saved.created_at), as_utc(saved.updated_at)) == (CREATED, saved_at)


def test_an_organisation_deactivated_since_it_was_ticked_stays_on_the_draft(session):
    police = STANDARD_ORGANISATIONS["police"]
    ticked = _draft(session, distribution=recipients("police"))
    untouched = _draft(session)
    session.get(Organisation, police).active = False
    session.commit()
    saved = _save(session, ticked, analysis=_risks("Known now"))
    assert [r.organisation_id for r in saved.content.distribution] == [police]
    with pytest.raises(UnknownRecipient):  # but no draft may newly tick it
        _save(session, untouched, distribution=ticked.content.distribution)


def test_someone_who_left_stays_on_the_draft_that_named_them(session):
    mo = make_user(session, "mo", "manager")
    header = {"chair_user_id": mo.id}
    named = _draft(session, header=header)
    other = _draft(session)
    mo.is_active = False
    session.add(mo)
    session.commit()
    saved = _save(session, named, analysis=_risks("Known now"))
    assert (saved.content.header.chair_user_id, saved.content.header.chair) == (mo.id, "Mo")
    with pytest.raises(UnknownStaff):  # but no draft may newly name them
        _save(session, other, header=named.content.header)


def test_a_save_that_leaves_out_the_update_action_keeps_the_one_saved(session):
    record = _draft(session)
    due = CREATED.date() + timedelta(days=5)
    update = record.content.update_action.model_copy(update={"due_date": due, "owner": "Jo"})
    record = _save(session, record, actions=[update])
    saved = _save(session, record, actions=[])
    assert [(a.kind.value, a.due_date, a.owner) for a in saved.content.actions] == [
        ("update_agencies", due, "Jo")]


def test_a_save_based_on_an_older_revision_is_refused_however_fresh_the_record_read(session):
    record = _draft(session)
    based_on = record.revision
    _save(session, record, analysis=_risks("First"))
    session.refresh(record)  # read after the first save: only the client's revision is old
    with pytest.raises(StaleRecord):
        _save(session, record, expected_revision=based_on, analysis=_risks("Second"))
    session.rollback()
    session.refresh(record)
    assert (record.revision, record.content.analysis.risks) == (based_on + 1, "First")
